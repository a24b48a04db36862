"""Reports of comments: who may report, what is refused, the weighted auto-hide, and the pages."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.audit.models import AuditEntry
from civic.common.models import utcnow
from civic.discussions.services.comments import delete_comment, post_comment
from civic.errors import Conflict, InvalidInput, NotAllowed, RateLimited
from civic.extensions import db
from civic.moderation.models import Report, ReportState
from civic.moderation.services.actions import dismiss_reports
from civic.moderation.services.reports import (
    DISTRUSTED_WEIGHT,
    NEW_ACCOUNT_WEIGHT,
    TRUSTED_WEIGHT,
    report_comment,
    reporter_weight,
)
from tests.support.moderation import hide_comment


def aged(user, days=30):
    user.created_at = utcnow() - timedelta(days=days)
    db.session.commit()
    return user


@pytest.fixture
def comment(open_discussion, make_user):
    return post_comment(make_user(name="Author"), open_discussion, body="Something rude")


def reporters(make_user, n, *, days=30):
    return [aged(make_user(), days) for _ in range(n)]


def past_reports(user, state, n, make_user, open_discussion):
    for _ in range(n):
        other = post_comment(make_user(), open_discussion, body="x")
        db.session.add(
            Report(reporter_id=user.id, content_kind="comment", content_id=other.id, reason="spam", state=state)
        )
    db.session.commit()


def test_a_reader_reports_a_comment_with_a_reason_and_a_note(comment, make_user):
    reporter = aged(make_user())
    report = report_comment(reporter, comment, reason="abuse", note="  Insults  ")
    assert (report.reason, report.note, report.state) == ("abuse", "Insults", ReportState.OPEN)
    assert not comment.is_hidden


def test_reporting_refuses_own_content_twice_removed_and_bad_reasons(comment, make_user, moderator):
    with pytest.raises(Conflict, match="your own comment"):
        report_comment(comment.author, comment, reason="spam")
    reporter = aged(make_user())
    with pytest.raises(InvalidInput):
        report_comment(reporter, comment, reason="boring")
    with pytest.raises(InvalidInput):
        report_comment(reporter, comment, reason="spam", note="x" * 1001)
    report_comment(reporter, comment, reason="spam")
    with pytest.raises(Conflict, match="already"):
        report_comment(reporter, comment, reason="hate")
    assert db.session.query(Report).count() == 1
    hide_comment(moderator, comment, "Rude")
    with pytest.raises(Conflict, match="hidden or deleted"):
        report_comment(aged(make_user()), comment, reason="spam")


def test_deleted_comments_cannot_be_reported(comment, make_user):
    delete_comment(comment.author, comment)
    with pytest.raises(Conflict):
        report_comment(aged(make_user()), comment, reason="spam")


@pytest.mark.app_config(RATELIMIT_ENABLED=True, CIVIC_LIMIT_REPORT="2 per hour")
def test_reports_are_rate_limited_per_person(open_discussion, make_user):
    reporter = aged(make_user())
    author = make_user()
    comments = [post_comment(author, open_discussion, body=f"c{i}") for i in range(3)]
    report_comment(reporter, comments[0], reason="spam")
    report_comment(reporter, comments[1], reason="spam")
    with pytest.raises(RateLimited, match="many reports"):
        report_comment(reporter, comments[2], reason="spam")


def test_weights_new_trusted_and_distrusted_reporters(make_user, open_discussion):
    assert reporter_weight(make_user()) == NEW_ACCOUNT_WEIGHT
    plain = aged(make_user())
    assert reporter_weight(plain) == 1.0
    trusted, distrusted = aged(make_user()), aged(make_user())
    past_reports(trusted, ReportState.UPHELD, 2, make_user, open_discussion)
    past_reports(distrusted, ReportState.DISMISSED, 3, make_user, open_discussion)
    assert reporter_weight(trusted) == TRUSTED_WEIGHT
    assert reporter_weight(distrusted) == DISTRUSTED_WEIGHT


def test_three_established_reporters_hide_the_comment_pending_review(comment, make_user):
    first, second, third = reporters(make_user, 3)
    report_comment(first, comment, reason="spam")
    report_comment(second, comment, reason="abuse")
    assert not comment.is_hidden
    report_comment(third, comment, reason="hate")
    db.session.refresh(comment)
    assert comment.is_hidden and comment.hidden_reason == "pending review, after readers' reports"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "comment.hide")).one()
    assert entry.actor_id is None and entry.target_id == comment.id


def test_new_accounts_alone_cannot_hide_however_many(comment, make_user):
    for user in [make_user() for _ in range(8)]:
        report_comment(user, comment, reason="spam")
    db.session.refresh(comment)
    assert not comment.is_hidden


def test_two_trusted_reporters_hide_what_two_plain_ones_do_not(comment, make_user, open_discussion):
    trusted = reporters(make_user, 2)
    for user in trusted:
        past_reports(user, ReportState.UPHELD, 2, make_user, open_discussion)
    report_comment(trusted[0], comment, reason="spam")
    db.session.refresh(comment)
    assert not comment.is_hidden
    report_comment(trusted[1], comment, reason="spam")  # 1.5 + 1.5 = 3
    db.session.refresh(comment)
    assert comment.is_hidden


def test_distrusted_reporters_count_half(comment, make_user, open_discussion):
    distrusted = reporters(make_user, 2)
    for user in distrusted:
        past_reports(user, ReportState.DISMISSED, 3, make_user, open_discussion)
    plain = reporters(make_user, 2)
    for user in distrusted + plain:  # 0.5 + 0.5 + 1 + 1 = 3
        db.session.refresh(comment)
        assert not comment.is_hidden
        report_comment(user, comment, reason="spam")
    db.session.refresh(comment)
    assert comment.is_hidden


@pytest.mark.app_config(CIVIC_REPORTS_TO_HIDE=1)
def test_the_threshold_is_configurable(comment, make_user):
    report_comment(aged(make_user()), comment, reason="spam")
    db.session.refresh(comment)
    assert comment.is_hidden


def test_moderators_dismiss_the_reports_of_an_item_audited(comment, make_user, moderator):
    for user in reporters(make_user, 2):
        report_comment(user, comment, reason="spam")
    with pytest.raises(NotAllowed):
        dismiss_reports(make_user(), "comment", comment.id)
    assert dismiss_reports(moderator, "comment", comment.id) == 2
    assert {r.state for r in db.session.query(Report)} == {ReportState.DISMISSED}
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.dismiss")).one()
    assert entry.actor_id == moderator.id and entry.target_id == comment.id
    with pytest.raises(Conflict):
        dismiss_reports(moderator, "comment", comment.id)


# --- pages -------------------------------------------------------------------------------------


def test_comment_cards_offer_a_report_link_to_participants_only(client, web, login_as, comment):
    page = f"/discussions/{comment.discussion_id}"
    assert f"/reports/comment/{comment.id}" not in client.get(page).get_data(as_text=True)
    login_as("citizen")
    assert f"/reports/comment/{comment.id}" in web.get(page).get_data(as_text=True)


def test_reporting_through_the_page_without_javascript(web, login_as, comment):
    login_as("citizen")
    form = web.get(f"/reports/comment/{comment.id}").get_data(as_text=True)
    assert 'type="radio"' in form and "<legend>" in form and 'name="note"' in form
    refused = web.post(f"/reports/comment/{comment.id}", {"note": "kept text"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Choose a reason" in body and "kept text" in body
    sent = web.post(f"/reports/comment/{comment.id}", {"reason": "spam", "note": "ads"})
    assert sent.status_code == 302
    again = web.post(f"/reports/comment/{comment.id}", {"reason": "hate"})
    assert again.status_code == 422 and "already" in again.get_data(as_text=True)
    mine = web.get("/account/reports").get_data(as_text=True)
    assert "Spam or advertising" in mine and "Waiting for a moderator" in mine


@pytest.mark.app_config(RATELIMIT_ENABLED=True, CIVIC_LIMIT_REPORT="1 per hour")
def test_a_report_flood_is_refused_with_the_wait_and_the_note_kept(web, login_as, open_discussion, make_user):
    author = make_user()
    first, second = (post_comment(author, open_discussion, body=f"c{i}") for i in range(2))
    login_as("citizen")
    assert web.post(f"/reports/comment/{first.id}", {"reason": "spam"}).status_code == 302
    refused = web.post(f"/reports/comment/{second.id}", {"reason": "spam", "note": "kept note"})
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    body = refused.get_data(as_text=True)
    assert "many reports" in body and "kept note" in body
    assert db.session.query(Report).count() == 1


def test_own_comment_report_is_refused_with_a_message(web, comment):
    web.sign_in(comment.author.email)
    response = web.post(f"/reports/comment/{comment.id}", {"reason": "spam"})
    assert response.status_code == 422 and "your own comment" in response.get_data(as_text=True)


def test_moderators_see_the_count_and_dismiss_from_the_staff_page(web, make_user, login_as, comment):
    report_comment(aged(make_user()), comment, reason="hate", note="Slur")
    login_as("moderator")
    page = web.get("/admin/").get_data(as_text=True)
    assert "Reported content" in page and "Hate speech" in page and "Slur" in page
    response = web.post(f"/staff/reports/comment/{comment.id}/dismiss", {})
    assert response.status_code == 302
    assert db.session.query(Report).one().state == ReportState.DISMISSED


def test_citizens_cannot_dismiss_reports(web, login_as, make_user, comment):
    report_comment(aged(make_user()), comment, reason="spam")
    login_as("citizen")
    assert web.post(f"/staff/reports/comment/{comment.id}/dismiss", {}).status_code == 403
    assert db.session.query(Report).one().state == ReportState.OPEN


def test_a_comment_hidden_by_reports_leaves_the_public_page(client, make_user, comment):
    page = f"/discussions/{comment.discussion_id}"
    assert "Something rude" in client.get(page).get_data(as_text=True)
    for user in reporters(make_user, 3):
        report_comment(user, comment, reason="abuse")
    html = client.get(page).get_data(as_text=True)
    assert "Something rude" not in html and "Hidden by moderation: pending review, after readers&#39; reports" in html


def test_the_staff_navigation_counts_reported_items(web, make_user, login_as, comment, open_discussion):
    other = post_comment(make_user(), open_discussion, body="Another")
    for user in reporters(make_user, 2):
        report_comment(user, comment, reason="spam")
    report_comment(aged(make_user()), other, reason="spam")
    login_as("moderator")
    html = web.get("/admin/").get_data(as_text=True)
    assert 'Reported content <span class="count-badge" data-staff-count="reports" data-live>2</span></a>' in html


def test_dismissing_the_reports_shows_again_what_they_hid_but_not_what_a_moderator_hid(
    comment, make_user, moderator, open_discussion
):
    db.session.refresh(open_discussion)
    comments_before = open_discussion.comment_count
    for user in reporters(make_user, 3):
        report_comment(user, comment, reason="spam")
    db.session.refresh(comment)
    assert comment.is_hidden
    dismiss_reports(moderator, "comment", comment.id)
    db.session.refresh(comment)
    db.session.refresh(open_discussion)
    assert not comment.is_hidden and not comment.hidden_reason
    assert open_discussion.comment_count == comments_before
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.dismiss")).one()
    assert entry.details["shown_again"] is True

    other = post_comment(make_user(), open_discussion, body="Really offensive")
    hide_comment(moderator, other, "Personal attack")
    for user in reporters(make_user, 2):
        report_comment_anyway = Report(reporter_id=user.id, content_kind="comment", content_id=other.id, reason="hate")
        db.session.add(report_comment_anyway)
    db.session.commit()
    dismiss_reports(moderator, "comment", other.id)
    db.session.refresh(other)
    assert other.is_hidden and other.hidden_reason == "Abuse or harassment"
