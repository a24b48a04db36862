"""A consultation's draft text in a real browser: a citizen reads it passage by passage, reaches a
passage's discussion from its margin link with the keyboard alone, sees which passage it is
about, comments, and goes back to the text, where the margin now counts the comment. An official
changes the published text, first without the public note it needs. Every page passes axe-core's
WCAG 2.x A/AA rules and fits a 320px-wide window.

The consultation opens a minute ago and closes in thirty days (the live server's clock cannot be
frozen). Nothing here creates another Flask app while the server runs (Socket.IO emits through
the newest app)."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from civic.extensions import db
from tests.support.browser import Journey, live_server_fixture, local_now, sign_in, user_by_email

pytestmark = pytest.mark.browser

TITLE = "A plan for the Old Town's streets"
TEXT = """# Scope

This plan covers **all streets** of the Old Town.

## Parking

Residents park for free; visitors pay from 9:00 to 20:00.

- Blue zones
  - near the market
- Green zones

| Zone | Price per hour |
|------|----------------|
| Blue | 1.50 €         |
| Green | 0.80 €        |
"""


live_server = live_server_fixture("live-draft-text", CIVIC_TIMEZONE="UTC")


@pytest.fixture(scope="module")
def world(live_server):
    from civic.consultations.services import draft_text, lifecycle
    from civic.discussions.models import Discussion
    from civic.discussions.services.comments import post_comment

    make = live_server.make_user
    people = SimpleNamespace(
        olga=make("olga.text@example.org", name="Olga Official", roles=("citizen", "official")),
        rita=make("rita.reader@example.org", name="Rita Reader"),
        earl=make("earl.early@example.org", name="Earl Early"),
    )
    with live_server.app.app_context():
        olga, earl = user_by_email(people.olga["email"]), user_by_email(people.earl["email"])
        plan = lifecycle.create_consultation(
            olga,
            lifecycle.ConsultationFields(
                title=TITLE,
                summary="Parking, zones and prices.",
                opens_local=local_now() - timedelta(minutes=1),
                closes_local=local_now() + timedelta(days=30),
            ),
        )
        lifecycle.publish_consultation(olga, plan)
        draft_text.set_draft_text(olga, plan, TEXT, correction_note="The draft text is up for comment.")
        first, second = [s for s in draft_text.draft_sections(plan) if s.kind == "paragraph"]
        for body in ("Does this include the new quarter?", "It should."):
            post_comment(earl, db.session.get(Discussion, first.discussion_id), body=body)
        ids = SimpleNamespace(plan=plan.id, first=first.id, second=second.id, second_discussion=second.discussion_id)
        db.session.remove()
    return SimpleNamespace(people=people, ids=ids)


def tab_to(page, name, limit=60):
    """Press Tab until the link with this accessible name has the focus (the keyboard alone)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.getAttribute('aria-label')") == name:
            return
    raise AssertionError(f"no focusable element named {name!r} within {limit} Tab presses")


def test_a_citizen_comments_on_a_paragraph_from_its_margin_link(page, live_server, world):
    sign_in(page, live_server, world.people.rita)
    journey = Journey(page, live_server.url)
    main = page.get_by_role("main")
    ids = world.ids

    journey.goto(f"/consultations/{ids.plan}")
    main.get_by_role("link", name="Read and comment on the draft text (4 paragraphs)").click()
    page.wait_for_url(f"**/consultations/{ids.plan}/text")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft text")
    expect(main.get_by_role("heading", level=2)).to_have_text("Scope")
    expect(main.get_by_role("heading", level=3)).to_have_text("Parking")
    expect(main.get_by_role("table")).to_contain_text("Price per hour")
    counted = main.get_by_role("link", name="2 comments on paragraph 1")
    expect(counted).to_have_text("2")
    expect(main.get_by_role("link", name="Comment on paragraph 2")).to_have_text("Comment")
    expect(main.get_by_role("link", name="Comment on the heading “Parking”")).to_be_visible()

    # By keyboard: Tab to the second paragraph's margin link and follow it with Enter.
    main.get_by_role("heading", level=1).click()
    tab_to(page, "Comment on paragraph 2")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/discussions/{ids.second_discussion}")
    journey.check()
    context = main.locator(".discussion-context")
    expect(context).to_contain_text("This discussion is about this passage of the draft text")
    expect(context.locator("blockquote")).to_contain_text("Residents park for free")
    expect(main).to_contain_text("No comments yet.")

    main.get_by_role("textbox", name="Your comment").fill("Residents with two cars should pay for the second one.")
    main.get_by_role("button", name="Post comment").click()
    page.wait_for_url(re.compile(rf"/discussions/{ids.second_discussion}\?sort=newest#comment-\d+"))
    journey.check()
    expect(page.locator(".flash-success")).to_have_text("Your comment is published.")
    expect(main.locator(".comment-body")).to_contain_text("the second one")

    context.get_by_role("link", name="Back to the draft text").click()
    page.wait_for_url(f"**/consultations/{ids.plan}/text#section-{ids.second}")
    journey.check()
    back = main.get_by_role("link", name="1 comment on paragraph 2")
    expect(back).to_have_text("1")
    expect(main.locator(f"#section-{ids.second}")).to_contain_text("Residents park for free")

    journey.assert_every_page_checked()


def test_an_official_corrects_the_published_text_with_a_public_note(page, live_server, world):
    sign_in(page, live_server, world.people.olga)
    journey = Journey(page, live_server.url)
    main = page.get_by_role("main")
    summary = page.locator("[data-error-summary]")
    ids = world.ids

    journey.goto(f"/consultations/{ids.plan}")
    main.get_by_role("region", name="For officials").get_by_role("link", name="Draft text").click()
    page.wait_for_url(f"**/consultations/{ids.plan}/draft-text")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft text for comment")
    text = main.get_by_label("Draft text (Markdown)")
    expect(text).to_have_value(re.compile(r"^# Scope"))
    text.fill(TEXT.replace("Green zones\n", "Green zones\n- Red zones, for deliveries\n"))
    main.get_by_role("button", name="Save the draft text").click()
    expect(summary).to_be_focused()
    journey.check()
    expect(summary.get_by_role("link")).to_have_attribute("href", "#correction_note")
    expect(text).to_have_value(re.compile("Red zones, for deliveries"))

    main.get_by_label("What did you correct?").fill("Red zones added to the list.")
    main.get_by_role("button", name="Save the draft text").click()
    page.wait_for_url(f"**/consultations/{ids.plan}/text")
    journey.check()
    expect(page.locator(".flash-success")).to_contain_text("Draft text saved")
    expect(main.get_by_role("listitem").filter(has_text="Red zones")).to_be_visible()
    # The changed list lost no comments (it had none) and the commented paragraph kept its two.
    expect(main.get_by_role("link", name="2 comments on paragraph 1")).to_be_visible()
    main.locator(".kicker").get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"**/consultations/{ids.plan}")
    journey.check()
    expect(main.get_by_role("region", name="Changes since publication")).to_contain_text("Red zones added to the list.")

    journey.assert_every_page_checked()
