"""Accountability fixtures: the clock frozen where proposals are posted in tests, a small threshold."""

import pytest

from tests.support.proposals import START


@pytest.fixture
def frozen_at():
    return START


@pytest.fixture
def small(app):
    app.config.update(CIVIC_PROPOSAL_SUPPORTS=3, CIVIC_PROPOSAL_DAYS=30, CIVIC_LIMIT_PROPOSAL_CREATE="100 per hour")
    return app
