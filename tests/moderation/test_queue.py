"""The moderation queue: grouped, sorted, filtered and paginated open reports, each item with its
context, its author's history and earlier decisions; in a fixed number of queries; moderators only."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.common.models import utcnow
from civic.discussions.services.comments import post_comment
from civic.errors import NotAllowed
from civic.extensions import db
from civic.moderation.kinds import COMMENT
from civic.moderation.models import Report, ReportState
from civic.moderation.services.decisions import decide
from civic.moderation.services.queue import QueueFilters, moderation_queue
from tests.support.moderation import hide_comment
from tests.support.queries import counting_queries, queries_for


def report(reporter, comment, reason="spam", *, minutes_ago=0, note=None):
    """A report stored as it is (report_comment's limits and auto-hide are tested in test_reports)."""
    db.session.add(
        Report(
            reporter_id=reporter.id,
            content_kind="comment",
            content_id=comment.id,
            reason=reason,
            note=note,
            state=ReportState.OPEN,
            created_at=utcnow() - timedelta(minutes=minutes_ago),
        )
    )
    db.session.commit()


@pytest.fixture
def author(make_user):
    return make_user(name="Rude Author")


@pytest.fixture
def reported(open_discussion, author, make_user):
    """Three comments: `old` reported once long ago, `busy` three times lately, `reply` (a reply to
    busy) once for personal data."""
    old = post_comment(author, open_discussion, body="Old rude thing")
    busy = post_comment(author, open_discussion, body="Busy rude thing")
    reply = post_comment(make_user(name="Replier"), open_discussion, body="My phone is 600", parent_id=busy.id)
    people = [make_user() for _ in range(3)]
    report(people[0], old, "abuse", minutes_ago=60, note="Insulting")
    for person in people:
        report(person, busy, "spam", minutes_ago=5)
    report(people[1], reply, "personal_data", minutes_ago=30)
    return {"old": old, "busy": busy, "reply": reply, "people": people}


def ids(page):
    return [entry.content_id for entry in page.items]


def test_the_queue_groups_reports_by_item_oldest_first(reported, moderator):
    page = moderation_queue(moderator)
    assert ids(page) == [reported["old"].id, reported["reply"].id, reported["busy"].id]
    assert [entry.report_count for entry in page.items] == [1, 1, 3]
    assert page.total == 3


def test_the_queue_sorts_most_reported_first(reported, moderator):
    page = moderation_queue(moderator, QueueFilters.parse(sort="most_reported"))
    assert ids(page)[0] == reported["busy"].id


def test_the_queue_filters_by_reason_and_kind(reported, moderator):
    page = moderation_queue(moderator, QueueFilters.parse(reason="personal_data"))
    assert ids(page) == [reported["reply"].id]
    assert moderation_queue(moderator, QueueFilters.parse(kind="comment")).total == 3
    # Unknown values show the whole queue rather than an error.
    assert moderation_queue(moderator, QueueFilters.parse(kind="nothing", reason="boring", sort="x")).total == 3


def test_an_item_shows_its_latest_reports_and_counts_the_reasons_of_all(
    open_discussion, author, make_user, moderator, monkeypatch
):
    from civic.moderation.services import queue

    monkeypatch.setattr(queue, "REPORTS_SHOWN", 2)
    comment = post_comment(author, open_discussion, body="Much reported")
    for k, reason in enumerate(["spam", "spam", "abuse"]):
        report(make_user(), comment, reason, minutes_ago=10 - k, note=f"note {k}")
    (entry,) = moderation_queue(moderator).items
    assert [r.note for r in entry.reports] == ["note 2", "note 1"]
    assert entry.reasons == [("spam", 2), ("abuse", 1)]


def test_the_queue_is_paginated(reported, moderator):
    first = moderation_queue(moderator, per_page=2)
    second = moderation_queue(moderator, page=2, per_page=2)
    assert (len(first.items), len(second.items), first.pages, first.has_next) == (2, 1, 2, True)
    assert set(ids(first)) | set(ids(second)) == {c.id for k, c in reported.items() if k != "people"}


def test_each_item_shows_its_context_author_history_reports_and_decisions(reported, moderator, author, make_user):
    hidden_before = post_comment(author, reported["old"].discussion, body="Earlier rude thing")
    hide_comment(moderator, hidden_before, "Rude")
    page = moderation_queue(moderator)
    reply = next(entry for entry in page.items if entry.content_id == reported["reply"].id)
    assert reply.context["parent"].id == reported["busy"].id
    assert reply.context["discussion"].id == reported["busy"].discussion_id
    busy = next(entry for entry in page.items if entry.content_id == reported["busy"].id)
    assert busy.author.id == author.id
    assert busy.author_hidden == 1
    assert busy.author_open_reports == 4  # one on old, three on busy
    assert [r.reason for r in busy.reports] == ["spam"] * 3
    assert busy.reasons == [("spam", 3)]
    old = next(entry for entry in page.items if entry.content_id == reported["old"].id)
    assert old.reports[0].note == "Insulting"
    hide_comment(moderator, reported["old"], "Rude")
    assert reported["old"].id not in ids(moderation_queue(moderator))  # hidden: its report upheld
    decide(moderator, "comment", reported["old"].id, "restore", "abuse", "On reflection, fair comment")
    report(make_user(), reported["old"], "abuse")
    old = next(entry for entry in moderation_queue(moderator).items if entry.content_id == reported["old"].id)
    assert sorted(d.action for d in old.decisions) == ["comment.hide", "content.restore", "report.uphold"]


def test_citizens_cannot_read_the_queue(reported, citizen):
    with pytest.raises(NotAllowed):
        moderation_queue(citizen)


def test_the_queue_runs_as_many_queries_for_many_items_as_for_few(app, open_discussion, moderator, make_user):
    people = [make_user() for _ in range(3)]

    def grow(n):
        for k in range(n):
            writer = make_user()
            parent = post_comment(writer, open_discussion, body=f"Parent {k}")
            comment = post_comment(writer, open_discussion, body=f"Reply {k}", parent_id=parent.id)
            for person in people:
                report(person, comment, "abuse")

    def count():
        db.session.expire_all()
        with counting_queries() as queries, app.test_request_context():
            page = moderation_queue(moderator, per_page=50)
            for entry in page.items:
                entry.kind.excerpt(entry.item), entry.kind.url(entry.item)
        return queries.count, len(page.items)

    grow(3)
    few, n = count()
    grow(27)
    many, m = count()
    assert (n, m) == (3, 30)
    assert many == few, f"{few} then {many}"


def test_the_queue_page_runs_as_many_queries_for_many_items_as_for_few(open_discussion, make_user, web, login_as):
    login_as("moderator")
    people = [make_user() for _ in range(3)]

    def grow(n):
        for k in range(n):
            writer = make_user()
            parent = post_comment(writer, open_discussion, body=f"Parent {k}")
            comment = post_comment(writer, open_discussion, body=f"Reply {k}", parent_id=parent.id)
            report(people[k % 3], comment, "abuse")

    grow(3)
    few = queries_for(web.client, "/staff/moderation")
    grow(17)
    many = queries_for(web.client, "/staff/moderation")
    assert many.count == few.count, f"{few!r}\nthen {many!r}"


def test_the_queue_filters_by_the_area_a_kind_gives_its_items(
    reported, moderator, open_discussion, author, make_user, monkeypatch
):
    from dataclasses import replace

    from sqlalchemy import case, select

    from civic.discussions.models import Comment
    from civic.moderation import kinds
    from civic.moderation.services.queue import queue_areas

    # A kind that says its items' area (here: replies are in "Harbour", the rest have none).
    def areas():
        return select(
            Comment.id.label("id"), case((Comment.parent_id.isnot(None), "Harbour"), else_="").label("area")
        ).where(Comment.parent_id.isnot(None))

    monkeypatch.setitem(kinds.KINDS, "comment", replace(kinds.COMMENT, area=areas))
    assert queue_areas() == ["Harbour"]
    page = moderation_queue(moderator, QueueFilters.parse(area="Harbour"))
    assert ids(page) == [reported["reply"].id]
    assert moderation_queue(moderator, QueueFilters.parse(area="Nowhere")).total == 0
    monkeypatch.setitem(kinds.KINDS, "comment", replace(kinds.COMMENT, area=None))
    assert moderation_queue(moderator, QueueFilters.parse(area="Harbour")).total == 0  # no kind has areas


def test_the_queue_reads_its_page_and_its_total_in_one_grouping_query(reported, moderator):
    with counting_queries() as queries:
        page = moderation_queue(moderator, per_page=2)
    grouping = [sql for sql in queries.statements if "min(report.created_at)" in sql]
    assert (len(grouping), page.total, len(page.items)) == (1, 3, 2)


def test_a_page_past_the_end_of_the_queue_still_says_how_many_items_wait(reported, moderator):
    page = moderation_queue(moderator, page=9, per_page=2)
    assert (page.items, page.total, page.pages) == ([], 3, 2)


def test_each_author_in_the_queue_links_to_the_warn_suspend_ban_page(reported, author, web, login_as):
    login_as("moderator")
    page = web.client.get("/staff/moderation").get_data(as_text=True)
    assert f'href="/staff/people/{author.id}/sanction"' in page


def test_a_second_look_at_an_unchanged_queue_does_not_group_the_reports_again(reported, moderator):
    first = moderation_queue(moderator, per_page=2)
    with counting_queries() as queries:
        again = moderation_queue(moderator, page=2, per_page=2)
    assert not [sql for sql in queries.statements if "min(report.created_at)" in sql]
    assert (first.total, again.total, ids(first) + ids(again)) == (3, 3, ids(moderation_queue(moderator)))


def test_the_kept_queue_shows_a_new_report_and_drops_a_decided_item_at_once(
    reported, moderator, open_discussion, author, make_user
):
    moderation_queue(moderator)
    newcomer = post_comment(author, open_discussion, body="Fresh rude thing")
    report(make_user(), newcomer, "spam")
    assert newcomer.id in ids(moderation_queue(moderator))
    db.session.execute(
        Report.__table__.update().where(Report.content_id == reported["old"].id).values(state=ReportState.DISMISSED)
    )
    db.session.commit()
    assert reported["old"].id not in ids(moderation_queue(moderator))


def test_the_kept_queue_sees_a_reused_id_of_a_deleted_report(reported, moderator, make_user):
    moderation_queue(moderator)
    last = db.session.scalar(select(Report).order_by(Report.id.desc()))
    last_id, reporter_id = last.id, last.reporter_id
    db.session.delete(last)
    db.session.commit()
    db.session.add(
        Report(
            id=last_id,
            reporter_id=reporter_id,
            content_kind="comment",
            content_id=reported["old"].id,
            reason="spam",
            state=ReportState.OPEN,
            created_at=utcnow() + timedelta(seconds=1),
        )
    )
    db.session.commit()
    # The same count and largest id, another set: the reply lost its only report, old gained one.
    assert reported["reply"].id not in ids(moderation_queue(moderator))


def test_the_queue_page_links_each_item_and_author_to_their_own_actions(reported, author, web, login_as):
    login_as("moderator")
    # Hidden pending review, as readers' reports hide it: still in the queue, and it may be shown again.
    COMMENT.hide(reported["old"], None, "pending review")
    db.session.commit()
    page = web.client.get("/staff/moderation").get_data(as_text=True)
    old = reported["old"].id
    for action in (f"/staff/moderation/comment/{old}/dismiss", f"/staff/moderation/queue/comment/{old}/hide"):
        assert f'action="{action}"' in page
    assert f'action="/staff/moderation/comment/{old}/show"' in page  # hidden: it may be shown again
    assert f'href="/staff/moderation/comment/{old}/edit"' in page
    assert f'href="/staff/moderation/users/{author.id}/hide-all"' in page
    assert "slot" not in page and "2147483646" not in page
