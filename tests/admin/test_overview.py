"""The staff's start page (issue 12): officials see their consultations by phase and the petitions
waiting for a response, each with the next action; moderators see everything waiting for them;
the staff navigation counts it; moderators read the moderation decisions with readable names."""

from datetime import timedelta

import pytest

from civic.audit.labels import ACTION_LABELS, MODERATION_ACTIONS
from civic.budgets.services import ballots
from civic.consultations.services import lifecycle, statements
from civic.discussions.services.comments import post_comment
from civic.moderation.services.reports import report_item
from civic.petitions.services import lifecycle as petition_lifecycle
from tests.support.apps import project_root
from tests.support.budgets import VOTING_CLOSES, budget_with_projects
from tests.support.consultations import OPENS, draft_fields
from tests.support.moderation import hide_comment
from tests.support.petitions import fields
from tests.support.queries import counting_queries
from tests.support.users import seen_just_now


def test_an_official_sees_consultations_by_phase_with_the_next_action(web, login_as, frozen):
    frozen.set(OPENS - timedelta(days=20))
    official = login_as("official")
    draft = lifecycle.create_consultation(official, draft_fields(title="Draft about trams", summary="s"))
    opening = lifecycle.create_consultation(official, draft_fields(title="Buses at night", summary="s"))
    lifecycle.publish_consultation(official, opening)
    html = web.get("/admin/").get_data(as_text=True)
    assert "Tools for moderators and officials appear here" not in html
    assert "Draft about trams" in html and "Next: check it and publish" in html
    assert "Buses at night" in html and "Scheduled" in html
    frozen.set(OPENS + timedelta(days=1))
    html = web.get("/admin/").get_data(as_text=True)
    assert "Next: read the responses" in html and "0 responses" in html and "days left" in html
    frozen.set(OPENS + timedelta(days=60))
    seen_just_now()  # still signed in, weeks later
    html = web.get("/admin/").get_data(as_text=True)
    assert "Next: publish the outcome" in html
    assert draft.title in html
    assert "Waiting for moderation" not in html  # not a moderator


def test_a_moderator_sees_everything_waiting_with_counts_in_the_navigation(
    web, login_as, make_user, open_discussion, official, frozen
):
    frozen.set(OPENS - timedelta(days=20))
    survey = lifecycle.create_consultation(official, draft_fields(title="Night buses", summary="s"))
    lifecycle.publish_consultation(official, survey)
    frozen.set(OPENS + timedelta(days=1))
    statements.set_statement_options(official, survey, enabled=True, premoderated=True)
    author = make_user(name="Someone")
    statements.add_statement(author, survey, "Buses should run all night")
    creator = make_user()
    waiting = petition_lifecycle.create_petition(creator, fields(title="Benches on the promenade"))
    petition_lifecycle.ask_for_moderation(waiting)
    moderator = login_as("moderator")
    comment = post_comment(author, open_discussion, body="rude words")
    hide_comment(moderator, comment, "Personal attack")
    html = web.get("/admin/").get_data(as_text=True)
    assert "Benches on the promenade" in html and "Buses should run all night" in html
    assert "Abuse or harassment" in html and "Next: approve or reject it" in html
    nav = html[html.index('aria-label="Staff pages"') : html.index("</nav>", html.index('aria-label="Staff pages"'))]
    assert 'Petitions to moderate <span class="count-badge">1</span>' in nav
    assert 'Statements to moderate <span class="count-badge">1</span>' in nav
    log = web.get("/admin/moderation-log").get_data(as_text=True)
    assert "hid the comment" in log and "comment.hide" not in log
    assert web.get("/admin/audit").status_code == 403  # the whole audit log stays the admins'


def test_every_staff_action_has_a_readable_name():
    import re

    used = set()
    for path in (project_root() / "civic").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"record_staff_action\((.*?)\)", text, re.S):
            used.update(re.findall(r'"([a-z_]+\.[a-z_]+)"', call.group(1)))
    assert used - set(ACTION_LABELS) == set()
    assert MODERATION_ACTIONS <= set(ACTION_LABELS)


def test_citizens_have_no_staff_pages(web, login_as):
    login_as("citizen")
    assert web.get("/admin/").status_code == 403
    assert web.get("/admin/moderation-log").status_code == 403


def test_an_official_sees_each_budget_with_its_phase_and_next_step(web, make_user, official, frozen):
    budget, (first, _second) = budget_with_projects(official, frozen, [30_000, 50_000])
    voter = make_user()
    ballots.cast_ballot(voter, budget, None, {str(first.id): "1"})
    web.sign_in(official.email)
    section = web.get("/admin/").get_data(as_text=True).split('id="budgets-title"')[1].split("</section>")[0]
    assert budget.title in section and "Voting" in section and "1 ballot" in section
    frozen.set(VOTING_CLOSES + timedelta(days=1))
    seen_just_now()
    page = web.get("/admin/")
    assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
    section = page.get_data(as_text=True).split('id="budgets-title"')[1].split("</section>")[0]
    assert "Next: read the results" in section and f"/budgets/{budget.id}/results" in section


def _report_count_in_nav(web):
    html = web.get("/staff/moderation").get_data(as_text=True)
    nav = html[html.index('aria-label="Staff pages"') : html.index("</nav>", html.index('aria-label="Staff pages"'))]
    return nav


def test_the_staff_counts_are_kept_between_pages_and_forgotten_when_a_report_is_made(
    web, login_as, make_user, open_discussion
):
    login_as("moderator")
    comment = post_comment(make_user(), open_discussion, body="rude words")
    web.get("/staff/moderation")
    with counting_queries() as again:
        web.get("/staff/moderation")
    assert not [sql for sql in again.statements if "DISTINCT report.content_kind" in sql]  # kept, not counted
    report_item(make_user(), "comment", comment.id, reason="abuse")
    assert 'data-staff-count="reports" data-live>1</span>' in _report_count_in_nav(web)


@pytest.mark.app_config(CIVIC_STAFF_COUNTS_SECONDS=0)
def test_with_no_seconds_to_keep_them_the_staff_counts_are_counted_on_every_page(web, login_as):
    login_as("moderator")
    web.get("/staff/moderation")
    with counting_queries() as again:
        web.get("/staff/moderation")
    assert [sql for sql in again.statements if "DISTINCT report.content_kind" in sql]
