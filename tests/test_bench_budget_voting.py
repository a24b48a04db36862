"""Smoke test of bench/budget_voting.py: the ballots it plans fit the money and are never empty."""

import random
import sys

from tests.support.apps import project_root

sys.path.insert(0, str(project_root() / "bench"))  # the scripts import each other as top-level modules
import budget_voting  # noqa: E402


def test_planned_ballots_fit_the_money_and_are_never_empty():
    rng = random.Random(5)
    costs = {n: rng.randrange(20_000, 400_000, 1000) for n in range(1, 31)}
    for _ in range(200):
        chosen = budget_voting.plan_ballot(costs, rng)
        assert chosen and len(set(chosen)) == len(chosen)
        assert sum(costs[p] for p in chosen) <= budget_voting.BUDGET
