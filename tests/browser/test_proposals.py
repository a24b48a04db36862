"""Proposals in a real browser: a citizen posts a proposal (similar ones shown while the title is
typed, as advice: publishing takes one click), a second citizen supports it, and the first sees the
count and the progress bar rise live without reloading; an official answers a proposal. Every page
passes axe-core's WCAG 2.x A/AA rules and fits a 320px-wide window."""

import time
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from civic.extensions import db
from tests.support.browser import Journey, live_server_fixture, new_context, sign_in, user_by_email

pytestmark = pytest.mark.browser

THRESHOLD = 5
EXISTING = "A covered bicycle park beside the station"
TITLE = "Covered bicycle racks at the bus station"

live_server = live_server_fixture("live-proposals", CIVIC_PROPOSAL_SUPPORTS=THRESHOLD)


@pytest.fixture(scope="module")
def world(live_server):
    from civic.proposals.services import lifecycle

    make = live_server.make_user
    people = SimpleNamespace(
        ana=make("ana.author@example.org", name="Ana Author"),
        ben=make("ben.backer@example.org", name="Ben Backer"),
        eva=make("eva.earlier@example.org", name="Eva Earlier"),
    )
    with live_server.app.app_context():
        lifecycle.create_proposal(
            user_by_email(people.eva["email"]),
            lifecycle.ProposalFields(
                title=EXISTING, summary="Somewhere dry for bikes by the trains.", topic="Transport"
            ),
        )
        db.session.remove()
    return people


def watching(page, proposal_id, timeout=10.0):
    """Wait until the page's socket is in the proposal's tallies room (the server runs in this process)."""
    from civic.extensions import socketio
    from civic.realtime import tally_room

    page.wait_for_function("() => window.Civic && Civic.socket && Civic.socket.connected")
    sid = page.evaluate("() => Civic.socket.id")
    room = tally_room("proposal", proposal_id)
    deadline = time.monotonic() + timeout
    while sid not in socketio.server.manager.rooms.get("/", {}).get(room, {}):
        assert time.monotonic() < deadline, f"the page's socket {sid} never joined {room}"
        time.sleep(0.05)


def test_a_citizen_posts_a_second_supports_and_the_first_sees_the_count_rise_live(browser, page, live_server, world):
    journey = Journey(page, live_server.url)
    sign_in(page, live_server, world.ana, journey)
    journey.goto("/proposals/new")
    page.get_by_label("What do you propose?").press_sequentially("covered bicycle park", delay=10)
    similar = page.locator("#similar-proposals")
    expect(similar.get_by_role("link", name=EXISTING)).to_be_visible()
    journey.check()
    page.get_by_label("What do you propose?").fill(TITLE)
    page.get_by_label("Summary").fill("The bus station has nowhere to leave a bike out of the rain.")
    page.get_by_role("button", name="Publish the proposal").click()
    page.wait_for_url("**/proposals/*")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    proposal_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    count = page.locator('[data-tally-value="supports"]')
    progress = page.locator('progress[data-tally-progress="supports"]')
    expect(count).to_have_text("0")
    expect(progress).to_have_js_property("max", THRESHOLD)
    watching(page, proposal_id)
    page.evaluate("() => { window.__notReloaded = true; }")

    other = new_context(browser)
    b = other.new_page()
    try:
        b_journey = Journey(b, live_server.url)
        sign_in(b, live_server, world.ben, b_journey)
        b_journey.goto(f"/proposals/{proposal_id}")
        b.get_by_role("button", name="Support this proposal").focus()
        b.keyboard.press("Enter")
        b.wait_for_url(f"**/proposals/{proposal_id}#support")
        b_journey.check()
        expect(b.get_by_role("main")).to_contain_text("You support this proposal")
        expect(b.locator('[data-tally-value="supports"]')).to_have_text("1")
    finally:
        other.close()

    expect(count).to_have_text("1")
    expect(progress).to_have_js_property("value", 1)
    assert page.evaluate("() => window.__notReloaded") is True
    journey.goto("/proposals")
    expect(page.get_by_role("main").get_by_role("link", name=TITLE)).to_be_visible()


def test_an_official_answers_by_the_form_and_the_answer_shows_on_the_page(browser, page, live_server, world):
    from civic.proposals.services import lifecycle

    olga = live_server.make_user("olga.official@example.org", name="Olga Official", roles=("citizen", "official"))
    with live_server.app.app_context():
        proposal = lifecycle.create_proposal(
            user_by_email(world.ana["email"]),
            lifecycle.ProposalFields(title="Shade over the playground", summary="The slide is too hot in July."),
        )
        proposal_id = proposal.id
        db.session.remove()
    journey = Journey(page, live_server.url)
    sign_in(page, live_server, olga, journey)
    journey.goto(f"/proposals/{proposal_id}")
    page.get_by_role("link", name="Answer").click()
    page.wait_for_url(f"**/proposals/{proposal_id}/answer")
    journey.check()
    page.get_by_role("button", name="Publish the answer").click()  # nothing chosen, nothing explained
    journey.check()
    expect(page.get_by_role("alert")).to_contain_text("Explain the answer")
    page.get_by_label("Already planned").check()
    page.get_by_label("Explanation").fill("Shade sails go up over the playground in **June**.")
    page.get_by_role("button", name="Publish the answer").click()
    page.wait_for_url(f"**/proposals/{proposal_id}")
    journey.check()
    answer = page.get_by_role("region", name="The council's answer: Already planned")
    expect(answer).to_contain_text("Shade sails go up over the playground in June.")


def test_the_other_proposal_pages_pass_axe(browser, page, live_server, world):
    """The author's pages (change, withdraw, theirs) and the official's merge page, each checked
    with axe and at 320px, and the list's filters."""
    from civic.proposals.services import lifecycle

    with live_server.app.app_context():
        proposal = lifecycle.create_proposal(
            user_by_email(world.ana["email"]),
            lifecycle.ProposalFields(title="Lights on the river path", summary="It is dark by six in winter."),
        )
        proposal_id = proposal.id
        db.session.remove()
    journey = Journey(page, live_server.url)
    sign_in(page, live_server, world.ana, journey)
    for path in (f"/proposals/{proposal_id}/edit", f"/proposals/{proposal_id}/withdraw", "/proposals/mine"):
        journey.goto(path)
    journey.goto("/proposals?status=open&sort=closing&topic=Transport")
    other = new_context(browser)
    o = other.new_page()
    try:
        olga = live_server.make_user(name="Otto Official", roles=("citizen", "official"))
        o_journey = Journey(o, live_server.url)
        sign_in(o, live_server, olga, o_journey)
        o_journey.goto(f"/proposals/{proposal_id}/merge")
        o.get_by_label("Number of the proposal it duplicates").fill(str(proposal_id))  # itself: refused
        o.get_by_role("button", name="Merge", exact=True).click()
        o_journey.check()
        expect(o.get_by_role("alert")).to_be_visible()
    finally:
        other.close()
