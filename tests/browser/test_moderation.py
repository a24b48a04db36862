"""Moderation in real browsers (issue 14), on a site as in production (staff sign in with two
factors): a citizen reports a comment with the keyboard; moderator A, with a staff page open, sees
the count of reported content rise live, opens the queue and hides the comment with a reason and an
explanation; a reader with the discussion open sees it replaced by "Hidden by moderation: <reason>"
without reloading; the author reads the statement of reasons (the explanation, the appeal deadline)
and appeals; moderator A is refused the appeal of their own decision, moderator B reverses it and
the comment comes back live for the reader. Every page each of them visits passes axe-core's
WCAG 2.x A/AA rules and fits a 320px-wide window.

Each person has a browser context of their own. The comment is written through the services inside
the live server's app context, as in tests/browser/test_discussions.py; nothing else in this module
creates an app while the server runs (conftest checks it)."""

import re
from types import SimpleNamespace

import pyotp
import pytest
from playwright.sync_api import expect

from civic.extensions import db
from tests.support.browser import (
    Journey,
    live_server_fixture,
    new_context,
    sign_in,
    sign_in_two_factor,
    user_by_email,
)

pytestmark = pytest.mark.browser

COMMENT = "The council hides the bus data because the director's brother runs the buses."
EXPLANATION = "It accuses a named person's relative of corruption without any source (rule 4)."
APPEAL = "It is in the council minutes of 3 March: I can link them. Please look again."
REVERSAL = "The minutes do say so; the comment can stay."
LIVE_MS = 5000  # a change pushed live reaches another open page within this

live_server = live_server_fixture("live-moderation", CIVIC_REQUIRE_STAFF_2FA=True)


@pytest.fixture(scope="module")
def world(live_server):
    from civic.discussions.services.categories import save_category
    from civic.discussions.services.comments import post_comment
    from civic.discussions.services.discussions import start_discussion

    make = live_server.make_user
    people = SimpleNamespace(
        admin=make(
            "ada.modadmin@example.org",
            name="Ada Admin",
            roles=("citizen", "admin"),
            two_factor_secret=pyotp.random_base32(),
        ),
        author=make("aurora.author@example.org", name="Aurora Author"),
        reporter=make("rita.reporter@example.org", name="Rita Reporter"),
        mod_a=make(
            "mateo.moda@example.org",
            name="Mateo Moderator",
            roles=("citizen", "moderator"),
            two_factor_secret=pyotp.random_base32(),
        ),
        mod_b=make(
            "berta.modb@example.org",
            name="Berta Moderator",
            roles=("citizen", "moderator"),
            two_factor_secret=pyotp.random_base32(),
        ),
        # Signs in once only: a two-factor code is accepted once, so each test has its own moderators.
        mod_c=make(
            "carla.modc@example.org",
            name="Carla Moderator",
            roles=("citizen", "moderator"),
            two_factor_secret=pyotp.random_base32(),
        ),
    )
    ids = SimpleNamespace()
    with live_server.app.app_context():
        admin, author = user_by_email(people.admin["email"]), user_by_email(people.author["email"])
        category = save_category(admin, name="Transport", description="Buses, bikes and streets")
        discussion = start_discussion(author, category, title="Open bus data", body="Why is the data not public?")
        ids.discussion = discussion.id
        ids.comment = post_comment(author, discussion, body=COMMENT, stance="against").id
        ids.author = author.id
        db.session.remove()
    return SimpleNamespace(people=people, ids=ids)


@pytest.fixture
def windows(browser, live_server):
    """A browser context, and the Journey checking its pages, for each person."""
    opened = []

    def open_window():
        context = new_context(browser)
        opened.append(context)
        page = context.new_page()
        return page, Journey(page, live_server.url)

    yield open_window
    for context in opened:
        context.close()


def live_connected(page):
    """Wait until the page's Socket.IO connection is up (its rooms are joined before that)."""
    page.wait_for_function("() => Boolean(window.Civic && Civic.socket && Civic.socket.connected)")


def card(page, comment_id):
    return page.locator(f"#comment-{comment_id} > article")


