"""Browser fixtures: the shared live Civic servers, headless Chromium through Playwright, and the
journeys whose every page must pass the accessibility checks (the helpers are in
tests/support/browser.py).

Chromium is the Debian package at /usr/bin/chromium (or CIVIC_CHROMIUM); Playwright's own
browser download is never used. A missing browser skips these tests, or fails them when CI is
set or CIVIC_REQUIRE_SERVICES=1."""

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import (
    Journey,
    LiveServer,
    assert_accessible,
    assert_fits_narrow_screen,
    assert_socketio_bound_to,
    axe_violations,
    format_violations,
    new_context,
)

CHROMIUM = os.environ.get("CIVIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BROWSER_MUST_RUN = bool(os.environ.get("CI")) or os.environ.get("CIVIC_REQUIRE_SERVICES") == "1"


# --- live servers ---------------------------------------------------------------------------


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
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = new_context(browser)
    page = context.new_page()
    yield page
    context.close()


# --- accessibility --------------------------------------------------------------------------


@pytest.fixture
def a11y():
    """The accessibility helpers, for tests that call them directly."""
    return SimpleNamespace(
        violations=axe_violations,
        format=format_violations,
        assert_accessible=assert_accessible,
        assert_fits_narrow_screen=assert_fits_narrow_screen,
    )


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
