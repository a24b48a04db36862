"""Smoke test of bench/budget_rules.py: its synthetic budget is well formed and seeded."""

import sys

from civic.insights.budget_rules import compute_result
from tests.support.apps import project_root

sys.path.insert(0, str(project_root() / "bench"))  # the scripts import each other as top-level modules
import budget_rules  # noqa: E402


def test_the_synthetic_budget_is_seeded_and_well_formed():
    budget, projects, ballots = budget_rules.wroclaw_sized(seed=3, projects=12, ballots=400)
    assert (budget, projects, ballots) == budget_rules.wroclaw_sized(seed=3, projects=12, ballots=400)
    assert len(projects) == 12 and len(ballots) == 400
    assert 0 < budget < sum(p.cost for p in projects)
    assert all(100_000 <= p.cost <= 2_000_000 for p in projects)
    assert all(1 <= len(ballot) <= 6 for ballot in ballots)
    for rule in ("greedy", "equalshares"):
        assert compute_result(rule, budget, projects, ballots).spent <= budget
