"""Petition lifecycle: drafting, sponsors, moderation with each reason, opening, thresholds,
closing on time, the official response and debate, and the mailings to signers."""

from datetime import date, timedelta

import pytest

from civic.audit.models import AuditEntry
from civic.errors import Conflict, InvalidInput, NotAllowed, ParticipationClosed
from civic.extensions import db
from civic.mail.mailings import send_mailings
from civic.mail.models import Mailing
from civic.permissions import can
from civic.petitions.models import HIDING_REASONS, TRANSITIONS, Petition, PetitionState, RejectionReason
from civic.petitions.services import lifecycle, moderation, queries, responses, signing
from tests.support.mail import mail_to
from tests.support.petitions import START, fields, sign_and_confirm, signer, token_in

S = PetitionState


def test_a_draft_needs_its_sponsors_before_moderation(small, frozen, creator, outbox):
    petition = lifecycle.create_petition(creator, fields())
    assert petition.state == "draft" and petition.signature_count == 1  # the creator's own signature
    first = signer(1)
    assert signing.sign_petition(petition, first, sponsor_token=petition.sponsor_token).status == "check_email"
    assert petition.sponsor_count == 0  # not before the link is followed
    signing.confirm_signature(petition, token_in(outbox, first.email))
    db.session.refresh(petition)
    assert petition.sponsor_count == 1 and petition.state == "draft"
    second = signer(2)
    signing.sign_petition(petition, second, sponsor_token=petition.sponsor_token)
    signing.confirm_signature(petition, token_in(outbox, second.email))
    db.session.refresh(petition)
    assert petition.state == "pending" and petition.sponsor_count == 2 and petition.signature_count == 3
    assert "with the moderators" in mail_to(outbox, creator.email)[-1]["Subject"]


def test_without_the_sponsor_link_a_draft_cannot_be_signed(small, frozen, creator):
    petition = lifecycle.create_petition(creator, fields())
    with pytest.raises(ParticipationClosed, match="not open for signatures yet"):
        signing.sign_petition(petition, signer(1))
    with pytest.raises(ParticipationClosed):
        signing.sign_petition(petition, signer(1), sponsor_token="guess")


def test_approval_opens_it_for_six_months_to_the_end_of_the_local_day(open_petition, moderator):
    petition = open_petition
    assert petition.state == "open" and petition.opened_at == START
    local_close = petition.closes_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Madrid"))
    assert (local_close.date(), local_close.hour, local_close.minute) == (date(2027, 9, 1), 23, 59)
    assert petition.discussion_id is not None
    assert db.session.query(AuditEntry).filter_by(action="petition.approve").count() == 1
    with pytest.raises(Conflict):  # an invalid transition raises and changes nothing
        moderation.approve_petition(moderator, petition)
    with pytest.raises(Conflict):
        moderation.reject_petition(moderator, petition, "no_action")
    db.session.refresh(petition)
    assert petition.state == "open" and petition.rejection_reason is None


@pytest.mark.parametrize("reason", [r.value for r in RejectionReason])
def test_rejection_with_each_reason(small, frozen, creator, moderator, outbox, reason):
    app = small
    app.config["CIVIC_PETITION_SPONSORS"] = 0
    original = None
    if reason == "duplicate":
        original = lifecycle.create_petition(creator, fields(title="Plant trees along the river"))
        moderation.approve_petition(moderator, original)
        with pytest.raises(InvalidInput, match="published petition"):
            moderation.reject_petition(moderator, lifecycle.create_petition(creator, fields()), reason)
        db.session.rollback()
    petition = lifecycle.create_petition(creator, fields())
    assert petition.state == "pending"
    moderation.reject_petition(
        moderator, petition, reason, "See the standards.", duplicate_of_id=original.id if original else None
    )
    hidden = RejectionReason(reason) in HIDING_REASONS
    assert petition.state == ("hidden" if hidden else "rejected")
    assert petition.rejection_reason == reason and petition.rejection_comment == "See the standards."
    assert can(None, "petition.view", petition) is (not hidden)
    assert can(creator, "petition.view", petition) and can(moderator, "petition.view", petition)
    assert (petition.duplicate_of_id == original.id) if original else petition.duplicate_of_id is None
    assert "not accepted" in mail_to(outbox, creator.email)[-1]["Subject"]
    with pytest.raises(ParticipationClosed, match="rejected"):
        signing.sign_petition(petition, signer(1))


