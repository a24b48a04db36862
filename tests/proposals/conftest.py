"""Shared proposal fixtures: the clock frozen at START, a small threshold, an author and an open proposal."""

import pytest

from civic.proposals.services import lifecycle
from tests.support.proposals import START, fields


@pytest.fixture
def frozen_at():
    return START


@pytest.fixture
def small(app):
    """A threshold small enough to reach in a test."""
    app.config.update(CIVIC_PROPOSAL_SUPPORTS=3, CIVIC_PROPOSAL_DAYS=30, CIVIC_LIMIT_PROPOSAL_CREATE="100 per hour")
    return app


@pytest.fixture
def author(citizen):
    return citizen


@pytest.fixture
def open_proposal(small, frozen, author):
    return lifecycle.create_proposal(author, fields())
