"""Browser-test helpers: a live Civic server in a thread, signing in through the form, the
accessibility checks (axe-core, WCAG 2.x A/AA, and reflow at 320px) and the Journey that makes
every page of a walk through the site pass them."""

import threading
import uuid
from datetime import UTC, datetime

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from civic import create_app
from civic.accounts.models import User
from civic.extensions import db, socketio
from tests.support.apps import base_config, migrate_database
from tests.support.processes import free_port
from tests.support.users import DEFAULT_PASSWORD, new_user

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
NARROW_WIDTH = 320


# --- live server ----------------------------------------------------------------------------


class LiveServer:
    """A Civic app served by werkzeug in a daemon thread, on a fresh migrated SQLite database."""

    def __init__(self, tmp_path, **overrides):
        class QuietHandler(WSGIRequestHandler):
            def log_request(self, *args, **kwargs):  # keep the test output readable
                pass

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = base_config(tmp_path, CIVIC_BASE_URL=self.url, **overrides)
        migrate_database(config)
        self.app = create_app(config)
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True, request_handler=QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"civic-live-{self.port}", daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        with self.app.app_context():
            db.engine.dispose()

    def make_user(
        self,
        email=None,
        *,
        password=DEFAULT_PASSWORD,
        roles=("citizen",),
        verified=True,
        name=None,
        two_factor_secret=None,
    ):
        """The same user as tests/conftest.py's make_user, written straight to the database; returns
        what a person types to sign in (and their name, and their two-factor secret if given: staff on
        a server with CIVIC_REQUIRE_STAFF_2FA sign in with sign_in_two_factor)."""
        email = email or f"person-{uuid.uuid4().hex[:8]}@example.org"
        name = name or email.split("@")[0]
        with self.app.app_context():
            db.session.add(
                new_user(
                    email,
                    name=name,
                    password=password,
                    roles=roles,
                    verified=verified,
                    two_factor_secret=two_factor_secret,
                )
            )
            db.session.commit()
            db.session.remove()
        return {"email": email, "password": password, "name": name, "two_factor_secret": two_factor_secret}


def assert_socketio_bound_to(server):
    """Live events are published through `socketio`, which belongs to the app created last: a
    module whose server must push events checks that no other app was created since."""
    assert socketio.server is server.app.wsgi_app.engineio_app, (
        "another Flask app was created after the live server: its Socket.IO events would go nowhere"
    )


def user_by_email(email):
    """The User row, inside the live server's app context."""
    return db.session.scalar(select(User).where(User.email_normalized == email.lower()))


def live_server_fixture(folder, **overrides):
    """A module's own live site (staff may work without two-factor sign-in unless overridden):
    `live_server = live_server_fixture("live-petitions", CIVIC_PETITION_SPONSORS=2)`."""

    @pytest.fixture(scope="module")
    def live_server(tmp_path_factory):
        server = LiveServer(tmp_path_factory.mktemp(folder), **{"CIVIC_REQUIRE_STAFF_2FA": False, **overrides})
        yield server
        server.stop()

    return live_server


# --- people and pages -----------------------------------------------------------------------


def local_now():
    """Wall-clock time now in the site's zone (UTC in the live servers that use it), to the minute,
    as the forms take it: a live server's clock cannot be frozen."""
    return datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)


def new_context(browser, **options):
    """A browser window of its own (cookies, storage), as the `page` fixture opens."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(10_000)
    return context


def account_nav(page):
    return page.get_by_role("navigation", name="Your account")


def fill_sign_in(page, person):
    """Fill in and send the sign-in form on the page that shows it."""
    page.get_by_label("Email address").fill(person["email"])
    page.get_by_label("Password", exact=True).fill(person["password"])
    page.get_by_role("main").get_by_role("button", name="Sign in").click()


def sign_in(page, server, person, journey=None):
    """Sign `person` (from LiveServer.make_user) in through the form and wait for the home page with
    their name in the account menu. With a journey, both pages are checked with axe."""
    if journey is not None:
        journey.goto("/sign-in")
    else:
        page.goto(server.url + "/sign-in")
    fill_sign_in(page, person)
    page.wait_for_url(server.url + "/")
    if journey is not None:
        journey.check()
    expect(account_nav(page).get_by_role("link", name=person["name"])).to_be_visible()


def sign_in_two_factor(page, server, person, journey):
    """Sign in a member of staff who has two-factor sign-in (make_user(two_factor_secret=...)):
    the form, then the code from their app; every page is checked with axe."""
    journey.goto("/sign-in")
    fill_sign_in(page, person)
    page.wait_for_url("**/sign-in/two-factor")
    journey.check()
    page.get_by_role("textbox", name="Code", exact=True).fill(pyotp.TOTP(person["two_factor_secret"]).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(server.url + "/")
    journey.check()
    expect(account_nav(page).get_by_role("link", name=person["name"])).to_be_visible()


# --- accessibility --------------------------------------------------------------------------


def axe_violations(page):
    """axe-core's violations of WCAG 2.x A/AA on the page as it is now."""
    return Axe().run(page, options=AXE_OPTIONS).response["violations"]


def format_violations(violations, where):
    lines = [f"{len(violations)} accessibility violation(s) on {where}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']}  [{violation.get('helpUrl', '')}]"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node.get('html', '').strip()[:160]}")
            summary = (node.get("failureSummary") or "").strip().replace("\n", " / ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page, where=None):
    violations = axe_violations(page)
    assert not violations, format_violations(violations, where or page.url)


def assert_fits_narrow_screen(page, width=NARROW_WIDTH):
    original = page.viewport_size
    page.set_viewport_size({"width": width, "height": 800})
    try:
        scroll_width, culprits = page.evaluate(
            """(width) => {
                const wide = [...document.querySelectorAll('body *')]
                  .filter(el => el.getBoundingClientRect().right > width + 1)
                  .slice(0, 5)
                  .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                             + (el.className && typeof el.className === 'string'
                                ? '.' + el.className.trim().split(/\\s+/).join('.') : ''));
                return [document.documentElement.scrollWidth, wide];
            }""",
            width,
        )
    finally:
        page.set_viewport_size(original)
    assert scroll_width <= width + 1, (
        f"{page.url} scrolls sideways at {width}px: scrollWidth {scroll_width}; too wide: {culprits}"
    )


class Journey:
    """Follows one person's pages: every navigation of the main frame must be checked with axe
    (check()) before the next one, so that no page of the journey escapes the check."""

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.pending = []  # navigations since the last check
        self.missed = []  # navigations that were replaced before they were checked
        self.checked = []  # URLs checked, in order
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame):
        if frame == self.page.main_frame and frame.url != "about:blank":
            self.pending.append(frame.url)

    def url(self, path):
        return self.base_url + path

    def goto(self, path, *, narrow=True):
        response = self.page.goto(self.url(path))
        self.check(narrow=narrow)
        return response

    def check(self, *, narrow=True):
        """Run axe on the current page, then check that it fits a 320px-wide window without
        scrolling sideways (WCAG 1.4.10 reflow) unless narrow=False."""
        self.page.wait_for_load_state("load")
        current = self.page.url
        assert_accessible(self.page, current)
        if narrow:
            assert_fits_narrow_screen(self.page)
        *earlier, last = self.pending or [current]
        self.missed.extend(url for url in earlier if url.split("#")[0] != current.split("#")[0])
        self.pending.clear()
        self.checked.append(current)

    def assert_every_page_checked(self):
        unchecked = self.missed + self.pending
        assert not unchecked, f"pages visited but never checked with axe: {unchecked}; checked: {self.checked}"
