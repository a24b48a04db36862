"""Smoke test of bench/moderation_queue.py: its seeding, with tiny numbers on SQLite, gives the
queue the reports it says, and the pages it measures answer."""

import argparse
import random
import sys

import pytest
from sqlalchemy import func, select

from tests.support.apps import project_root

sys.path.insert(0, str(project_root() / "bench"))  # the scripts import each other as top-level modules
moderation_queue = pytest.importorskip("moderation_queue")
_common = pytest.importorskip("_common")


def test_report_counts_sum_to_the_total_each_at_least_one_and_within_the_cap():
    counts = moderation_queue.report_counts(500, 2_000, 40, random.Random(2))
    assert len(counts) == 500 and sum(counts) == 2_000
    assert min(counts) >= 1 and max(counts) <= 40


def test_the_seeded_queue_holds_the_reports_and_its_pages_answer(tmp_path):
    from civic import create_app
    from civic.discussions.models import Comment, Discussion
    from civic.extensions import db
    from civic.moderation.models import Report

    args = argparse.Namespace(
        items=60, reports=240, discussions=3, authors=10, reporters=50, bulk=7, seed=3, runs=1, warmup=0, profile=0
    )
    config = _common.bench_config(tmp_path)
    _common.migrate(config)
    seeded = moderation_queue.seed(config, args)
    app = create_app(config)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 240 + 7
        items = db.session.scalar(select(func.count(func.distinct(Report.content_id))))
        assert items == 60 + 7
        assert len(seeded["bulk"]) == 7
        live = db.session.get(Discussion, seeded["live"])
        assert live.comment_count == 7
        replies = db.session.scalar(select(func.count()).select_from(Comment).where(Comment.parent_id.isnot(None)))
        assert replies > 0  # the queue shows what they answer
        db.engine.dispose()
    failures = moderation_queue.measure_queue(config, config["SQLALCHEMY_DATABASE_URI"], seeded["moderator"], args)
    assert isinstance(failures, list)  # it ran every page (a page that does not answer 200 exits)
