"""The language switch in a real browser: its form carries no CSRF token (pages stay cacheable)
and the browser's Origin header is what /language checks."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_switching_language_from_a_cacheable_page(newcomer_journey, page):
    journey = newcomer_journey
    response = journey.goto("/about")
    assert response.headers["cache-control"].startswith("public")
    page.locator("#language-select").select_option("es")
    page.locator(".language-form").get_by_role("button").click()
    page.wait_for_url("**/about")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    journey.check()
    page.locator("#language-select").select_option("en")
    page.locator(".language-form").get_by_role("button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    journey.check()
