"""Moderators hear of new reports: the staff navigation's count pushed live when a report is made
or decided, and an email digest at most every CIVIC_REPORT_DIGEST_MINUTES, never twice."""

import contextvars
from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.common.models import utcnow
from civic.discussions.services.comments import post_comment
from civic.extensions import db, socketio
from civic.moderation.models import ReportDigest
from civic.moderation.services import actions, digest
from civic.moderation.services.digest import send_report_digest
from civic.moderation.services.reports import report_comment
from tests.support.mail import mail_to


def aged(user):
    user.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    return user


@pytest.fixture
def comment(open_discussion, make_user):
    return post_comment(make_user(name="Author"), open_discussion, body="Something rude")


def pushed_counts(client):
    return [m["args"][0]["reports"] for m in client.get_received() if m["name"] == "staff_counts"]


def test_the_reported_count_is_pushed_to_moderators_when_a_report_is_made_or_decided(
    app, comment, make_user, web, login_as
):
    moderator = login_as("moderator")
    live = contextvars.Context().run(socketio.test_client, app, flask_test_client=web.client)
    citizen_live = contextvars.Context().run(socketio.test_client, app)
    report_comment(aged(make_user()), comment, reason="spam")
    assert pushed_counts(live) == [1]
    actions.dismiss_items(moderator, "comment", [comment.id])
    assert pushed_counts(live) == [0]
    assert pushed_counts(citizen_live) == []  # a visitor's socket hears nothing
    live.disconnect()
    citizen_live.disconnect()


def test_staff_pages_carry_the_count_and_the_script_that_updates_it(comment, make_user, web, login_as):
    report_comment(aged(make_user()), comment, reason="spam")
    login_as("moderator")
    html = web.get("/staff/moderation").get_data(as_text=True)
    assert 'data-staff-count="reports" data-live>1<' in html
    assert "js/staff_counts.js" in html


@pytest.mark.app_config(CIVIC_REPORT_DIGEST_MINUTES=60)
def test_the_digest_goes_once_per_interval_and_only_with_new_reports(app, comment, make_user, moderator, outbox):
    assert send_report_digest() == 0  # nothing reported yet
    report_comment(aged(make_user()), comment, reason="spam")
    now = utcnow()
    assert send_report_digest(now) == 2  # the moderator and the admin (who made the category)
    (message,) = mail_to(outbox, moderator.email)
    text = message.get_body(("plain",)).get_content()
    assert "1 new report" in text and "/staff/moderation" in text
    assert send_report_digest(now + timedelta(minutes=5)) == 0  # within the interval
    assert send_report_digest(now + timedelta(minutes=90)) == 0  # nothing new since
    report_comment(aged(make_user()), comment, reason="abuse")
    assert send_report_digest(now + timedelta(minutes=30)) == 0  # new, but too soon
    assert send_report_digest(now + timedelta(minutes=61)) == 2
    digests = db.session.scalars(select(ReportDigest).order_by(ReportDigest.id)).all()
    assert [(d.reports, d.recipients) for d in digests] == [(1, 2), (1, 2)]


@pytest.mark.app_config(CIVIC_REPORT_DIGEST_MINUTES=60)
def test_two_ticks_claiming_the_same_digest_send_it_once(comment, make_user, moderator, outbox, monkeypatch):
    report_comment(aged(make_user()), comment, reason="spam")
    assert send_report_digest() == 2
    # A second machine's tick that read the state before the first one's claim committed.
    monkeypatch.setattr(digest, "last_digest", lambda: None)
    assert send_report_digest() == 0
    assert len(mail_to(outbox, moderator.email)) == 1


@pytest.mark.app_config(CIVIC_REPORT_DIGEST_MINUTES=0)
def test_no_digest_when_the_interval_is_zero(comment, make_user, moderator):
    report_comment(aged(make_user()), comment, reason="spam")
    assert send_report_digest() == 0