def test_report_hide_appeal_and_reversal(live_server, world, windows):
    people, ids = world.people, world.ids
    discussion_path = f"/discussions/{ids.discussion}"

    # Moderator A has a staff page open; its navigation counts reported content, live.
    mod_a, mod_a_journey = windows()
    sign_in_two_factor(mod_a, live_server, people.mod_a, mod_a_journey)
    mod_a_journey.goto("/admin/")
    staff_nav = mod_a.get_by_role("navigation", name="Staff pages")
    reports_count = staff_nav.locator('[data-staff-count="reports"]')
    expect(reports_count).to_have_text("0")
    live_connected(mod_a)

    # A reader (signed out) has the discussion open.
    reader, reader_journey = windows()
    reader_journey.goto(discussion_path)
    expect(reader.locator("[data-presence]")).to_be_visible()  # the page has joined the discussion's room
    reader.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads
    expect(card(reader, ids.comment).locator(".comment-body")).to_have_text(COMMENT)

    # The citizen reports the comment through its Report link and the form, with the keyboard.
    citizen, citizen_journey = windows()
    sign_in(citizen, live_server, people.reporter, citizen_journey)
    citizen_journey.goto(discussion_path)
    report_link = card(citizen, ids.comment).get_by_role("link", name="Report this comment")
    report_link.focus()
    citizen.keyboard.press("Enter")
    citizen.wait_for_url(re.compile(rf"/reports/comment/{ids.comment}\b"))
    citizen_journey.check()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Report content")
    expect(citizen.locator("blockquote")).to_contain_text(COMMENT)
    send = citizen.get_by_role("button", name="Send the report")
    send.focus()
    citizen.keyboard.press("Enter")  # no reason chosen: the error summary, focused, says so
    summary = citizen.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    citizen_journey.check()
    expect(summary).to_contain_text("Choose a reason for the report.")
    citizen.get_by_role("radio", name="Spam or advertising").focus()
    citizen.keyboard.press("ArrowDown")  # arrow keys move through the reasons and choose
    expect(citizen.get_by_role("radio", name="Abuse or harassment")).to_be_checked()
    citizen.keyboard.press("Tab")
    expect(citizen.get_by_role("textbox", name=re.compile(r"^Anything the moderators should know"))).to_be_focused()
    citizen.keyboard.type("It names a private person.")
    citizen.keyboard.press("Tab")
    expect(send).to_be_focused()
    citizen.keyboard.press("Enter")
    citizen.wait_for_url(re.compile(rf"{discussion_path}\b"))
    citizen_journey.check()
    expect(citizen.locator(".flash-success")).to_contain_text("Thank you. The moderators will look at your report.")

    # Moderator A's open page counts the report without being reloaded.
    expect(reports_count).to_have_text("1", timeout=LIVE_MS)

    # Moderator A opens the queue from the navigation and hides the comment with a reason and an explanation.
    staff_nav.get_by_role("link", name=re.compile(r"^Reported content")).click()
    mod_a.wait_for_url("**/staff/moderation")
    mod_a_journey.check()
    item = mod_a.locator(".queue-item").filter(has=mod_a.get_by_role("heading", name=f"Comment #{ids.comment}"))
    expect(item).to_have_count(1)
    expect(item.locator(".reported-text")).to_contain_text(COMMENT)
    expect(item).to_contain_text("It names a private person.")
    expect(item.get_by_label("Reason")).to_have_value("abuse")  # the reason most reports gave
    item.get_by_label("Explanation for the authors (optional)").fill(EXPLANATION)
    item.get_by_role("button", name="Hide it").click()
    mod_a.wait_for_url(re.compile(r"/staff/moderation(\?[^#]*)?#queue-title$"))
    mod_a_journey.check()
    expect(mod_a.locator(".flash-success")).to_contain_text("1 item done.")
    expect(mod_a.get_by_role("heading", name="0 reported items")).to_be_visible()
    expect(reports_count).to_have_text("0")

    # The reader sees the comment replaced in place, without reloading.
    hidden_notice = card(reader, ids.comment).locator(".comment-body .removed")
    expect(hidden_notice).to_have_text("Hidden by moderation: Abuse or harassment", timeout=LIVE_MS)
    expect(card(reader, ids.comment)).not_to_contain_text(COMMENT)
    expect(card(reader, ids.comment)).not_to_contain_text(EXPLANATION)  # the explanation is the author's
    assert reader.evaluate("() => window.__sameDocument === true"), "the reader's page was reloaded"
    reader_journey.check()

    # The citizen's own reports say what became of it.
    citizen_journey.goto("/account/reports")
    mine = citizen.get_by_role("table", name="The content you reported and what became of each report")
    expect(mine.get_by_role("row").filter(has_text="Abuse or harassment")).to_contain_text(
        "Upheld: the content was moderated"
    )

    # The author reads the statement of reasons and appeals.
    author, author_journey = windows()
    sign_in(author, live_server, people.author, author_journey)
    author_journey.goto("/account/decisions")
    decisions = author.get_by_role("table", name="Moderation decisions about you or your content")
    row = decisions.get_by_role("row").filter(has_text="Abuse or harassment")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Not appealed")
    row.get_by_role("link").click()
    author.wait_for_url(re.compile(r"/account/decisions/\d+$"))
    author_journey.check()
    decision_id = int(author.url.rsplit("/", 1)[1])
    statement = author.locator("dl.facts")
    expect(statement.locator("dt", has_text="Reason").locator("+ dd")).to_have_text("Abuse or harassment")
    expect(statement.locator("dt", has_text="Explanation").locator("+ dd")).to_have_text(EXPLANATION)
    expect(statement.locator("dt", has_text="Decided").locator("+ dd")).to_contain_text("by a moderator")
    expect(statement.locator("dt", has_text="Appeal").locator("+ dd")).to_have_text(
        re.compile(r"^\s*You can appeal once, until \S.*\d")
    )
    expect(author.get_by_role("main").locator("blockquote")).to_have_text(COMMENT)
    author.get_by_role("textbox", name="Why should the decision be changed?").fill(APPEAL)
    author.get_by_role("button", name="Send the appeal").click()
    author.wait_for_url(f"**/account/decisions/{decision_id}")
    author_journey.check()
    expect(author.locator(".flash-success")).to_contain_text("Your appeal is sent.")
    expect(statement.locator("dt", has_text="Appeal").locator("+ dd")).to_contain_text(
        "waiting for a moderator who did not make the decision"
    )
    expect(author.get_by_role("button", name="Send the appeal")).to_have_count(0)  # once only

    # Moderator A may not decide the appeal of their own decision: not offered, and refused if sent.
    mod_a_journey.goto("/staff/appeals")
    appeals = mod_a.get_by_role("table", name="Appeals waiting for a decision")
    own = appeals.get_by_role("row").filter(has_text="Abuse or harassment")
    expect(own).to_contain_text("Yes: another moderator decides it")
    own.get_by_role("link").click()
    mod_a.wait_for_url(f"**/staff/appeals/{decision_id}")
    mod_a_journey.check()
    expect(mod_a.get_by_role("main").locator("blockquote")).to_have_text(APPEAL)
    expect(mod_a.locator(".notice")).to_have_text("You made this decision: another moderator must decide its appeal.")
    expect(mod_a.get_by_role("button", name="Decide the appeal")).to_have_count(0)
    token = mod_a.locator("input[name=csrf_token]").first.input_value()
    refused = mod_a.request.post(
        f"{live_server.url}/staff/appeals/{decision_id}",
        form={"csrf_token": token, "outcome": "reversed", "explanation": "My own mistake."},
        max_redirects=0,
    )
    assert refused.status == 403, refused.status
    expect(card(reader, ids.comment).locator(".comment-body .removed")).to_be_visible()  # still hidden

    # Moderator B reverses the decision.
    mod_b, mod_b_journey = windows()
    sign_in_two_factor(mod_b, live_server, people.mod_b, mod_b_journey)
    mod_b_journey.goto("/staff/appeals")
    appeals = mod_b.get_by_role("table", name="Appeals waiting for a decision")
    theirs = appeals.get_by_role("row").filter(has_text="Abuse or harassment")
    expect(theirs.get_by_role("cell").last).to_have_text("No")
    theirs.get_by_role("link").click()
    mod_b.wait_for_url(f"**/staff/appeals/{decision_id}")
    mod_b_journey.check()
    mod_b.get_by_role("radio", name="Reversed: the decision was undone").check()
    mod_b.get_by_role("textbox", name="Explanation for the person who appealed").fill(REVERSAL)
    mod_b.get_by_role("button", name="Decide the appeal").click()
    mod_b.wait_for_url("**/staff/appeals")
    mod_b_journey.check()
    expect(mod_b.locator(".flash-success")).to_contain_text("The appeal is decided")
    expect(mod_b.get_by_text("No appeal is waiting.")).to_be_visible()

    # The comment is back for the reader, live (the reversal pushes the comment's card again).
    expect(card(reader, ids.comment).locator(".comment-body")).to_have_text(COMMENT, timeout=LIVE_MS)
    expect(card(reader, ids.comment).locator(".removed")).to_have_count(0)
    assert reader.evaluate("() => window.__sameDocument === true"), "the reader's page was reloaded"
    reader_journey.check()

    # A moderator's comment cards link to the Hide page (reason, explanation); B looks and cancels.
    mod_b_journey.goto(discussion_path)
    card(mod_b, ids.comment).get_by_role("link", name="Hide", exact=True).click()
    mod_b.wait_for_url(f"**/staff/moderation/comment/{ids.comment}/hide")
    mod_b_journey.check()
    expect(mod_b.get_by_role("heading", level=1)).to_have_text("Hide content")
    expect(mod_b.get_by_role("group", name="Reason").get_by_role("radio")).to_have_count(8)
    expect(mod_b.get_by_role("textbox", name="Explanation for the author")).to_be_visible()
    mod_b.get_by_role("link", name="Cancel").click()
    mod_b.wait_for_url(re.compile(rf"{discussion_path}\b"))
    mod_b_journey.check()
    expect(card(mod_b, ids.comment).locator(".comment-body")).to_have_text(COMMENT)

    # The author's statement of reasons now gives the outcome of the appeal.
    author.reload()
    author_journey.check()
    expect(statement.locator("dt", has_text="Appeal").locator("+ dd")).to_have_text(
        f"Reversed: the decision was undone: {REVERSAL}"
    )

    for journey in (mod_a_journey, reader_journey, citizen_journey, author_journey, mod_b_journey):
        journey.assert_every_page_checked()


