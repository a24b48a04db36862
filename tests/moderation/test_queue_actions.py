"""What moderators do from the queue: dismiss, hide with a standard reason, show again, edit out
personal data, bulk in batches (nothing half-applied), hide all of a person's content; the pages."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civic.audit.models import AuditEntry
from civic.common.models import utcnow
from civic.discussions.models import CommentRevision
from civic.discussions.services.comments import post_comment
from civic.errors import InvalidInput, NotAllowed
from civic.extensions import db
from civic.moderation import kinds
from civic.moderation.models import ModerationDecision, Report, ReportState
from civic.moderation.services import actions
from civic.moderation.services.reports import report_comment
from tests.moderation.test_queue import report
from tests.support.mail import mail_to


@pytest.fixture
def author(make_user):
    return make_user(name="Rude Author")


@pytest.fixture
def comments(open_discussion, author, make_user):
    reporter = make_user()
    made = []
    for k in range(5):
        comment = post_comment(author, open_discussion, body=f"Rude thing {k}")
        report(reporter, comment, "abuse")
        made.append(comment)
    return made


def audit_count(action):
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def states():
    return sorted(db.session.scalars(select(Report.state)))


def test_dismissing_decides_the_reports_and_leaves_the_content(comments, moderator):
    result = actions.dismiss_items(moderator, "comment", [comments[0].id])
    assert result.done == 1
    assert states().count(ReportState.DISMISSED) == 1
    assert not comments[0].is_hidden
    assert audit_count("report.dismiss") == 1


def test_dismissing_shows_again_what_reports_hid_but_not_what_a_moderator_hid(
    open_discussion, author, make_user, moderator, app
):
    app.config["CIVIC_REPORTS_TO_HIDE"] = 1
    comment = post_comment(author, open_discussion, body="Hidden by reports")
    reporter = make_user()
    reporter.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    report_comment(reporter, comment, reason="spam")
    assert comment.is_hidden
    actions.dismiss_items(moderator, "comment", [comment.id])
    assert not comment.is_hidden


def test_hiding_uses_a_standard_reason_upholds_the_reports_and_is_audited(comments, moderator):
    result = actions.hide_items(moderator, "comment", [comments[0].id], "abuse", "Insults a neighbour")
    assert result.done == 1
    assert comments[0].is_hidden
    assert comments[0].hidden_reason == "Abuse or harassment"  # the explanation is for the author only
    decision = db.session.scalar(select(ModerationDecision).where(ModerationDecision.content_id == comments[0].id))
    assert (decision.action, decision.reason, decision.explanation) == ("hide", "abuse", "Insults a neighbour")
    assert states().count(ReportState.UPHELD) == 1
    uphold = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "report.uphold"))
    assert uphold.details == {"reason": "abuse", "reports": 1}
    assert audit_count("comment.hide") == 1


def test_hiding_refuses_a_reason_not_in_the_list(comments, moderator):
    with pytest.raises(InvalidInput):
        actions.hide_items(moderator, "comment", [comments[0].id], "boring")
    assert not comments[0].is_hidden


def test_showing_again_undoes_a_hiding(comments, moderator):
    actions.hide_items(moderator, "comment", [comments[0].id], "spam")
    assert actions.show_items_again(moderator, "comment", [comments[0].id]).done == 1
    assert not comments[0].is_hidden
    assert audit_count("content.restore") == 1


def test_showing_again_from_the_queue_is_a_restore_decision_with_the_hidings_reason(
    comments, moderator, author, outbox
):
    actions.hide_items(moderator, "comment", [comments[0].id], "hate", "Slur")
    told_of_the_hiding = len(mail_to(outbox, author.email))
    actions.show_items_again(moderator, "comment", [comments[0].id, comments[1].id])  # the second was not hidden
    restore = db.session.scalar(select(ModerationDecision).where(ModerationDecision.action == "restore"))
    assert (restore.content_id, restore.reason, restore.subject_id) == (comments[0].id, "hate", author.id)
    entry = db.session.get(AuditEntry, restore.audit_entry_id)
    assert (entry.action, entry.details) == ("content.restore", {"reason": "hate"})
    assert len(mail_to(outbox, author.email)) == told_of_the_hiding + 1  # told, as by the decision page


def test_editing_out_personal_data_keeps_the_original_for_moderators(comments, moderator):
    actions.edit_out_personal_data(moderator, "comment", comments[0].id, "Rude thing [removed]")
    assert comments[0].body_markdown == "Rude thing [removed]"
    kept = db.session.scalars(select(CommentRevision.body_markdown)).all()
    assert kept == ["Rude thing 0"]
    assert audit_count("comment.redact") == 1


def test_citizens_cannot_act_on_the_queue(comments, citizen):
    for action in (
        lambda: actions.dismiss_items(citizen, "comment", [comments[0].id]),
        lambda: actions.hide_items(citizen, "comment", [comments[0].id], "spam"),
        lambda: actions.show_items_again(citizen, "comment", [comments[0].id]),
        lambda: actions.edit_out_personal_data(citizen, "comment", comments[0].id, "x"),
        lambda: actions.hide_all_of_author(citizen, comments[0].author, "spam"),
    ):
        with pytest.raises(NotAllowed):
            action()
    assert not comments[0].is_hidden
    assert states() == [ReportState.OPEN] * 5


def test_bulk_hiding_goes_in_batches_with_exact_audit_and_counts(comments, moderator, monkeypatch):
    monkeypatch.setattr(actions, "BATCH_SIZE", 2)
    result = actions.hide_items(moderator, "comment", [c.id for c in comments], "spam")
    assert (result.done, result.batches) == (5, 3)
    assert audit_count("comment.hide") == 5
    assert audit_count("report.uphold") == 5
    assert comments[0].discussion.comment_count == 0


def test_a_failing_batch_is_rolled_back_whole_and_earlier_batches_stand(comments, moderator, monkeypatch):
    monkeypatch.setattr(actions, "BATCH_SIZE", 2)
    real_hide = kinds.COMMENT.hide
    calls = {"n": 0}

    def failing_hide(item, actor, reason):
        calls["n"] += 1
        if calls["n"] == 4:  # the second item of the second batch
            raise RuntimeError("disk full")
        return real_hide(item, actor, reason)

    object.__setattr__(kinds.COMMENT, "hide", failing_hide)  # the kind is a frozen dataclass
    try:
        with pytest.raises(actions.BatchFailed) as failure:
            actions.hide_items(moderator, "comment", [c.id for c in comments], "spam")
    finally:
        object.__setattr__(kinds.COMMENT, "hide", real_hide)
    assert failure.value.done == 2
    db.session.expire_all()
    assert [c.is_hidden for c in comments] == [True, True, False, False, False]
    assert audit_count("comment.hide") == 2
    assert audit_count("report.uphold") == 2
    assert states().count(ReportState.UPHELD) == 2


def test_hiding_all_of_a_person_hides_everything_they_wrote(comments, open_discussion, author, moderator, make_user):
    unreported = post_comment(author, open_discussion, body="Not reported")
    other = post_comment(make_user(), open_discussion, body="Someone else")
    result = actions.hide_all_of_author(moderator, author, "spam", "Spam account")
    assert result.done == 7  # six comments, and the public profile
    assert all(c.is_hidden for c in comments) and unreported.is_hidden
    assert author.profile_is_hidden
    assert not other.is_hidden
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "content.hide_all_of_user"))
    assert entry.details == {"reason": "spam", "hidden": 7}


# --- pages ----------------------------------------------------------------------------------


def test_citizens_and_visitors_cannot_open_the_queue(comments, web, login_as):
    assert web.get("/staff/moderation").status_code in (302, 401)
    login_as("citizen")
    assert web.get("/staff/moderation").status_code == 403
    url = f"/staff/moderation/queue/comment/{comments[0].id}/hide"
    response = web.post(url, {"reason": "spam"}, form_url="/account")
    assert response.status_code == 403
    assert not comments[0].is_hidden


def test_a_moderator_sees_the_queue_and_hides_from_it(comments, web, login_as):
    login_as("moderator")
    page = web.get("/staff/moderation?sort=most_reported&kind=comment&reason=abuse&area=x&page=999")
    assert page.status_code == 200
    page = web.get("/staff/moderation")
    text = page.get_data(as_text=True)
    assert "Rude thing 0" in text and "Rude Author" in text
    response = web.post(
        f"/staff/moderation/queue/comment/{comments[0].id}/hide",
        {"reason": "abuse", "explanation": "Insults", "sort": "most_reported"},
        form_url="/staff/moderation",
    )
    assert response.status_code == 302 and "sort=most_reported" in response.headers["Location"]
    db.session.expire_all()
    assert comments[0].is_hidden


def test_the_bulk_form_dismisses_or_hides_the_ticked_items(comments, web, login_as):
    login_as("moderator")
    ticked = [f"comment:{c.id}" for c in comments[:3]] + ["nothing:1", "comment:x"]
    response = web.post(
        "/staff/moderation/bulk", {"item": ticked, "action": "hide", "reason": "spam"}, form_url="/staff/moderation"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [c.is_hidden for c in comments] == [True, True, True, False, False]
    web.post(
        "/staff/moderation/bulk",
        {"item": [f"comment:{comments[3].id}"], "action": "dismiss"},
        form_url="/staff/moderation",
    )
    assert states().count(ReportState.DISMISSED) == 1
    page = web.get("/staff/moderation").get_data(as_text=True)
    assert "1 item done." in page or "items done" in page


def test_the_edit_and_hide_all_pages_work_without_javascript(comments, author, web, login_as):
    login_as("moderator")
    url = f"/staff/moderation/comment/{comments[0].id}/edit"
    assert "Rude thing 0" in web.get(url).get_data(as_text=True)
    assert web.post(url, {"text": "Rude thing [removed]"}, form_url=url).status_code == 302
    url = f"/staff/moderation/users/{author.id}/hide-all"
    assert web.get(url).status_code == 200
    assert web.post(url, {"reason": "nonsense"}, form_url=url).status_code == 422
    assert web.post(url, {"reason": "spam"}, form_url=url).status_code == 302
    db.session.expire_all()
    assert all(c.is_hidden for c in comments)


def test_each_batch_is_announced_live_after_its_commit(comments, moderator, monkeypatch):
    from dataclasses import replace

    from sqlalchemy import text

    monkeypatch.setattr(actions, "BATCH_SIZE", 2)
    seen = []

    def announce(comment):
        # Read on a connection of its own: only what is committed is there.
        with db.engine.connect() as connection:
            hidden = connection.execute(
                text("SELECT hidden_at IS NOT NULL FROM comment WHERE id = :id"), {"id": comment.id}
            ).scalar()
        seen.append((comment.id, bool(hidden)))

    monkeypatch.setitem(kinds.KINDS, "comment", replace(kinds.COMMENT, announce=announce, announce_many=None))
    actions.hide_items(moderator, "comment", [c.id for c in comments], "spam")
    assert seen == [(c.id, True) for c in comments]


def test_hiding_what_reports_hid_pending_review_gives_it_the_moderators_reason(
    open_discussion, author, make_user, moderator, app
):
    app.config["CIVIC_REPORTS_TO_HIDE"] = 1
    comment = post_comment(author, open_discussion, body="Hidden by reports")
    reporter = make_user()
    reporter.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    report_comment(reporter, comment, reason="spam")
    count = comment.discussion.comment_count
    assert actions.hide_items(moderator, "comment", [comment.id], "spam", "Advertising").done == 1
    assert comment.is_hidden and comment.hidden_reason == "Spam or advertising"
    assert comment.discussion.comment_count == count  # counted out once
    hides = db.session.scalars(select(AuditEntry.actor_id).where(AuditEntry.action == "comment.hide")).all()
    assert hides == [None, moderator.id]


def test_the_bulk_form_refuses_more_ticked_items_than_its_limit(comments, web, login_as, monkeypatch):
    from civic.moderation.services import queue

    monkeypatch.setattr(queue, "MAX_TICKED", 3)
    login_as("moderator")
    ticked = [f"comment:{c.id}" for c in comments[:4]]
    response = web.post(
        "/staff/moderation/bulk", {"item": ticked, "action": "hide", "reason": "spam"}, form_url="/staff/moderation"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert not any(c.is_hidden for c in comments)
    assert "at most 3 items" in web.get("/staff/moderation").get_data(as_text=True)


def test_a_comment_hidden_from_the_queue_can_be_shown_again_from_the_staff_start_page(comments, web, login_as):
    moderator = login_as("moderator")
    actions.hide_items(moderator, "comment", [comments[0].id], "spam")
    page = web.get("/admin/").get_data(as_text=True)
    url = f"/staff/moderation/comment/{comments[0].id}/show"
    assert url in page
    assert web.post(url, form_url="/admin/").status_code == 302
    db.session.expire_all()
    assert not comments[0].is_hidden


def test_the_queue_offers_to_lock_a_reported_comments_discussion(comments, web, login_as):
    login_as("moderator")
    discussion_id = comments[0].discussion_id
    page = web.get("/staff/moderation").get_data(as_text=True)
    assert f"/discussions/{discussion_id}/lock" in page
    assert "Should Calle Mayor be car-free?" in page  # the discussion it is in


def test_a_bulk_hide_reaches_open_pages_as_one_event_per_batch(app, comments, open_discussion, moderator, monkeypatch):
    import contextvars

    from civic.extensions import socketio

    monkeypatch.setattr(actions, "BATCH_SIZE", 2)
    reader = contextvars.Context().run(socketio.test_client, app)
    assert reader.emit("join", {"kind": "discussion", "id": open_discussion.id}, callback=True)
    reader.get_received()
    actions.hide_items(moderator, "comment", [c.id for c in comments], "spam")
    received = reader.get_received()
    batches = [m["args"][0] for m in received if m["name"] == "comments_changed"]
    assert [len(batch["changes"]) for batch in batches] == [2, 2, 1]
    assert not [m for m in received if m["name"] == "comment_hidden"]
    changes = [change for batch in batches for change in batch["changes"]]
    assert [change["comment_id"] for change in changes] == [c.id for c in comments]
    assert all(change["event"] == "comment_hidden" and "Rude thing" not in change["html"] for change in changes)
    assert batches[-1]["counts"]["comments"] == 0


def test_a_bulk_hide_sends_each_author_one_mail_listing_their_decisions(comments, moderator, author, make_user, outbox):
    other = post_comment(make_user(name="Other Author"), comments[0].discussion, body="Rude too")
    actions.hide_items(moderator, "comment", [c.id for c in comments[:3]] + [other.id], "spam", "Flooding")
    (listing,) = mail_to(outbox, author.email)
    assert listing["Subject"].endswith("3 moderation decisions about you")
    body = listing.get_body(("plain",)).get_content()
    mine = db.session.scalars(select(ModerationDecision.id).where(ModerationDecision.subject_id == author.id)).all()
    assert len(mine) == 3 and all(f"/account/decisions/{number}" in body for number in mine)
    assert "Flooding" in body
    (single,) = mail_to(outbox, other.author.email)  # one decision: the statement of reasons itself
    assert "statement of reasons" in single.get_body(("plain",)).get_content()


def test_a_mail_about_many_decisions_lists_some_and_links_to_all(comments, moderator, author, outbox, monkeypatch):
    monkeypatch.setattr("civic.moderation.services.decisions.MAILED_DECISIONS_LISTED", 2)
    actions.hide_items(moderator, "comment", [c.id for c in comments], "spam")
    (listing,) = mail_to(outbox, author.email)
    body = listing.get_body(("plain",)).get_content()
    assert body.count("/account/decisions/") == 2 and "And 3 more" in body
    assert "on this page:\r\nhttp://localhost/account/decisions\r\n" in body
