"""Petition test helpers: the moment petitions open in tests, petition and signer details, and
signing through the emailed link."""

from collections import Counter
from datetime import datetime

from sqlalchemy import select

from civic.extensions import db
from civic.petitions.models import AreaTally, HourTally, Signature
from civic.petitions.services import lifecycle, moderation, signing
from tests.support.clock import UTC
from tests.support.mail import link_in, mail_to

START = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)  # the frozen clock's start in tests/petitions


def fields(**overrides):
    data = dict(
        title="Plant more trees on Riverside Avenue",
        background="The avenue has lost 40 trees in ten years and is the hottest street in summer.",
        details="",
        topic="Environment",
        anonymous=False,
        area="Riverside",
    )
    data.update(overrides)
    return lifecycle.PetitionFields(**data)


def signer(n, **overrides):
    data = dict(name=f"Signer {n}", email=f"signer{n}@example.org", area="Old Town", consent=True, notify=False)
    data.update(overrides)
    return signing.SignatureFields(**data)


def token_in(outbox, address, fragment="/confirm"):
    return link_in(mail_to(outbox, address)[-1], fragment).rsplit("/signatures/", 1)[1].split("/")[0]


def opened_petition(creator, moderator, outbox, **overrides):
    """A petition (from `fields(**overrides)`) through its two sponsors and moderation: open."""
    petition = lifecycle.create_petition(creator, fields(**overrides))
    for n in (101, 102):
        person = signer(n)
        signing.sign_petition(petition, person, sponsor_token=petition.sponsor_token, client="192.0.2.1")
        signing.confirm_signature(petition, token_in(outbox, person.email))
    moderation.approve_petition(moderator, petition)
    return petition


def sign_and_confirm(petition, n, outbox, client="198.51.100.7", **overrides):
    person = signer(n, **overrides)
    outcome = signing.sign_petition(petition, person, client=client)
    if outcome.status == "check_email":
        signing.confirm_signature(petition, token_in(outbox, person.email))
    return outcome


def assert_tallies_match(petition):
    """The kept counts per area and per hour equal a count of the signatures themselves."""
    counted = [
        Signature.petition_id == petition.id,
        Signature.validated_at.isnot(None),
        Signature.invalidated_at.is_(None),
    ]
    rows = db.session.execute(select(Signature.area, Signature.validated_at).where(*counted)).all()
    areas = Counter(area for area, _at in rows)
    hours = Counter(at.replace(minute=0, second=0, microsecond=0) for _area, at in rows)
    kept_areas = {
        a: n
        for a, n in db.session.execute(
            select(AreaTally.area, AreaTally.count).where(AreaTally.petition_id == petition.id)
        )
        if n
    }
    kept_hours = {
        h: n
        for h, n in db.session.execute(
            select(HourTally.hour, HourTally.count).where(HourTally.petition_id == petition.id)
        )
        if n
    }
    assert kept_areas == dict(areas)
    assert kept_hours == dict(hours)
    assert sum(areas.values()) == petition.signature_count