def test_other_moderation_staff_pages_pass_axe(live_server, world, windows):
    """The moderation pages the journey above does not walk through: sanctions, hiding everything a
    person wrote, editing out personal data (with its error), and what pre-moderation held."""
    people, ids = world.people, world.ids
    page, journey = windows()
    sign_in_two_factor(page, live_server, people.mod_c, journey)
    main = page.get_by_role("main")

    journey.goto(f"/staff/people/{ids.author}/sanction")
    expect(page.get_by_role("heading", level=1)).to_have_text("Warn, suspend or ban Aurora Author")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    journey.check()
    expect(page.locator("[data-error-summary]")).to_contain_text("Choose what to decide.")

    journey.goto(f"/staff/moderation/users/{ids.author}/hide-all")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hide all content of Aurora Author")
    expect(main.get_by_role("combobox", name="Reason")).to_be_visible()

    journey.goto(f"/staff/moderation/comment/{ids.comment}/edit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit out personal data")
    text = page.get_by_role("textbox", name="Text without the personal data")
    expect(text).to_have_value(COMMENT)
    text.fill("")
    page.get_by_role("button", name="Save the text").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    journey.check()
    expect(page.locator("[data-error-summary]")).to_contain_text("Write the text to keep.")

    journey.goto("/staff/held")
    expect(page.get_by_role("heading", level=1)).to_have_text("Held for review")

    journey.goto("/staff/appeals")
    journey.goto("/staff/moderation?kind=comment&sort=most_reported")
    expect(page.get_by_role("heading", name=re.compile(r"reported items?$"))).to_be_visible()

    journey.assert_every_page_checked()
