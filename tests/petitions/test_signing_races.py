"""Two signing requests for one new mailbox at the same moment (found by bench/petition_signing.py):
the one whose insert loses on the unique key must not say "your signature already counts" while
the winner's signature is not confirmed yet."""

from sqlalchemy import select

from civic.extensions import db
from civic.petitions.models import Signature
from civic.petitions.services import signing
from tests.support.mail import mail_to
from tests.support.petitions import signer, token_in


def _lose_the_race(monkeypatch):
    """The first lookup by mailbox finds nothing, as if the other request inserted its row just
    after it; the insert then fails on the unique key."""
    real = signing._signature_by_key
    calls = {"n": 0}

    def lookup(petition, key):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(petition, key)

    monkeypatch.setattr(signing, "_signature_by_key", lookup)
    return calls


def test_losing_the_race_for_an_unconfirmed_mailbox_sends_the_link_not_already_signed(
    open_petition, outbox, monkeypatch
):
    person = signer(7, email="twice@example.org")
    assert signing.sign_petition(open_petition, person, client="198.51.100.7").status == "check_email"
    count = open_petition.signature_count
    calls = _lose_the_race(monkeypatch)

    outcome = signing.sign_petition(open_petition, signer(7, email="TWICE@example.org "), client="198.51.100.7")

    assert calls["n"] == 2  # the race really happened: the insert failed and the row was read again
    assert outcome.status == "check_email"
    newest = mail_to(outbox, "twice@example.org")[-1]
    assert "already" not in newest["Subject"], newest["Subject"]
    assert "/confirm" in newest.get_body(("plain",)).get_content()
    signing.confirm_signature(open_petition, token_in(outbox, "twice@example.org"))
    db.session.refresh(open_petition)
    assert open_petition.signature_count == count + 1
    assert len(db.session.scalars(select(Signature).where(Signature.email_key == "twice@example.org")).all()) == 1


def test_losing_the_race_for_a_confirmed_mailbox_still_says_already_signed(open_petition, outbox, monkeypatch):
    person = signer(8, email="done@example.org")
    signing.sign_petition(open_petition, person, client="198.51.100.7")
    signing.confirm_signature(open_petition, token_in(outbox, "done@example.org"))
    db.session.refresh(open_petition)
    count = open_petition.signature_count
    _lose_the_race(monkeypatch)

    outcome = signing.sign_petition(open_petition, signer(8, email="Done@Example.org"), client="198.51.100.7")

    assert outcome.status == "check_email"
    assert "already signed" in mail_to(outbox, "done@example.org")[-1]["Subject"]
    db.session.refresh(open_petition)
    assert open_petition.signature_count == count


def test_a_signed_in_person_losing_the_race_to_their_own_pending_row_is_counted_once(
    open_petition, make_user, outbox, monkeypatch
):
    """A verified person whose own mailbox has a row not confirmed yet (signed earlier while
    signed out, or a double click caught between insert and count) counts at once, once."""
    user = make_user("vera@example.org", name="Vera Verified")
    signing.sign_petition(open_petition, signer(9, email="vera@example.org"), client="198.51.100.7")
    count = open_petition.signature_count
    _lose_the_race(monkeypatch)

    outcome = signing.sign_petition(
        open_petition, signer(9, email="vera@example.org"), user=user, client="198.51.100.7"
    )

    assert outcome.status == "counted"
    db.session.refresh(open_petition)
    assert open_petition.signature_count == count + 1
    again = signing.sign_petition(open_petition, signer(9, email="vera@example.org"), user=user, client="198.51.100.7")
    assert again.status == "already_signed"
    db.session.refresh(open_petition)
    assert open_petition.signature_count == count + 1
