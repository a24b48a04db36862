"""Reporting every moderated kind besides comments (discussions, proposals, petitions, statements,
profiles): who may report, what is refused, the auto-hide at the threshold taking the item out of
every public place while its author still reads it, and dismissal showing it again."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from civic.budgets.services import budgets
from civic.budgets.services import projects as budget_projects
from civic.budgets.services.results import ProjectSnapshot
from civic.common.models import utcnow
from civic.consultations.services import lifecycle as consultation_lifecycle
from civic.consultations.services import statements
from civic.discussions.services.discussions import start_discussion
from civic.errors import Conflict, NotFound
from civic.extensions import db
from civic.moderation.kinds import kind_named
from civic.moderation.models import Report, ReportState
from civic.moderation.services.actions import dismiss_reports
from civic.moderation.services.reports import my_reports, open_reports_by_item, report_item
from civic.proposals.services import lifecycle as proposal_lifecycle
from tests.support.budgets import VOTING_OPENS, budget_fields, project_fields
from tests.support.petitions import opened_petition
from tests.support.proposals import fields as proposal_fields

pytestmark = pytest.mark.app_config(CIVIC_PETITION_SPONSORS=2)
SECRET = "Wombat"  # in the reported item's text, and in nothing else on the pages looked at


def aged(user, days=30):
    user.created_at = utcnow() - timedelta(days=days)
    db.session.commit()
    return user


@dataclass
class Case:
    kind: str
    item: object
    author: object
    page: str  # the item's own page
    public: list = field(default_factory=list)  # other public places that show it: lists, JSON...
    own_page: bool = True  # it has a page of its own, which shows the public the notice once hidden
    has_author: bool = True  # False: official content; `author` is then staff who still read it hidden


def discussion_case(make_user, category, **_):
    author = make_user(name="Starter")
    discussion = start_discussion(author, category, title=f"{SECRET} crossing", body="Long words here")
    page = f"/discussions/{discussion.id}"
    return Case("discussion", discussion, author, page, ["/discussions/", "/"])


def proposal_case(make_user, **_):
    author = make_user(name="Proposer")
    proposal = proposal_lifecycle.create_proposal(author, proposal_fields(title=f"A {SECRET} bridge over the river"))
    return Case("proposal", proposal, author, f"/proposals/{proposal.id}", ["/proposals", "/proposals?q=bridge", "/"])


def petition_case(make_user, moderator, outbox, **_):
    author = make_user(name="Petitioner")
    petition = opened_petition(author, moderator, outbox, title=f"Save the {SECRET} park")
    page = f"/petitions/{petition.id}"
    return Case("petition", petition, author, page, ["/petitions/", "/petitions.json", f"{page}.json", "/"])


def statement_case(make_user, request, **_):
    frozen = request.getfixturevalue("frozen")
    frozen.set(datetime(2027, 3, 1, tzinfo=UTC))
    official = make_user(roles=("citizen", "official"))
    consultation = consultation_lifecycle.create_consultation(
        official,
        consultation_lifecycle.ConsultationFields(
            title="Parks",
            summary="Green spaces",
            opens_local=datetime(2027, 3, 2, 9, 0),
            closes_local=datetime(2027, 4, 2, 9, 0),
        ),
    )
    consultation_lifecycle.publish_consultation(official, consultation)
    statements.set_statement_options(official, consultation, enabled=True, premoderated=False)
    frozen.set(datetime(2027, 3, 5, tzinfo=UTC))
    author = make_user(name="Stating")
    statement = statements.add_statement(author, consultation, f"Every park needs a {SECRET} pond")
    page = f"/consultations/{consultation.id}/statements"
    return Case("statement", statement, author, page, [], own_page=False)


def profile_case(make_user, **_):
    person = make_user(name="Profiled")
    person.bio = f"I breed {SECRET}s and sell them"
    db.session.commit()
    return Case("profile", person, person, f"/people/{person.id}", [])


def budget_project_case(make_user, request, **_):
    frozen = request.getfixturevalue("frozen")
    frozen.set(VOTING_OPENS - timedelta(days=10))
    official = make_user(roles=("citizen", "official"))
    budget = budgets.create_budget(official, budget_fields())
    project = budget_projects.add_project(official, budget, project_fields(f"A {SECRET} playground", 5000))
    budget_projects.assess_feasibility(official, project, "feasible", "")
    return Case("budget_project", project, official, f"/budgets/{budget.id}", [], has_author=False)


CASES = {
    "budget_project": budget_project_case,
    "profile": profile_case,
    "discussion": discussion_case,
    "proposal": proposal_case,
    "petition": petition_case,
    "statement": statement_case,
}


@pytest.fixture(params=sorted(CASES))
def case(request, make_user, category, moderator, outbox):
    return CASES[request.param](
        make_user=make_user, category=category, moderator=moderator, outbox=outbox, request=request
    )


def reload(case):
    db.session.expire_all()
    return kind_named(case.kind).load(case.item.id)


def test_a_reader_reports_an_item_of_any_kind(case, make_user, app):
    reporter = aged(make_user())
    report = report_item(reporter, case.kind, case.item.id, reason="spam", note=" ads ")
    assert (report.content_kind, report.content_id, report.note, report.state) == (
        case.kind,
        case.item.id,
        "ads",
        ReportState.OPEN,
    )
    ((mine, found),) = my_reports(reporter)
    assert mine.id == report.id and found.item is not None and SECRET in found.excerpt
    with app.test_request_context():
        assert found.url.split("#")[0] == case.page
    assert not kind_named(case.kind).is_hidden(reload(case))


def test_own_item_and_second_reports_are_refused(case, make_user):
    if case.has_author:
        with pytest.raises(Conflict, match="your own|you started"):
            report_item(case.author, case.kind, case.item.id, reason="spam")
    reporter = aged(make_user())
    report_item(reporter, case.kind, case.item.id, reason="spam")
    with pytest.raises(Conflict, match="already"):
        report_item(reporter, case.kind, case.item.id, reason="hate")
    assert db.session.query(Report).count() == 1


def test_unknown_kinds_and_items_are_not_found(make_user):
    with pytest.raises(NotFound):
        report_item(aged(make_user()), "banana", 1, reason="spam")
    with pytest.raises(NotFound):
        report_item(aged(make_user()), "proposal", 999_999, reason="spam")


@pytest.mark.app_config(CIVIC_PETITION_SPONSORS=2, CIVIC_REPORTS_TO_HIDE=1)
def test_reports_hide_the_item_from_every_public_place_until_dismissed(case, make_user, moderator, client, web):
    for url in [case.page, *case.public]:
        assert SECRET in client.get(url).get_data(as_text=True), url
    reporter = aged(make_user())
    report_item(reporter, case.kind, case.item.id, reason="abuse")
    kind = kind_named(case.kind)
    assert kind.is_hidden(reload(case))
    page = client.get(case.page)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert SECRET not in html
    if case.own_page:
        assert "Hidden by moderation: pending review, after readers" in html
    for url in case.public:
        assert SECRET not in client.get(url).get_data(as_text=True), url
    # The reporter's list says it is hidden, without its text.
    web.sign_in(reporter.email)
    mine = web.get("/account/reports").get_data(as_text=True)
    assert "Hidden by moderation" in mine and SECRET not in mine
    web.post("/sign-out")
    # A hidden item cannot be reported again, by anyone.
    with pytest.raises((Conflict, NotFound)):
        report_item(aged(make_user()), case.kind, case.item.id, reason="spam")
    # Its author still reads it, with the notice.
    web.sign_in(case.author.email)
    html = web.get(case.page).get_data(as_text=True)
    assert SECRET in html and "Hidden by moderation" in html
    # Dismissing the reports shows it again everywhere.
    (listed,) = open_reports_by_item(moderator)
    assert listed.kind.name == case.kind and listed.item.id == case.item.id and listed.is_hidden
    dismiss_reports(moderator, case.kind, case.item.id)
    assert not kind.is_hidden(reload(case))
    for url in [case.page, *case.public]:
        assert SECRET in client.get(url).get_data(as_text=True), url


def test_the_page_offers_a_report_link_to_signed_in_readers_but_not_the_author(case, client, web, login_as):
    link = f"/reports/{case.kind}/{case.item.id}"
    assert link not in client.get(case.page).get_data(as_text=True)
    if case.has_author:
        web.sign_in(case.author.email)
        assert link not in web.get(case.page).get_data(as_text=True)
        web.post("/sign-out")
    login_as("citizen")
    assert link in web.get(case.page).get_data(as_text=True)
    form = web.get(link)
    assert form.status_code == 200 and 'type="radio"' in form.get_data(as_text=True)
    sent = web.post(link, {"reason": "spam", "note": "ads"})
    assert sent.status_code == 302
    assert db.session.query(Report).one().content_kind == case.kind


def test_reporting_ones_own_item_through_the_page_says_why_not(case, web):
    if not case.has_author:
        return
    web.sign_in(case.author.email)
    response = web.post(f"/reports/{case.kind}/{case.item.id}", {"reason": "spam"})
    assert response.status_code == 422 and "cannot report" in response.get_data(as_text=True)


@pytest.mark.app_config(CIVIC_REPORTS_TO_HIDE=1)
def test_a_hidden_budget_project_keeps_its_place_under_a_placeholder_name(make_user, request, app):
    case = budget_project_case(make_user=make_user, request=request)
    report_item(aged(make_user()), "budget_project", case.item.id, reason="spam")
    project = reload(case)
    with app.test_request_context():
        snapshot = ProjectSnapshot.of(project)  # what the results page, JSON and CSV name it
    assert project.on_ballot and SECRET not in snapshot.title and snapshot.title == project.public_title
