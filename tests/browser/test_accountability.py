"""Accountability in a real browser: an official adds a milestone to an accepted proposal's
implementation record with the keyboard alone (the date is today's unless changed), and the public
list shows the record with its progress. Every page passes axe-core's WCAG 2.x A/AA rules and fits
a 320px-wide window."""

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from civic.extensions import db
from tests.support.browser import Journey, live_server_fixture, sign_in, user_by_email

pytestmark = pytest.mark.browser

live_server = live_server_fixture("live-accountability")


@pytest.fixture(scope="module")
def world(live_server):
    from civic.accountability.services import records
    from civic.accountability.services.queries import record_of_proposal
    from civic.proposals.services import answers, lifecycle
    from tests.support.proposals import fields

    official = live_server.make_user("olga.official@example.org", name="Olga Official", roles=("citizen", "official"))
    author = live_server.make_user("ana.author@example.org", name="Ana Author")
    with live_server.app.app_context():
        olga, ana = user_by_email(official["email"]), user_by_email(author["email"])
        proposal = lifecycle.create_proposal(ana, fields(title="Shade over the school playground"))
        answers.answer_proposal(olga, proposal, "accepted", "Yes: shade sails this summer.")
        record = record_of_proposal(proposal.id)
        records.change_record(olga, record, status="in_progress", progress="30", spent="4000")
        ids = SimpleNamespace(record=record.id, proposal=proposal.id)
        db.session.remove()
    return SimpleNamespace(official=official, ids=ids)


def test_an_official_adds_a_milestone_by_keyboard_and_the_public_list_shows_it(browser, page, live_server, world):
    journey = Journey(page, live_server.url)
    sign_in(page, live_server, world.official, journey)
    journey.goto("/accountability")
    page.get_by_role("link", name="Shade over the school playground").click()
    journey.check()

    page.get_by_label("What happened").focus()
    page.keyboard.type("The posts for the sails are in.")
    page.keyboard.press("Tab")  # the optional photo: left empty
    page.keyboard.press("Tab")  # its description
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Publish the milestone")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/accountability/{world.ids.record}#milestone-*")
    journey.check()
    expect(page.get_by_text("The milestone is published.")).to_be_visible()
    timeline = page.get_by_role("region", name="Milestones")
    expect(timeline).to_contain_text("The posts for the sails are in.")

    journey.goto("/accountability?status=in_progress")
    card = page.get_by_role("listitem").filter(has_text="Shade over the school playground")
    expect(card).to_contain_text("1 milestone")
    expect(card).to_contain_text("30% done")
    expect(card.get_by_role("progressbar", name="Progress")).to_have_attribute("value", "30")
    journey.goto(f"/proposals/{world.ids.proposal}")
    expect(page.get_by_role("link", name="See its milestones and what it has cost")).to_be_visible()
    journey.assert_every_page_checked()
