"""The page header and wide content at a desktop and a phone width (issue 12): signed in at 1280 px
the header keeps the name, the account menu and the language on one row and the sections on the
next; at 375 px nothing makes a page scroll sideways, the moderation page's table of similar
petitions included."""

import pytest

from tests.support.browser import live_server_fixture, new_context, sign_in

pytestmark = pytest.mark.browser

live_server = live_server_fixture("live-layout", CIVIC_PETITION_SPONSORS=0)

LONG_TITLE = "Extend the night bus network to every neighbourhood beyond the ring road, including Valdebernardo"


@pytest.fixture(scope="module")
def world(live_server):
    from civic.extensions import db
    from civic.petitions.services import lifecycle, moderation
    from tests.support.browser import user_by_email
    from tests.support.petitions import fields

    mo = live_server.make_user("mo.layout@example.org", name="Mo Moderator", roles=("citizen", "moderator"))
    carmen = live_server.make_user("carmen.layout@example.org", name="Carmen Creator")
    with live_server.app.app_context():
        creator, moderator = user_by_email(carmen["email"]), user_by_email(mo["email"])
        published = lifecycle.create_petition(creator, fields(title=LONG_TITLE[:80]))
        lifecycle.ask_for_moderation(published)
        moderation.approve_petition(moderator, published)
        waiting = lifecycle.create_petition(creator, fields(title="Night buses beyond the ring road"))
        lifecycle.ask_for_moderation(waiting)
        waiting_id, published_id = waiting.id, published.id
        db.session.remove()
    return {"mo": mo, "waiting": waiting_id, "published": published_id}


def _box(page, selector):
    return page.locator(selector).first.bounding_box()


def _scrolls_sideways(page):
    return page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth")


def test_the_header_keeps_its_two_rows_at_1280_px_signed_in(browser, live_server, world):
    context = new_context(browser)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": 1280, "height": 900})
        sign_in(page, live_server, world["mo"])
        for path in ("/", "/petitions/", "/discussions/"):
            page.goto(live_server.url + path)
            brand, account, language, sections = (
                _box(page, s) for s in (".brand", ".account-nav", ".language-form", ".site-nav")
            )
            first_row = brand["y"] + brand["height"]
            assert account["y"] < first_row and language["y"] < first_row, path  # one row
            assert sections["y"] >= max(account["y"] + account["height"], language["y"] + language["height"]) - 1
            assert not _scrolls_sideways(page), path
    finally:
        context.close()


@pytest.mark.parametrize("width", [375, 320])
def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, world, width):
    context = new_context(browser)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 800})
        sign_in(page, live_server, world["mo"])
        for path in ("/", "/petitions/", "/consultations/", f"/petitions/{world['waiting']}/moderate"):
            page.goto(live_server.url + path)
            assert not _scrolls_sideways(page), f"{path} at {width}px"
            # Nothing in the main column is wider than the screen, tables included (they may
            # scroll inside themselves, but their text must wrap first).
            too_wide = page.evaluate(
                """(width) => Array.from(document.querySelectorAll('main table')).filter(
                    t => t.scrollWidth > width).map(t => t.outerHTML.slice(0, 80))""",
                width,
            )
            assert too_wide == [], f"{path} at {width}px: {too_wide}"
    finally:
        context.close()


def test_the_live_client_loads_only_on_pages_that_go_live(browser, live_server, world):
    """Issue 12: "Load the Socket.IO client only on pages that go live"."""
    context = new_context(browser)
    try:
        page = context.new_page()
        loaded = []
        page.on("request", lambda request: loaded.append(request.url) if "socket.io.min.js" in request.url else None)
        page.goto(live_server.url + "/about")
        page.wait_for_load_state("load")
        assert loaded == [] and page.evaluate("typeof window.io") == "undefined"
        page.goto(f"{live_server.url}/petitions/{world['published']}")  # its count updates live
        page.wait_for_function("() => window.Civic && window.Civic.socket && window.Civic.socket.connected")
        assert len(loaded) == 1
    finally:
        context.close()
