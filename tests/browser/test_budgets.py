"""A participatory budget in a real browser: a citizen fills an approval ballot with the keyboard
alone, hears the running total (a polite live region) change as projects are ticked, casts it, and
once voting has closed reads the results with their chart and table. Every page passes axe-core's
WCAG 2.x A/AA rules and fits a 320px-wide window.

The budget is written through the services inside the live server's app context; the server's
clock cannot be frozen, so voting is opened and closed by moving the budget's dates."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from civic.extensions import db
from tests.support.browser import Journey, live_server_fixture, sign_in, user_by_email

pytestmark = pytest.mark.browser

live_server = live_server_fixture("live-budgets")


@pytest.fixture(scope="module")
def world(live_server):
    from civic.budgets.services import budgets, projects
    from tests.support.budgets import budget_fields, project_fields

    official = live_server.make_user("olga.official@example.org", name="Olga Official", roles=("citizen", "official"))
    voter = live_server.make_user("vera.voter@example.org", name="Vera Voter")
    now = datetime.now(UTC).replace(microsecond=0)
    with live_server.app.app_context():
        olga = user_by_email(official["email"])
        later = now + timedelta(days=1)
        dates = {"collecting_starts_at": None, "review_starts_at": None, "voting_starts_at": later}
        dates.update(voting_ends_at=later + timedelta(days=7), implementation_starts_at=None)
        budget = budgets.create_budget(olga, budget_fields(within_budget=True, dates=dates))
        for title, cost in (("Shade sails", 60_000), ("Tool library", 30_000), ("Fountains", 25_000)):
            project = projects.add_project(olga, budget, project_fields(title, cost))
            projects.assess_feasibility(olga, project, "feasible", "")
        budget.voting_starts_at = now - timedelta(minutes=1)  # voting is open
        db.session.commit()
        ids = SimpleNamespace(budget=budget.id)
        db.session.remove()
    return SimpleNamespace(voter=voter, ids=ids)


def _close_voting(live_server, budget_id):
    from civic.budgets.models import Budget

    with live_server.app.app_context():
        budget = db.session.get(Budget, budget_id)
        budget.voting_ends_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
        db.session.remove()


def test_a_citizen_fills_an_approval_ballot_by_keyboard_and_sees_the_results(browser, page, live_server, world):
    journey = Journey(page, live_server.url)
    sign_in(page, live_server, world.voter, journey)
    journey.goto(f"/budgets/{world.ids.budget}")
    page.get_by_role("link", name="Vote", exact=True).click()
    journey.check()

    total = page.locator("[data-ballot-total]")
    expect(total).to_have_attribute("aria-live", "polite")
    expect(total).to_contain_text("chosen 0 of 100,000 EUR; 100,000 left.")
    page.get_by_label("Fountains (25,000 EUR)").focus()  # the projects are in alphabetical order
    page.keyboard.press("Space")
    expect(total).to_contain_text("chosen 25,000 of 100,000 EUR; 75,000 left.")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the shade sails
    expect(total).to_contain_text("chosen 85,000 of 100,000 EUR; 15,000 left.")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the tool library: over the money
    expect(total).to_contain_text("chosen 115,000 of 100,000 EUR; 15,000 over.")
    page.keyboard.press("Space")  # changed their mind
    expect(total).to_contain_text("15,000 left.")
    page.get_by_role("button", name="Cast my ballot").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/budgets/{world.ids.budget}")
    journey.check()
    expect(page.get_by_text("Your ballot is saved.")).to_be_visible()

    _close_voting(live_server, world.ids.budget)
    journey.goto(f"/budgets/{world.ids.budget}")
    page.get_by_role("link", name="See the results").click()
    journey.check()
    table = page.get_by_role("table")
    expect(table.get_by_role("row", name="Shade sails")).to_contain_text("Yes")
    expect(table.get_by_role("row", name="Fountains")).to_contain_text("Yes")
    expect(table.get_by_role("row", name="Tool library")).to_contain_text("nobody voted for it")
    expect(page.get_by_role("img", name="Votes for each project in City-wide")).to_be_visible()
    journey.assert_every_page_checked()


def test_an_official_creates_a_budget_adds_a_project_and_judges_it(browser, page, live_server):
    official = live_server.make_user("oscar.official@example.org", name="Oscar Official", roles=("citizen", "official"))
    journey = Journey(page, live_server.url)
    sign_in(page, live_server, official, journey)
    journey.goto("/budgets")
    page.get_by_role("link", name="Create a budget").click()
    journey.check()
    page.get_by_label("Title").fill("Harbour budget")
    page.get_by_label("Money for city-wide projects").fill("250,000")
    page.get_by_label("Areas with their own money (optional)").fill("North: 50000")
    page.get_by_label("Voting opens").fill("2031-05-01T10:00")
    page.get_by_label("Voting closes").fill("2031-05-10T10:00")
    page.get_by_role("button", name="Create the budget").click()
    journey.check()
    expect(page.get_by_role("heading", level=1, name="Harbour budget")).to_be_visible()
    page.get_by_role("link", name="Add a project").click()
    journey.check()
    page.get_by_label("Title").fill("Harbour lights")
    page.get_by_label("Cost").fill("abc")
    page.get_by_role("button", name="Add the project").click()
    journey.check()  # the refused form, with its error summary
    expect(page.get_by_role("alert")).to_contain_text("whole number")
    page.get_by_label("Cost").fill("40000")
    page.get_by_label("Area").select_option(label="North")
    page.get_by_role("button", name="Add the project").click()
    journey.check()
    page.get_by_role("link", name="Judge whether “Harbour lights” can be done").click()
    journey.check()
    page.get_by_label("Not feasible").check()
    page.get_by_label("Reason (shown to everyone when it cannot be done)").fill("The pier is being rebuilt.")
    page.get_by_role("button", name="Save").click()
    journey.check()
    expect(page.get_by_text("Why it cannot be done: The pier is being rebuilt.")).to_be_visible()
    journey.assert_every_page_checked()
