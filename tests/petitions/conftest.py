"""Shared petition fixtures: the clock frozen at START, small thresholds, a creator, and an open petition."""

import pytest

from civic.petitions.services import lifecycle, moderation, signing
from tests.support.petitions import START, fields, signer, token_in


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
    petition = lifecycle.create_petition(creator, fields())
    for n in (101, 102):
        person = signer(n)
        signing.sign_petition(petition, person, sponsor_token=petition.sponsor_token, client="192.0.2.1")
        signing.confirm_signature(petition, token_in(outbox, person.email))
    moderation.approve_petition(moderator, petition)
    return petition
