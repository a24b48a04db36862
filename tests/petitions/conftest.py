"""Shared petition fixtures: the clock frozen at START, small thresholds, a creator, and an open petition."""

import pytest

from tests.support.petitions import START, opened_petition


@pytest.fixture
def frozen_at():
    return START


@pytest.fixture
def small(app):
    """Thresholds small enough to reach in a test."""
    app.config.update(
        CIVIC_PETITION_SPONSORS=2,
        CIVIC_PETITION_RESPONSE_THRESHOLD=4,
        CIVIC_PETITION_DEBATE_THRESHOLD=6,
        CIVIC_TIMEZONE="Europe/Madrid",
        CIVIC_LIMIT_PETITION_CREATE="100 per hour",
    )
    return app


@pytest.fixture
def creator(citizen):
    """The citizen who starts the petitions."""
    return citizen


@pytest.fixture
def open_petition(small, frozen, creator, moderator, outbox):
    """A petition through sponsors and moderation, open since START."""
    return opened_petition(creator, moderator, outbox)