def test_moderation_needs_a_reason_and_the_role(small, frozen, creator, moderator, make_user):
    small.config["CIVIC_PETITION_SPONSORS"] = 0
    petition = lifecycle.create_petition(creator, fields())
    with pytest.raises(InvalidInput):
        moderation.reject_petition(moderator, petition, "because")
    with pytest.raises(NotAllowed):
        moderation.approve_petition(make_user(), petition)
    with pytest.raises(NotAllowed):
        moderation.approve_petition(make_user(roles=("citizen", "official")), petition)
    assert petition.state == "pending"


def test_a_second_opinion_then_approval(small, frozen, creator, moderator, make_user):
    small.config["CIVIC_PETITION_SPONSORS"] = 0
    petition = lifecycle.create_petition(creator, fields())
    with pytest.raises(InvalidInput):
        moderation.flag_petition(moderator, petition, "   ")
    moderation.flag_petition(moderator, petition, "Is this about a named person?")
    assert petition.state == "flagged" and petition.flag_note.startswith("Is this")
    with pytest.raises(Conflict):
        moderation.flag_petition(moderator, petition, "again")
    moderation.approve_petition(make_user(roles=("citizen", "moderator")), petition)
    assert petition.state == "open"


def test_the_transition_table_is_closed_under_its_states():
    assert set(TRANSITIONS) == set(S)
    assert all(target in S for targets in TRANSITIONS.values() for target in targets)
    assert TRANSITIONS[S.REJECTED] == frozenset()
    # Closed and hidden move only through readers' reports and their review (moderation.kinds).
    assert TRANSITIONS[S.CLOSED] == {S.HIDDEN} and TRANSITIONS[S.HIDDEN] == {S.OPEN, S.CLOSED}


def test_bad_petition_text_is_refused_with_nothing_stored(small, frozen, creator):
    before = db.session.query(Petition).count()
    with pytest.raises(InvalidInput) as info:
        lifecycle.create_petition(creator, fields(title="x" * 81, background="", details="y" * 801, area="Atlantis"))
    assert set(info.value.errors) == {"title", "background", "details", "area"}
    with pytest.raises(InvalidInput, match="only a link"):
        lifecycle.create_petition(creator, fields(title="https://example.org/petition"))
    with pytest.raises(InvalidInput, match="only a link"):
        lifecycle.create_petition(creator, fields(background="www.example.org/why "))
    assert db.session.query(Petition).count() == before


def test_thresholds_are_stamped_when_reached(open_petition, outbox, frozen):
    petition = open_petition  # 3 signatures: creator and two sponsors
    assert queries.progress(petition) == {"count": 3, "target": 4, "kind": "response", "percent": 75}
    frozen.set(START + timedelta(days=2))
    sign_and_confirm(petition, 1, outbox)
    db.session.refresh(petition)
    assert petition.response_threshold_reached_at == START + timedelta(days=2)
    assert petition.debate_threshold_reached_at is None
    assert queries.progress(petition)["kind"] == "debate"
    for n in (2, 3):
        sign_and_confirm(petition, n, outbox)
    db.session.refresh(petition)
    assert petition.signature_count == 6 and petition.debate_threshold_reached_at is not None
    assert queries.progress(petition)["target"] is None
    listed = {view: [p.id for p in queries.list_petitions(view).items] for view in queries.LIST_VIEWS}
    assert listed["open"] == listed["awaiting_response"] == [petition.id]


