"""Browser fixtures: a live Civic server in a thread, headless Chromium through Playwright, and
an accessibility checker (axe-core, WCAG 2.x A/AA) that every page of a journey must pass.

Chromium is the Debian package at /usr/bin/chromium (or CIVIC_CHROMIUM); Playwright's own
browser download is never used. A missing browser skips these tests, or fails them when CI is
set or CIVIC_REQUIRE_SERVICES=1."""
import os
import socket
import threading
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from civic import create_app
from civic.extensions import db
from tests.conftest import DEFAULT_PASSWORD, _migrate, base_config

CHROMIUM = os.environ.get("CIVIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
BROWSER_MUST_RUN = bool(os.environ.get("CI")) or os.environ.get("CIVIC_REQUIRE_SERVICES") == "1"

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
NARROW_WIDTH = 320


# --- live server ----------------------------------------------------------------------------

def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A Civic app served by werkzeug in a daemon thread, on a fresh migrated SQLite database."""

    def __init__(self, tmp_path, **overrides):
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, *args, **kwargs):  # keep the test output readable
                pass

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = base_config(tmp_path, CIVIC_BASE_URL=self.url, **overrides)
        _migrate(config)
        self.app = create_app(config)
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True,
                                   request_handler=QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"civic-live-{self.port}",
                                         daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        with self.app.app_context():
            db.engine.dispose()

    def make_user(self, email=None, *, password=DEFAULT_PASSWORD, roles=("citizen",), verified=True,
                  name=None):
        """The same user tests/conftest.py's make_user builds, written straight to the database."""
        from civic.accounts import passwords
        from civic.accounts.models import User, UserRole
        from civic.common.models import utcnow

        email = email or f"person-{uuid.uuid4().hex[:8]}@example.org"
        name = name or email.split("@")[0]
        with self.app.app_context():
            user = User(
                display_name=name, email=email, email_normalized=email.lower(),
                password_hash=passwords.hash_password(password), session_token=uuid.uuid4().hex, bio="",
                email_verified_at=utcnow() if verified else None,
            )
            for role in roles:
                user.roles.append(UserRole(role=role))
            db.session.add(user)
            db.session.commit()
            db.session.remove()
        return {"email": email, "password": password, "name": name}


def assert_socketio_bound_to(server):
    """Live events are published through `socketio`, which belongs to the app created last: a
    module whose server must push events checks that no other app was created since."""
    from civic.extensions import socketio

    assert socketio.server is server.app.wsgi_app.engineio_app, (
        "another Flask app was created after the live server: its Socket.IO events would go nowhere")


def user_by_email(email):
    """The User row, inside the live server's app context."""
    from sqlalchemy import select

    from civic.accounts.models import User
    from civic.extensions import db

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


@pytest.fixture(autouse=True)
def _socketio_bound_to_the_live_server(request):
    """Every test of a module with its own live server checks that Socket.IO still publishes
    through that server's app (see assert_socketio_bound_to)."""
    if "live_server" in request.fixturenames:
        assert_socketio_bound_to(request.getfixturevalue("live_server"))


@pytest.fixture(scope="session")
def newcomer_server(tmp_path_factory):
    """A live site as in development: staff may work without two-factor sign-in."""
    server = LiveServer(tmp_path_factory.mktemp("live-newcomer"), CIVIC_REQUIRE_STAFF_2FA=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def staff_server(tmp_path_factory):
    """A live site as in production: staff pages need two-factor sign-in."""
    server = LiveServer(tmp_path_factory.mktemp("live-staff"), CIVIC_REQUIRE_STAFF_2FA=True)
    yield server
    server.stop()


# --- browser --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        message = f"Chromium not found at {CHROMIUM} (set CIVIC_CHROMIUM or install the chromium package)"
        if BROWSER_MUST_RUN:
            pytest.fail(message + "; CI or CIVIC_REQUIRE_SERVICES=1 requires the browser tests to run")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


# --- accessibility --------------------------------------------------------------------------

def axe_violations(page):
    """axe-core's violations of WCAG 2.x A/AA on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page, options=AXE_OPTIONS).response["violations"]


def format_violations(violations, where):
    lines = [f"{len(violations)} accessibility violation(s) on {where}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']}  "
                     f"[{violation.get('helpUrl', '')}]")
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
                             + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''));
                return [document.documentElement.scrollWidth, wide];
            }""", width)
    finally:
        page.set_viewport_size(original)
    assert scroll_width <= width + 1, (
        f"{page.url} scrolls sideways at {width}px: scrollWidth {scroll_width}; too wide: {culprits}")


@pytest.fixture
def a11y():
    """The accessibility helpers, for tests that call them directly."""
    return SimpleNamespace(violations=axe_violations, format=format_violations, assert_accessible=assert_accessible,
                           assert_fits_narrow_screen=assert_fits_narrow_screen)


class Journey:
    """Follows one person's pages: every navigation of the main frame must be checked with axe
    (check()) before the next one, so that no page of the journey escapes the check."""

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.pending = []   # navigations since the last check
        self.missed = []    # navigations that were replaced before they were checked
        self.checked = []   # URLs checked, in order
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


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_call_passed = report.passed
    return report


def _journey(request, page, server):
    journey = Journey(page, server.url)
    yield journey
    # A test that already failed may have stopped between a navigation and its check.
    if getattr(request.node, "browser_call_passed", False):
        journey.assert_every_page_checked()


@pytest.fixture
def newcomer_journey(request, page, newcomer_server):
    yield from _journey(request, page, newcomer_server)


@pytest.fixture
def staff_journey(request, page, staff_server):
    yield from _journey(request, page, staff_server)
