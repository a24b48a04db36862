"""Shared petition fixtures: frozen time, small thresholds, a creator and a moderator."""
from datetime import datetime, timedelta, timezone

import pytest

from civic.common import clock
from civic.petitions.services import lifecycle, moderation, signing
from tests.conftest import link_in, mail_to

UTC = timezone.utc
START = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def now(monkeypatch):
    holder = {"now": START}
    monkeypatch.setattr(clock, "now", lambda: holder["now"])
    return holder


@pytest.fixture
def small(app):
    """Thresholds small enough to reach in a test."""
    app.config.update(CIVIC_PETITION_SPONSORS=2, CIVIC_PETITION_RESPONSE_THRESHOLD=4,
                      CIVIC_PETITION_DEBATE_THRESHOLD=6, CIVIC_TIMEZONE="Europe/Madrid",
                      CIVIC_LIMIT_PETITION_CREATE="100 per hour")
    return app


@pytest.fixture
def creator(make_user):
    return make_user("carmen@example.org", name="Carmen Creator")


@pytest.fixture
def moderator(make_user):
    return make_user("mo@example.org", roles=("citizen", "moderator"), name="Mo Moderator")


@pytest.fixture
def official(make_user):
    return make_user("olga@example.org", roles=("citizen", "official"), name="Olga Official")


def fields(**overrides):
    data = dict(title="Plant more trees on Riverside Avenue",
                background="The avenue has lost 40 trees in ten years and is the hottest street in summer.",
                details="", topic="Environment", anonymous=False, area="Riverside")
    data.update(overrides)
    return lifecycle.PetitionFields(**data)


def signer(n, **overrides):
    data = dict(name=f"Signer {n}", email=f"signer{n}@example.org", area="Old Town", consent=True, notify=False)
    data.update(overrides)
    return signing.SignatureFields(**data)


def token_in(outbox, address, fragment="/confirm"):
    return link_in(mail_to(outbox, address)[-1], fragment).rsplit("/signatures/", 1)[1].split("/")[0]


def sign_and_confirm(petition, n, outbox, client="198.51.100.7", **overrides):
    person = signer(n, **overrides)
    outcome = signing.sign_petition(petition, person, client=client)
    if outcome.status == "check_email":
        signing.confirm_signature(petition, token_in(outbox, person.email))
    return outcome


@pytest.fixture
def open_petition(small, now, creator, moderator, outbox):
    """A petition through sponsors and moderation, open since START."""
    petition = lifecycle.create_petition(creator, fields())
    for n in (101, 102):
        person = signer(n)
        signing.sign_petition(petition, person, sponsor_token=petition.sponsor_token, client="192.0.2.1")
        signing.confirm_signature(petition, token_in(outbox, person.email))
    moderation.approve_petition(moderator, petition)
    return petition


__all__ = ["START", "UTC", "fields", "signer", "token_in", "sign_and_confirm", "timedelta"]


def assert_tallies_match(petition):
    """The kept counts per area and per hour equal a count of the signatures themselves."""
    from collections import Counter

    from sqlalchemy import select

    from civic.extensions import db
    from civic.petitions.models import AreaTally, HourTally, Signature

    counted = [Signature.petition_id == petition.id, Signature.validated_at.isnot(None),
               Signature.invalidated_at.is_(None)]
    rows = db.session.execute(select(Signature.area, Signature.validated_at).where(*counted)).all()
    areas = Counter(area for area, _at in rows)
    hours = Counter(at.replace(minute=0, second=0, microsecond=0) for _area, at in rows)
    kept_areas = {a: n for a, n in db.session.execute(select(AreaTally.area, AreaTally.count).where(
        AreaTally.petition_id == petition.id)) if n}
    kept_hours = {h: n for h, n in db.session.execute(select(HourTally.hour, HourTally.count).where(
        HourTally.petition_id == petition.id)) if n}
    assert kept_areas == dict(areas)
    assert kept_hours == dict(hours)
    assert sum(areas.values()) == petition.signature_count
