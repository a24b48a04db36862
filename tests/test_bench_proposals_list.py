"""Smoke test of bench/proposals_list.py: its seeding, with tiny numbers on SQLite, keeps the
counters the services keep, and the pages it measures answer."""

import argparse
import random
import sys

import pytest
from sqlalchemy import func, select

from tests.support.apps import project_root

sys.path.insert(0, str(project_root() / "bench"))  # the scripts import each other as top-level modules
proposals_list = pytest.importorskip("proposals_list")
_common = pytest.importorskip("_common")
pages = pytest.importorskip("pages")


def test_support_counts_sum_to_the_total_within_the_cap():
    counts = proposals_list.support_counts(200, 5_000, 60, random.Random(3))
    assert len(counts) == 200 and sum(counts) == 5_000 and max(counts) <= 60
    assert max(counts) == 60 and min(counts) < 30  # a few reach the threshold, most do not


def test_the_seeded_proposals_keep_the_counters_of_their_supports(tmp_path):
    from civic import create_app
    from civic.extensions import db
    from civic.proposals.models import LISTED, Proposal, Support, SupportDay

    args = argparse.Namespace(proposals=120, supports=3_000, users=80, supports_needed=60, days=90, seed=5)
    config = _common.bench_config(tmp_path)
    _common.migrate(config)
    ids, email = proposals_list.seed(config, args)

    app = create_app(config)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Support)) == 3_000
        counted = dict(
            db.session.execute(select(Support.proposal_id, func.count()).group_by(Support.proposal_id)).all()
        )
        by_day = dict(
            db.session.execute(
                select(SupportDay.proposal_id, func.sum(SupportDay.count)).group_by(SupportDay.proposal_id)
            ).all()
        )
        proposals = db.session.scalars(select(Proposal)).all()
        assert len(proposals) == 120
        for proposal in proposals:
            assert proposal.support_count == counted.get(proposal.id, 0) == by_day.get(proposal.id, 0)
            assert proposal.support_count <= proposal.supports_needed == 60
            if proposal.support_count:
                assert proposal.last_supported_at is not None
            if proposal.support_count == 60:  # reached its threshold: no longer collecting
                assert proposal.state not in ("open", "expired")
            assert proposal.state != "duplicate" or (proposal.merged_into_id and not proposal.support_count)
        states = {p.state for p in proposals}
        assert {"open", "expired", "duplicate"} <= states and states & {"review", "accepted", "rejected"}
        assert any(p.trending_score > 0 for p in proposals)  # the open ones supported lately
        top = db.session.get(Proposal, ids["top"])
        assert top.support_count == ids["top_supports"] == 60 and top.state in {s.value for s in LISTED}
        db.engine.dispose()

    page_list = proposals_list.page_list(ids, args)
    queries = pages.count_queries(config, email, page_list)
    assert all(queries[label] is not None for label, _path, _signed_in in page_list)  # each answered 200


def test_the_report_judges_the_median_latency():
    run = {"rps": 100.0, "p50": 0.010, "p99": 0.05, "bad": 0, "other_cores": 0.1, "generator_cores": 0.1}
    slow = {**run, "rps": 40.0, "p50": 0.025}
    page_list = [("fast", "/a", False), ("slow", "/b", False)]
    results = {"fast": {**run, "p50": 0.018}, "slow": slow}
    assert proposals_list.report(page_list, results, [run, run], {"fast": 3, "slow": 4}, 1.0, 1.0, True) is False
    assert proposals_list.report(page_list[:1], results, [run], {}, 1.0, 1.0, True) is True
