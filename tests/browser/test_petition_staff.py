"""Staff petition pages in a real browser: a moderator works through the queue (approves one
petition with the keyboard, rejects another as a duplicate after being asked for the other
petition's number), then investigates a burst of signatures (fills the rule in from the burst,
counts, invalidates, reverts); an official publishes a response and schedules the debate; the
creator sees their petitions. Every page on the way passes axe-core's WCAG 2.x A/AA rules and
fits a 320px-wide window.

The petitions are written through the services inside the live server's app context; with no
sponsors required they go straight to moderation."""

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from civic.extensions import db
from tests.support.browser import Journey, live_server_fixture, sign_in, user_by_email

pytestmark = pytest.mark.browser

PUBLISHED = "Plant more trees on Riverside Avenue"
TO_APPROVE = "Open the Old Town library on Sundays"
DUPLICATE = "Plant trees on Riverside Avenue"
AFTER_POST = re.compile(r"/investigate(#[\w-]*)?$")  # the browser keeps the fragment through the redirect


live_server = live_server_fixture(
    "live-petition-staff",
    CIVIC_PETITION_SPONSORS=0,
    CIVIC_LIMIT_PETITION_CREATE="100 per hour",
    CIVIC_TIMEZONE="Europe/Madrid",
)


def _confirm_token(outbox, address):
    for _id, message in outbox.messages():  # newest first
        if address.lower() in message["To"].lower():
            text = message.get_body(("plain",)).get_content()
            link = next(word for word in text.split() if "/confirm" in word)
            return link.rsplit("/signatures/", 1)[1].split("/")[0]
    raise AssertionError(f"no mail to {address}")


@pytest.fixture(scope="module")
def world(live_server):
    """One open petition with a burst of twelve signatures from one office network, and two
    petitions waiting for moderation (one of them a duplicate of the open one)."""
    from civic.petitions.services import lifecycle, moderation, signing

    make = live_server.make_user
    people = SimpleNamespace(
        carmen=make("carmen.staffpages@example.org", name="Carmen Creator"),
        mo=make("mo.staffpages@example.org", name="Mo Moderator", roles=("citizen", "moderator")),
        olga=make("olga.staffpages@example.org", name="Olga Official", roles=("citizen", "official")),
    )
    ids = SimpleNamespace()
    app = live_server.app
    with app.app_context():
        outbox = app.extensions["civic_mail"]
        carmen, mo = user_by_email(people.carmen["email"]), user_by_email(people.mo["email"])

        def start(title, background):
            petition = lifecycle.create_petition(
                carmen, lifecycle.PetitionFields(title=title, background=background, area="Riverside")
            )
            assert petition.current_state.value == "pending"
            return petition

        published = start(PUBLISHED, "The avenue has lost 40 trees in ten years and is the hottest street.")
        moderation.approve_petition(mo, published)
        for n in range(12):
            email = f"bot{n}@spam.example"
            signing.sign_petition(
                published,
                signing.SignatureFields(name=f"Bot {n}", email=email, area="Old Town", consent=True),
                client=f"203.0.113.{n + 1}",
            )
            signing.confirm_signature(published, _confirm_token(outbox, email))
        ids.published = published.id
        ids.to_approve = start(TO_APPROVE, "Families and students need somewhere to read at weekends.").id
        ids.duplicate = start(DUPLICATE, "Riverside Avenue needs shade: plant trees along it.").id
        db.session.remove()
    return SimpleNamespace(people=people, ids=ids)


def state_of(server, petition_id):
    from civic.petitions.models import Petition

    with server.app.app_context():
        state = db.session.get(Petition, petition_id).state
        db.session.remove()
    return state


