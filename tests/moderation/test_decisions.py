"""Moderation decisions (issue 14, DSA art. 17): a moderator decides through one function, the person
concerned gets a statement of reasons, may appeal once within the window, another moderator decides
the appeal, and sanctions stop every writing action."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.audit import public_log
from civic.audit.models import AuditEntry
from civic.consultations.services import lifecycle as consultation_lifecycle
from civic.consultations.services import statements
from civic.discussions.services.comments import post_comment
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.extensions import db
from civic.moderation.models import APPEAL_MAX_LENGTH, EXPLANATION_MAX_LENGTH, ModerationDecision
from civic.moderation.services.decisions import appeal_decision, decide, decide_appeal, my_decisions
from civic.moderation.services.reports import report_comment
from civic.petitions.models import REJECTION_LABELS, RejectionReason
from civic.petitions.services import lifecycle as petition_lifecycle
from civic.petitions.services import moderation as petition_moderation
from tests.support.consultations import OPENS, draft_fields
from tests.support.downloads import csv_rows
from tests.support.mail import mail_to
from tests.support.petitions import fields as petition_fields


@pytest.fixture
def author(make_user):
    return make_user("author@example.org", name="Ana Author")


@pytest.fixture
def comment(author, open_discussion):
    return post_comment(author, open_discussion, body="You are all idiots")


@pytest.fixture
def other_moderator(make_user):
    return make_user("second@example.org", roles=("citizen", "moderator"), name="Second Moderator")


def hide(moderator, comment, explanation="Insults other readers (rule 2)"):
    return decide(moderator, "comment", comment.id, "hide", "abuse", explanation)


# Deciding ------------------------------------------------------------------------------------


def test_a_moderator_hides_content_through_one_decision_recorded_and_audited(moderator, comment, author):
    decision = hide(moderator, comment)
    db.session.refresh(comment)
    assert comment.is_hidden and comment.hidden_reason == "Abuse or harassment"
    assert (decision.action, decision.content_kind, decision.content_id) == ("hide", "comment", comment.id)
    assert (decision.reason, decision.moderator_id, decision.subject_id) == ("abuse", moderator.id, author.id)
    entry = db.session.get(AuditEntry, decision.audit_entry_id)
    assert (entry.action, entry.target_id, entry.actor_id) == ("comment.hide", comment.id, moderator.id)


def test_citizens_cannot_decide(make_user, comment):
    with pytest.raises(NotAllowed):
        hide(make_user(), comment)
    assert not comment.is_hidden and db.session.scalar(select(ModerationDecision)) is None


def test_a_decision_refuses_unknown_reasons_actions_content_and_long_explanations(moderator, comment):
    with pytest.raises(InvalidInput):
        decide(moderator, "comment", comment.id, "hide", "boring", "x")
    with pytest.raises(InvalidInput):
        decide(moderator, "comment", comment.id, "hide_pending_review", "spam", "x")
    with pytest.raises(InvalidInput):
        decide(moderator, "comment", comment.id, "hide", "spam", "x" * (EXPLANATION_MAX_LENGTH + 1))
    with pytest.raises(InvalidInput):
        decide(moderator, "comment", comment.id, "suspend", "spam", "x", days=3)
    with pytest.raises(NotFound):
        decide(moderator, "comment", 999_999, "hide", "spam", "x")
    with pytest.raises(NotFound):
        decide(moderator, "petition-of-nothing", comment.id, "hide", "spam", "x")
    hide(moderator, comment)
    with pytest.raises(Conflict):
        hide(moderator, comment)
    assert len(db.session.scalars(select(ModerationDecision)).all()) == 1


def test_restoring_shows_the_content_again_as_a_decision(moderator, comment):
    hide(moderator, comment)
    restored = decide(moderator, "comment", comment.id, "restore", "other", "Quoted, not insulting")
    db.session.refresh(comment)
    assert not comment.is_hidden and restored.action == "restore"
    assert db.session.get(AuditEntry, restored.audit_entry_id).action == "content.restore"


# The statement of reasons ----------------------------------------------------------------------


def test_the_author_is_mailed_the_statement_of_reasons_in_their_language(moderator, comment, author, outbox):
    author.language = "es"
    db.session.commit()
    hide(moderator, comment)
    (message,) = mail_to(outbox, author.email)
    body = message.get_body(("plain",)).get_content()
    assert "Insults other readers (rule 2)" in body and "Insultos o acoso" in body
    assert "/account/decisions/" in body


def test_the_author_sees_their_text_and_the_statement_of_reasons(web, moderator, comment, author):
    decision = hide(moderator, comment)
    web.sign_in(author.email)
    listing = web.get("/account/decisions").get_data(as_text=True)
    assert "Abuse or harassment" in listing and f"/account/decisions/{decision.id}" in listing
    page = web.get(f"/account/decisions/{decision.id}").get_data(as_text=True)
    assert "You are all idiots" in page and "Insults other readers (rule 2)" in page
    assert "You can appeal once, until" in page
    public = web.get(f"/discussions/{comment.discussion_id}").get_data(as_text=True)
    assert "Hidden by moderation: Abuse or harassment" in public and "You are all idiots" not in public


def test_nobody_else_reads_a_statement_of_reasons(web, login_as, moderator, comment):
    decision = hide(moderator, comment)
    login_as("citizen")
    assert web.get(f"/account/decisions/{decision.id}").status_code == 404
    assert "Insults" not in web.get("/account/decisions").get_data(as_text=True)


# Appeals ---------------------------------------------------------------------------------------


def test_the_author_appeals_once_only(moderator, comment, author):
    decision = hide(moderator, comment)
    appeal_decision(author, decision.id, "It was a joke among friends")
    assert decision.appeal_is_open and decision.appeal_text == "It was a joke among friends"
    with pytest.raises(Conflict, match="once"):
        appeal_decision(author, decision.id, "Again")


def test_an_appeal_after_the_window_is_refused(app, frozen, moderator, comment, author):
    decision = hide(moderator, comment)
    frozen.advance(days=app.config["CIVIC_APPEAL_DAYS"], hours=1)
    with pytest.raises(Conflict, match="passed"):
        appeal_decision(author, decision.id, "Too late?")
    assert decision.appealed_at is None


@pytest.mark.app_config(CIVIC_APPEAL_DAYS=2)
def test_the_appeal_window_is_configured(frozen, moderator, comment, author):
    decision = hide(moderator, comment)
    frozen.advance(days=2, minutes=1)
    with pytest.raises(Conflict):
        appeal_decision(author, decision.id, "Three days later")


def test_only_the_person_concerned_appeals_with_a_limited_text(make_user, moderator, comment, author):
    decision = hide(moderator, comment)
    with pytest.raises(NotFound):
        appeal_decision(make_user(), decision.id, "On their behalf")
    with pytest.raises(InvalidInput):
        appeal_decision(author, decision.id, "")
    with pytest.raises(InvalidInput):
        appeal_decision(author, decision.id, "x" * (APPEAL_MAX_LENGTH + 1))
    assert decision.appealed_at is None


def test_a_moderator_cannot_decide_the_appeal_of_their_own_decision(moderator, comment, author):
    decision = hide(moderator, comment)
    appeal_decision(author, decision.id, "Please look again")
    with pytest.raises(NotAllowed, match="another moderator"):
        decide_appeal(moderator, decision.id, "reversed", "I changed my mind")
    assert decision.appeal_is_open


def test_citizens_cannot_decide_appeals(make_user, moderator, comment, author):
    decision = hide(moderator, comment)
    appeal_decision(author, decision.id, "Please look again")
    with pytest.raises(NotAllowed):
        decide_appeal(make_user(), decision.id, "reversed", "Why not")


def test_reversal_by_another_moderator_restores_the_content_audited_and_mailed(
    moderator, other_moderator, comment, author, outbox
):
    decision = hide(moderator, comment)
    appeal_decision(author, decision.id, "It was a joke among friends")
    decide_appeal(other_moderator, decision.id, "reversed", "Read in context, it is banter")
    db.session.refresh(comment)
    assert not comment.is_hidden
    assert (decision.appeal_outcome, decision.appeal_decided_by_id) == ("reversed", other_moderator.id)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "appeal.reverse"))
    assert entry.target_id == decision.id and entry.actor_id == other_moderator.id
    last = mail_to(outbox, author.email)[-1]
    body = last.get_body(("plain",)).get_content()
    assert "Reversed" in body and "Read in context, it is banter" in body
    with pytest.raises(Conflict):
        decide_appeal(other_moderator, decision.id, "upheld", "Twice")


def test_an_upheld_appeal_leaves_the_content_hidden(moderator, other_moderator, comment, author):
    decision = hide(moderator, comment)
    appeal_decision(author, decision.id, "Please")
    decide_appeal(other_moderator, decision.id, "upheld", "It insults readers")
    db.session.refresh(comment)
    assert comment.is_hidden and decision.appeal_outcome == "upheld"


def test_content_hidden_by_reports_is_an_automatic_decision_any_moderator_decides_on_appeal(
    app, make_user, moderator, comment, author
):
    app.config["CIVIC_REPORTS_TO_HIDE"] = 1
    reporter = make_user()
    reporter.created_at = reporter.created_at - timedelta(days=30)
    db.session.commit()
    report_comment(reporter, comment, reason="spam")
    (decision,) = my_decisions(author)
    assert (decision.action, decision.moderator_id, decision.reason) == ("hide_pending_review", None, "spam")
    appeal_decision(author, decision.id, "Not spam")
    decide_appeal(moderator, decision.id, "reversed", "Not spam indeed")
    db.session.refresh(comment)
    assert not comment.is_hidden


def test_the_appeal_pages(web, login_as, moderator, other_moderator, comment, author):
    decision = hide(moderator, comment)
    web.sign_in(author.email)
    url = f"/account/decisions/{decision.id}"
    assert web.post(url, {"text": ""}, form_url=url).status_code == 422
    assert web.post(url, {"text": "It was a joke"}, form_url=url).status_code == 302
    assert "You can appeal once" not in web.get(url).get_data(as_text=True)
    web.post("/sign-out")
    web.sign_in(moderator.email)
    listing = web.get("/staff/appeals").get_data(as_text=True)
    assert f"/staff/appeals/{decision.id}" in listing
    own = web.get(f"/staff/appeals/{decision.id}").get_data(as_text=True)
    assert "It was a joke" in own and "another moderator must decide its appeal" in own
    refused = web.post(
        f"/staff/appeals/{decision.id}", {"outcome": "reversed", "explanation": "x"}, form_url="/staff/appeals"
    )
    assert refused.status_code == 403
    web.post("/sign-out")
    web.sign_in(other_moderator.email)
    target = f"/staff/appeals/{decision.id}"
    sent = web.post(target, {"outcome": "reversed", "explanation": "Banter"}, form_url=target)
    assert sent.status_code == 302
    db.session.refresh(comment)
    assert not comment.is_hidden


def test_citizens_see_no_staff_decision_pages(web, login_as, moderator, comment, author):
    decision = hide(moderator, comment)
    login_as("citizen")
    for path in ("/staff/appeals", f"/staff/appeals/{decision.id}", f"/staff/people/{author.id}/sanction"):
        assert web.get(path).status_code == 403


# Sanctions -----------------------------------------------------------------------------------


def test_a_warning_is_mailed_and_recorded(moderator, author, outbox):
    decision = decide(moderator, "user", author.id, "warn", "spam", "Stop posting adverts")
    assert (decision.action, decision.subject_id, decision.content_kind) == ("warn", author.id, "user")
    body = mail_to(outbox, author.email)[-1].get_body(("plain",)).get_content()
    assert "Warning" in body and "Stop posting adverts" in body
    assert db.session.get(AuditEntry, decision.audit_entry_id).action == "user.warn"


def test_a_suspended_person_is_refused_writes_until_the_end_and_told_why(
    frozen, moderator, author, open_discussion, web
):
    decision = decide(moderator, "user", author.id, "suspend", "abuse", "Repeated insults", days=3)
    assert decision.until == frozen.moment + timedelta(days=3)
    with pytest.raises(NotAllowed, match="suspended until"):
        post_comment(author, open_discussion, body="Back again")
    web.sign_in(author.email)
    page = web.get(f"/discussions/{open_discussion.id}").get_data(as_text=True)
    assert "Your account is suspended until" in page and "/account/decisions" in page
    frozen.advance(days=3, minutes=1)
    assert post_comment(author, open_discussion, body="Back again").id


def test_suspension_days_are_limited(moderator, author):
    for days in (0, 366, "soon", None):
        with pytest.raises(InvalidInput):
            decide(moderator, "user", author.id, "suspend", "abuse", "Insults", days=days)
    with pytest.raises(Conflict):
        decide(moderator, "user", moderator.id, "ban", "abuse", "Myself")


def test_reversing_a_suspension_on_appeal_lifts_it(moderator, other_moderator, author, open_discussion):
    decision = decide(moderator, "user", author.id, "suspend", "abuse", "Repeated insults", days=30)
    appeal_decision(author, decision.id, "I was quoting someone")
    decide_appeal(other_moderator, decision.id, "reversed", "Quoting is fine")
    assert author.suspended_until is None
    assert post_comment(author, open_discussion, body="Thanks").id


def test_a_banned_person_signs_in_reads_and_appeals_but_cannot_write(
    web, moderator, other_moderator, author, open_discussion
):
    decision = decide(moderator, "user", author.id, "ban", "illegal", "Threats")
    with pytest.raises(NotAllowed, match="banned"):
        post_comment(author, open_discussion, body="Hello")
    web.sign_in(author.email)
    assert "Your account is banned" in web.get("/").get_data(as_text=True)
    url = f"/account/decisions/{decision.id}"
    assert web.post(url, {"text": "It was not a threat"}, form_url=url).status_code == 302
    db.session.expire_all()
    decide_appeal(other_moderator, decision.id, "reversed", "Not a threat")
    db.session.refresh(author)
    assert author.banned_at is None


def test_moderators_sanction_from_a_persons_staff_page(web, login_as, author, outbox):
    login_as("moderator")
    url = f"/staff/people/{author.id}/sanction"
    bad = web.post(url, {"action": "suspend", "days": "0", "reason": "abuse", "explanation": "x"}, form_url=url)
    assert bad.status_code == 422 and author.suspended_until is None
    sent = web.post(url, {"action": "suspend", "days": "7", "reason": "abuse", "explanation": "Insults"}, form_url=url)
    assert sent.status_code == 302
    db.session.refresh(author)
    assert author.suspended_until is not None
    assert "Suspension" in web.get(url).get_data(as_text=True)


def test_the_admin_page_of_a_person_links_to_the_sanctions(web, login_as, author):
    login_as("admin")
    assert f"/staff/people/{author.id}/sanction" in web.get(f"/admin/users/{author.id}").get_data(as_text=True)


# The public moderation log -----------------------------------------------------------------------


def test_the_public_log_shows_whether_a_decision_was_appealed_and_its_outcome(
    web, moderator, other_moderator, comment, author, make_user, open_discussion
):
    decision = hide(moderator, comment)
    second = hide(moderator, post_comment(author, open_discussion, body="Spam spam"), "Adverts")
    hide(moderator, post_comment(make_user(), open_discussion, body="Rude"), "Rude")
    appeal_decision(author, decision.id, "A joke")
    appeal_decision(author, second.id, "Not spam")
    decide_appeal(other_moderator, decision.id, "reversed", "Banter")
    states = {d.appeal_outcome_label for d in public_log.public_decisions().items if d.action == "comment.hide"}
    assert states == {"Reversed", "Pending", ""}
    page = web.get("/moderation-log").get_data(as_text=True)
    assert "Reversed" in page and "Pending" in page and "Ana Author" not in page and "Banter" not in page
    rows = csv_rows(web.get("/moderation-log.csv"))
    hides = [row for row in rows[1:] if row[2] == "Comment hidden"]
    assert sorted((row[4], row[5]) for row in hides) == [("", ""), ("Yes", "Pending"), ("Yes", "Reversed")]


# Petitions and statements, rejected by their own services ------------------------------------------


def test_a_rejected_petition_is_an_appealable_decision_with_its_own_reason(app, web, moderator, author):
    app.config["CIVIC_PETITION_SPONSORS"] = 0
    petition = petition_lifecycle.create_petition(author, petition_fields(title="Ban the Tuesday market"))
    petition_moderation.reject_petition(moderator, petition, "offensive", "Insults the stallholders")
    (decision,) = my_decisions(author)
    assert (decision.action, decision.content_kind, decision.content_id) == ("hide", "petition", petition.id)
    assert (decision.reason, decision.moderator_id) == ("offensive", moderator.id)
    assert decision.explanation == "Insults the stallholders"
    entry = db.session.get(AuditEntry, decision.audit_entry_id)
    assert entry.action == "petition.reject"
    appeal_decision(author, decision.id, "It is satire")
    web.sign_in(author.email)
    page = web.get(f"/account/decisions/{decision.id}").get_data(as_text=True)
    assert "Petition: “Ban the Tuesday market" in page and "Appealed on" in page
    assert str(REJECTION_LABELS[RejectionReason.OFFENSIVE]) in page


def test_a_rejected_statement_is_an_appealable_decision(frozen, official, moderator, author):
    frozen.set(OPENS - timedelta(days=20))
    survey = consultation_lifecycle.create_consultation(official, draft_fields(title="Night buses", summary="s"))
    consultation_lifecycle.publish_consultation(official, survey)
    frozen.set(OPENS + timedelta(days=1))
    statements.set_statement_options(official, survey, enabled=True, premoderated=True)
    statement = statements.add_statement(author, survey, "Buses should run all night, idiots")
    statements.moderate_statement(moderator, statement, approve=False, reason="Insulting")
    (decision,) = my_decisions(author)
    assert (decision.action, decision.content_kind, decision.reason) == ("reject", "statement", "other")
    assert decision.explanation == "Insulting"
    appeal_decision(author, decision.id, "I take back the insult")
    assert decision.appeal_is_open


def test_a_suspended_person_refused_on_the_web_is_told_until_when_and_where_to_appeal(
    web, moderator, author, open_discussion
):
    decide(moderator, "user", author.id, "suspend", "spam", "Adverts", days=5)
    web.sign_in(author.email)
    url = f"/discussions/{open_discussion.id}"
    page = web.get(url).get_data(as_text=True)
    assert 'name="body"' not in page  # no comment form for them
    refused = web.post(f"{url}/comments", {"body": "Buy now"}, form_url="/account/decisions")
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert "suspended until" in text and "Moderation decisions" in text


@pytest.mark.app_config(CIVIC_REPORTS_TO_HIDE=5)
def test_hiding_from_the_items_hide_page_upholds_its_reports_as_the_queue_does(moderator, comment, make_user):
    from civic.moderation.models import Report
    from civic.moderation.services.reports import count_open_items

    for _ in range(2):
        report_comment(make_user(), comment, reason="abuse")
    assert count_open_items() == 1
    hide(moderator, comment)
    assert count_open_items() == 0
    assert {r.state for r in db.session.scalars(select(Report))} == {"upheld"}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "report.uphold"))
    assert entry.details == {"reason": "abuse", "reports": 2}