def test_it_closes_by_itself_on_time(open_petition, outbox, frozen):
    petition = open_petition
    signing.sign_petition(petition, signer(9))  # not confirmed before closing
    frozen.set(petition.closes_at - timedelta(seconds=1))
    assert petition.current_state is S.OPEN
    frozen.set(petition.closes_at)
    assert petition.current_state is S.CLOSED and petition.state == "open"  # read as closed at once
    with pytest.raises(ParticipationClosed, match="closed on"):
        signing.sign_petition(petition, signer(10))
    with pytest.raises(ParticipationClosed):
        signing.confirm_signature(petition, token_in(outbox, "signer9@example.org"))
    assert [p.id for p in queries.list_petitions("closed").items] == [petition.id]
    assert lifecycle.close_due_petitions() == 1 and petition.state == "closed"
    assert petition.closed_at == petition.closes_at and lifecycle.close_due_petitions() == 0
    assert "has closed" in mail_to(outbox, "carmen@example.org")[-1]["Subject"]


def test_the_response_and_the_debate_are_mailed_to_signers_who_asked(
    open_petition, official, outbox, frozen, make_user
):
    petition = open_petition
    for n in range(1, 6):
        sign_and_confirm(petition, n, outbox, notify=n % 2 == 1)
    signing.sign_petition(petition, signer(50, notify=True))  # never confirmed: not mailed
    with pytest.raises(NotAllowed):
        responses.publish_response(make_user(roles=("citizen", "moderator")), petition, "No.", "")
    with pytest.raises(InvalidInput):
        responses.publish_response(official, petition, "", "x" * 10_001)
    responses.publish_response(official, petition, "We will plant 60 trees this winter.", "**Details** follow.")
    assert "<strong>Details</strong>" in petition.response_details_html
    assert send_mailings(batch=2) == 2  # in batches
    assert send_mailings(batch=2) == 2  # creator (asked for news) + signers 1, 3, 5
    assert send_mailings(batch=2) == 0
    mailed = {m["To"] for _i, m in outbox.messages() if "responded" in m["Subject"]}
    assert mailed == {"carmen@example.org", "signer1@example.org", "signer3@example.org", "signer5@example.org"}
    responses.publish_response(official, petition, "Updated: 70 trees.", "")
    assert db.session.query(Mailing).count() == 1  # an update is not mailed again
    responses.schedule_debate(official, petition, date(2027, 5, 1))
    with pytest.raises(InvalidInput, match="taken place"):
        responses.publish_debate_outcome(official, petition, date(2027, 5, 1), "Debated.")
    frozen.set(START + timedelta(days=70))
    with pytest.raises(InvalidInput) as info:
        responses.publish_debate_outcome(official, petition, date(2027, 5, 1), "", transcript_url="javascript:alert(1)")
    assert set(info.value.errors) == {"overview", "transcript_url"}
    responses.publish_debate_outcome(
        official,
        petition,
        date(2027, 5, 1),
        "The council agreed.",
        transcript_url="https://council.example.org/minutes/12",
    )
    assert send_mailings() == 8
    assert [p.id for p in queries.list_petitions("debated").items] == [petition.id]
    assert [p.id for p in queries.list_petitions("with_response").items] == [petition.id]


def test_similar_petitions_are_found_by_their_words(small, frozen, creator, moderator):
    small.config["CIVIC_PETITION_SPONSORS"] = 0
    for title in ("Plant more trees in the Old Town", "Open the library on Sundays", "Fix the potholes on Hill Road"):
        moderation.approve_petition(
            moderator, lifecycle.create_petition(creator, fields(title=title, background="Because."))
        )
    hidden = lifecycle.create_petition(creator, fields(title="Plant trees and ban the mayor", background="Because."))
    moderation.reject_petition(moderator, hidden, "offensive")
    found = queries.similar_petitions("Planting trees in the old town please")
    assert [p.title for p in found][:1] == ["Plant more trees in the Old Town"]
    assert all("mayor" not in p.title for p in found)  # hidden petitions are never suggested
    assert queries.similar_petitions("ab") == []