def test_a_moderator_approves_by_keyboard_and_rejects_a_duplicate(page, live_server, world):
    sign_in(page, live_server, world.people.mo)
    journey = Journey(page, live_server.url)
    main = page.get_by_role("main")
    journey.goto("/admin/")
    page.get_by_role("navigation", name="Staff pages").get_by_role("link", name="Petitions to moderate").click()
    page.wait_for_url("**/petitions/moderation")
    journey.check()
    main.get_by_role("link", name=TO_APPROVE).click()
    page.wait_for_url(f"**/petitions/{world.ids.to_approve}/moderate")
    journey.check()
    main.get_by_role("button", name="Approve and publish").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/petitions/moderation")
    journey.check()
    expect(page.locator(".flash-success")).to_contain_text("open for signatures")
    assert state_of(live_server, world.ids.to_approve) == "open"

    main.get_by_role("link", name=DUPLICATE, exact=True).click()
    page.wait_for_url(f"**/petitions/{world.ids.duplicate}/moderate")
    journey.check()
    expect(main.get_by_role("list", name=re.compile("Similar published petitions"))).to_contain_text(PUBLISHED)
    main.get_by_label("Reason").select_option("duplicate")
    main.get_by_label("Comment (optional)").fill("Sign the earlier petition instead.")
    main.get_by_role("button", name="Reject").click()
    journey.check()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Give the number of the published petition")
    number = main.get_by_label("Number of the petition it duplicates")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(main.get_by_label("Comment (optional)")).to_have_value("Sign the earlier petition instead.")
    number.fill(str(world.ids.published))
    main.get_by_role("button", name="Reject").click()
    page.wait_for_url("**/petitions/moderation")
    journey.check()
    expect(main).to_contain_text("No petitions are waiting for moderation.")
    assert state_of(live_server, world.ids.duplicate) == "rejected"


def test_a_moderator_invalidates_a_burst_and_reverts_it(page, live_server, world):
    sign_in(page, live_server, world.people.mo)
    journey = Journey(page, live_server.url)
    main = page.get_by_role("main")
    journey.goto(f"/petitions/{world.ids.published}/investigate")
    networks = main.get_by_role("table", name=re.compile("Network ranges"))
    expect(networks.get_by_role("rowheader", name="203.0.113.0/24")).to_be_visible()
    expect(main.get_by_role("table", name=re.compile("Email domains"))).to_contain_text("spam.example")
    networks.get_by_role("link", name=re.compile("Fill in the rule")).click()
    journey.check()
    expect(main.get_by_label("Network address or range")).to_have_value("203.0.113.0/24")
    main.get_by_role("button", name="Count matching signatures").click()
    journey.check()
    expect(main.locator(".notice[role=status]")).to_have_text("12 signatures match this rule.")
    main.get_by_label("Reason", exact=True).fill("A script signed from one office network.")
    main.get_by_role("button", name="Invalidate matching signatures").click()
    page.wait_for_url(AFTER_POST)
    journey.check()
    expect(page.locator(".flash-success")).to_have_text("12 signatures are invalidated.")
    expect(main.get_by_role("heading", name="12 signatures")).to_be_visible()
    main.get_by_label("Why should these signatures count again?").fill("It was a real office after all.")
    main.get_by_role("button", name="Revert: count these signatures again").click()
    page.wait_for_url(AFTER_POST)
    journey.check()
    expect(page.locator(".flash-success")).to_contain_text("count again")
    expect(main).to_contain_text("It was a real office after all.")


def test_an_official_responds_and_schedules_the_debate(page, live_server, world):
    sign_in(page, live_server, world.people.olga)
    journey = Journey(page, live_server.url)
    main = page.get_by_role("main")
    journey.goto(f"/petitions/{world.ids.published}/response")
    main.get_by_role("button", name="Publish the response").click()
    journey.check()
    expect(page.locator("[data-error-summary]")).to_contain_text("Write a short summary.")
    main.get_by_label("Summary of the response").fill("We will plant 40 trees this autumn.")
    main.get_by_role("button", name="Publish the response").click()
    page.wait_for_url(re.compile(rf"/petitions/{world.ids.published}$"))
    journey.check()
    journey.goto(f"/petitions/{world.ids.published}/debate")
    main.locator("#schedule-debate_on").fill((date.today() + timedelta(days=30)).isoformat())
    main.get_by_role("button", name="Schedule the debate").click()
    page.wait_for_url(re.compile(rf"/petitions/{world.ids.published}$"))
    journey.check()
    expect(main).to_contain_text("We will plant 40 trees this autumn.")


def test_the_creator_sees_their_petitions(page, live_server, world):
    sign_in(page, live_server, world.people.carmen)
    journey = Journey(page, live_server.url)
    journey.goto("/petitions/mine")
    table = page.get_by_role("main").get_by_role("table")
    expect(table.get_by_role("rowheader", name=PUBLISHED)).to_be_visible()
    expect(table).to_contain_text(TO_APPROVE)
    expect(table).to_contain_text(DUPLICATE)
