"""Onboarding in a real browser: a newcomer registers, confirms their address and signs in; a
staff member is made to set up two-factor sign-in and later signs in with a recovery code.
Every page on the way must pass axe-core's WCAG 2.x A/AA rules."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.support.browser import account_nav, fill_sign_in, sign_in

pytestmark = pytest.mark.browser

PASSPHRASE = "violet harbour lantern 42"
VERIFY_LINK = re.compile(r"https?://\S+/verify/[^\s<>\"]+")


def test_newcomer_registers_confirms_email_and_signs_in(newcomer_journey, page):
    journey = newcomer_journey
    email = "ada.newcomer@example.org"

    journey.goto("/")
    account_nav(page).get_by_role("link", name="Register").click()
    page.wait_for_url("**/register")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")

    # Sending the form empty shows the error summary, focused, with a link to each field.
    page.get_by_role("button", name="Create account").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    journey.check()  # the error state must pass too
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    targets = summary.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert targets == ["#display_name", "#email", "#password", "#confirm", "#accept_privacy"], targets
    for target in targets:
        field = page.locator(target)
        expect(field).to_have_attribute("aria-invalid", "true")
        described_by = field.get_attribute("aria-describedby").split()
        assert f"{target[1:]}-error" in described_by, (target, described_by)

    # Filled in properly, the form sends a confirmation link.
    page.get_by_label("Your name").fill("Ada Newcomer")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSPHRASE)
    page.get_by_label("Password again").fill(PASSPHRASE)
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/register/check-email")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    # Development mail: the newest message in the outbox holds the link.
    journey.goto("/dev/mail/")
    newest = page.locator("table tbody tr").first
    expect(newest).to_contain_text(email)
    newest.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/dev/mail/[^/]+$"))
    journey.check()
    body = page.locator(".mail-body").inner_text()
    match = VERIFY_LINK.search(body)
    assert match, f"no verification link in the message:\n{body}"
    assert match.group(0).startswith(journey.base_url + "/verify/"), match.group(0)

    page.goto(match.group(0))
    page.wait_for_url("**/sign-in?*")
    journey.check()
    expect(page.locator(".flash-success")).to_contain_text("your email address is confirmed")
    expect(page.get_by_label("Email address")).to_have_value(email)
    page.get_by_label("Password", exact=True).fill(PASSPHRASE)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url(journey.url("/"))
    journey.check()
    expect(account_nav(page).get_by_role("link", name="Ada Newcomer")).to_be_visible()
    expect(account_nav(page).get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator(".flash-success")).to_contain_text("Welcome, Ada Newcomer")

    journey.assert_every_page_checked()


def test_staff_sets_up_two_factor_then_signs_in_with_recovery_code(staff_journey, staff_server, page):
    journey = staff_journey
    admin = staff_server.make_user(
        "grace.admin@example.org", name="Grace Admin", password=PASSPHRASE, roles=("citizen", "admin")
    )

    sign_in(page, staff_server, admin, journey)

    # Staff pages send a staff member without two-factor sign-in to set it up first.
    journey.goto("/admin/users")
    assert "/account/security/two-factor" in page.url, page.url
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.locator(".flash-warning")).to_be_visible()
    secret = re.sub(r"\s+", "", page.locator("#totp-secret").inner_text())
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    page.get_by_role("textbox", name="Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    journey.check()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    assert all(re.fullmatch(r"[0-9a-f]{5}-[0-9a-f]{5}", code) for code in codes), codes

    page.get_by_role("link", name="I have kept my codes, continue").click()
    page.wait_for_url("**/admin/users*")
    journey.check()
    people = page.get_by_role("table", name="People")
    expect(people).to_be_visible()
    row = people.get_by_role("row").filter(has_text=admin["email"])
    expect(row).to_contain_text("Grace Admin")
    expect(row.get_by_role("cell").last).to_have_text("On")

    # Signing out and in again asks for the second factor; a recovery code works once.
    account_nav(page).get_by_role("button", name="Sign out").click()
    page.wait_for_url(journey.url("/"))
    journey.check()
    expect(page.locator(".flash-success")).to_contain_text("You are signed out")
    account_nav(page).get_by_role("link", name="Sign in").click()
    page.wait_for_url("**/sign-in")
    journey.check()
    fill_sign_in(page, admin)
    page.wait_for_url("**/sign-in/two-factor")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    page.get_by_role("textbox", name="Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(journey.url("/"))
    journey.check()
    expect(account_nav(page).get_by_role("link", name="Grace Admin")).to_be_visible()
    expect(page.locator(".flash-warning")).to_contain_text("You used a recovery code. 9 remain.")

    journey.assert_every_page_checked()


def test_skip_link_is_first_and_moves_focus_to_main(newcomer_journey, page):
    page.set_viewport_size({"width": 1280, "height": 400})  # short, so that the page can scroll
    newcomer_journey.goto("/")
    assert page.evaluate("() => document.documentElement.scrollHeight") > 600
    skip = page.get_by_role("link", name="Skip to main content")

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["height"] > 0, f"focused skip link is off screen: {box}"

    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    assert page.url.endswith("#main"), page.url
    main_top = page.evaluate("() => document.getElementById('main').getBoundingClientRect().top")
    assert abs(main_top) <= 1, f"#main was not scrolled to the top of the window: top={main_top}"
    newcomer_journey.check()


def test_axe_check_reports_a_real_violation(newcomer_journey, page, a11y):
    newcomer_journey.goto("/")  # passes as served

    page.evaluate("""() => {
        const img = document.createElement('img');
        img.src = 'x';
        img.id = 'injected-image';
        document.getElementById('main').appendChild(img);
    }""")
    violations = a11y.violations(page)
    by_id = {v["id"]: v for v in violations}
    assert "image-alt" in by_id, [v["id"] for v in violations]
    assert by_id["image-alt"]["nodes"][0]["target"] == ["#injected-image"]
    report = a11y.format(violations, "home with an injected image")
    assert "image-alt" in report and "#injected-image" in report, report
    with pytest.raises(AssertionError, match="image-alt"):
        a11y.assert_accessible(page)


def test_reflow_check_reports_a_page_wider_than_320px(newcomer_journey, page, a11y):
    newcomer_journey.goto("/")  # fits as served

    page.evaluate("""() => {
        const wide = document.createElement('div');
        wide.id = 'too-wide';
        wide.style.width = '400px';
        wide.textContent = 'wide';
        document.getElementById('main').appendChild(wide);
    }""")
    with pytest.raises(AssertionError, match=r"scrolls sideways at 320px.*div#too-wide"):
        a11y.assert_fits_narrow_screen(page)


def test_journey_notices_a_page_that_was_not_checked(newcomer_journey, page):
    newcomer_journey.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="About").click()
    page.wait_for_url("**/about")
    page.goto(newcomer_journey.url("/privacy"))  # two pages, neither checked
    with pytest.raises(
        AssertionError, match=r"never checked with axe: \['http://[^']+/about', 'http://[^']+/privacy'\]"
    ):
        newcomer_journey.assert_every_page_checked()
    newcomer_journey.check()  # /privacy is checked now; /about was missed for good
    with pytest.raises(AssertionError, match=r"never checked with axe: \['http://[^']+/about'\]"):
        newcomer_journey.assert_every_page_checked()
    newcomer_journey.missed.clear()  # so that the fixture's own check at teardown passes


def test_a_form_whose_session_ended_gives_the_text_back_and_sends_it_again(newcomer_journey, newcomer_server, page):
    """Someone writes a long text, their form's token no longer matches (as when the session ended
    while they typed): the page keeps what they wrote, passes axe, and sends it again in one click."""
    journey = newcomer_journey
    person = newcomer_server.make_user(name="Rosa Writer")
    sign_in(page, newcomer_server, person, journey)
    journey.goto("/account")
    about = "I have cycled to work along the river for twenty years, and the new lane changed everything."
    page.get_by_label("About you (optional)").fill(about)
    page.locator("main form input[name=csrf_token]").first.evaluate("input => { input.value = 'stale' }")
    page.get_by_role("button", name="Save").first.click()
    page.wait_for_load_state("load")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your form had expired")
    kept = page.get_by_role("textbox", name=re.compile(r"Text \d of \d")).evaluate_all(
        "boxes => boxes.map(b => b.value)"
    )
    assert about in kept, kept
    page.get_by_role("button", name="Send it again").click()
    page.wait_for_url("**/account")
    journey.check()
    expect(page.get_by_label("About you (optional)")).to_have_value(about)
