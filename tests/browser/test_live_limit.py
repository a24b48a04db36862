"""A process that holds as many live pages as it may: the next page still works and says that live
updates are off and that a refresh brings what is new (static/js/civic.js, "live_connections_full")."""

import pytest
from playwright.sync_api import expect

from civic.discussions.services.categories import save_category
from civic.discussions.services.discussions import start_discussion
from tests.support.browser import live_server_fixture, user_by_email

pytestmark = pytest.mark.browser

live_server = live_server_fixture("live-limit", CIVIC_MAX_LIVE_CONNECTIONS=0)


def test_a_page_past_the_limit_says_live_updates_are_off(page, live_server):
    admin = live_server.make_user("alma.admin@example.org", roles=("citizen", "admin"))
    with live_server.app.app_context():
        alma = user_by_email(admin["email"])
        category = save_category(alma, name="Transport")
        discussion_id = start_discussion(alma, category, title="A busy evening", body="Many readers").id
    page.goto(f"{live_server.url}/discussions/{discussion_id}")
    status = page.locator("[data-live-status]").first
    expect(status).to_be_visible()
    expect(status).to_have_text("Live updates are off: the site is busy. Refresh the page for updates.")
    expect(page.get_by_role("heading", name="A busy evening")).to_be_visible()
