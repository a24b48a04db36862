"""Discussions in a real browser: two signed-in citizens on the same discussion see each other's
comments, replies and votes live; every discussion page passes axe-core's WCAG 2.x A/AA rules;
and the page still works without JavaScript, or with long-polling when WebSockets are blocked.

The live server is the werkzeug server of tests.support.browser.LiveServer (it passes the socket to
simple-websocket, so the WebSocket transport works). Flask-SocketIO's `socketio` object is
module-global and emits through the app created last, so nothing in this module creates another
app while the server runs; conftest checks that before every test."""

import re
import time
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from civic.extensions import db
from tests.support.browser import (
    Journey,
    account_nav,
    assert_accessible,
    live_server_fixture,
    new_context,
    sign_in,
    user_by_email,
)
from tests.support.moderation import hide_comment

pytestmark = pytest.mark.browser

LIVE_BUDGET_MS = 2000  # a change made by one person is on the other's screen within this
NEW_COMMENT = re.compile(r"#comment-(\d+)$")


# --- server and data ------------------------------------------------------------------------

live_server = live_server_fixture("live-discussions", CIVIC_LIMIT_COMMENT="100 per minute")


@pytest.fixture(scope="module")
def world(live_server):
    """People and discussions, written through the services as the app itself would."""
    from civic.discussions.services.categories import save_category
    from civic.discussions.services.comments import (
        delete_comment,
        edit_comment,
        pin_comment,
        post_comment,
    )
    from civic.discussions.services.discussions import start_discussion
    from civic.discussions.services.votes import vote_on_comment

    make = live_server.make_user
    people = SimpleNamespace(
        alma=make("alma.admin@example.org", name="Alma Admin", roles=("citizen", "admin")),
        moe=make("moe.moderator@example.org", name="Moe Moderator", roles=("citizen", "moderator")),
        ana=make("ana.arroyo@example.org", name="Ana Arroyo"),
        ben=make("ben.bravo@example.org", name="Ben Bravo"),
        nora=make("nora.starter@example.org", name="Nora Starter"),
        cris=make("cris.plain@example.org", name="Cris Plain"),
        iker=make("iker.ibarra@example.org", name="Iker Ibarra"),
    )
    ids = SimpleNamespace()
    with live_server.app.app_context():
        alma, moe, ana, ben, nora, cris, iker = (user_by_email(p["email"]) for p in vars(people).values())
        category = save_category(alma, name="Transport", description="Buses, bikes and streets")

        # The discussion that Ana (A) and Ben (B) read together.
        live = start_discussion(
            ben, category, title="Night buses on the ring road", body="Should the **N2** run all night at weekends?"
        )
        ids.live = live.id
        ids.ben_comment = post_comment(ben, live, body="Every 20 minutes would be enough.", stance="in_favour").id

        # A discussion with everything a thread can show, for the accessibility checks.
        rich = start_discussion(
            nora,
            category,
            title="Should Calle Mayor be car-free?",
            body="The council is **considering** it. See the [plan](https://example.org/plan).",
        )
        ids.rich = rich.id
        pinned = post_comment(
            iker, rich, body="Summary of the proposal:\n\n- buses stay\n- deliveries before 11", stance="neutral"
        )
        pin_comment(moe, pinned, True)
        post_comment(iker, rich, body="Yes, and thanks @nora_starter for starting this.", stance="in_favour")
        against = post_comment(ana, rich, body="No: the shops need deliveries all day.", stance="against")
        ids.against = against.id
        vote_on_comment(ben, against, 1)
        vote_on_comment(nora, against, -1)
        mine = post_comment(nora, rich, body="I would like a trial first.")
        edit_comment(nora, mine, body="I would like a trial over the summer first.", stance="neutral")
        ids.nora_comment = mine.id
        post_comment(iker, rich, body="A summer trial sounds fair.", parent_id=mine.id)
        deleted = post_comment(ben, rich, body="Wrong thread, sorry.")
        post_comment(iker, rich, body="No worries.", parent_id=deleted.id)
        delete_comment(ben, deleted)
        hidden = post_comment(cris, rich, body="Cheap watches at example.com!")
        hide_comment(moe, hidden, "Advertising is not allowed here.", reason="spam")
        parent = None
        for level in range(7):  # a top-level comment and replies six levels deep
            author = ana if level % 2 == 0 else iker
            parent = post_comment(
                author, rich, body=f"Level {level}: what about bicycles?", parent_id=parent.id if parent else None
            )
        db.session.remove()
    return SimpleNamespace(people=people, ids=ids)


# --- helpers --------------------------------------------------------------------------------


def open_live(page, server, discussion_id):
    """Open the discussion and wait until the page has joined its live room (the join's answer
    fills in the presence line)."""
    page.goto(f"{server.url}/discussions/{discussion_id}")
    expect(page.locator("[data-presence]")).to_be_visible()


WATCH = """([name, selector, text]) => {
  window.__seenAt = window.__seenAt || {};
  const check = () => {
    if (name in window.__seenAt) { return; }
    const el = document.querySelector(selector);
    if (el && (text === null || el.textContent.trim() === text)) { window.__seenAt[name] = Date.now(); }
  };
  new MutationObserver(check).observe(document.documentElement,
    {subtree: true, childList: true, attributes: true, characterData: true});
  check();
}"""


def watch(page, name, selector, text=None):
    """Note in the page the moment (Date.now()) `selector` first matches (with `text`)."""
    page.evaluate(WATCH, [name, selector, text])


def seen_at(page, name):
    return page.evaluate("(name) => (window.__seenAt || {})[name] ?? null", name)


class Clock:
    """Time since an action, to give assertions what is left of the live budget."""

    def __init__(self):
        self.wall_ms = time.time() * 1000  # compared with Date.now() in the pages
        self.started = time.monotonic()

    def left_ms(self, budget=LIVE_BUDGET_MS):
        return max(1.0, budget - (time.monotonic() - self.started) * 1000)

    def latency_ms(self, page, name):
        at = seen_at(page, name)
        return None if at is None else round(at - self.wall_ms)


def transport(page):
    return page.evaluate(
        "() => window.Civic && Civic.socket && Civic.socket.io.engine && Civic.socket.io.engine.transport.name"
    )


@pytest.fixture(scope="module")
def pair(browser, live_server, world):
    """Ana (A) and Ben (B), each signed in through the sign-in form in their own browser."""
    a_context, b_context = new_context(browser), new_context(browser)
    a, b = a_context.new_page(), b_context.new_page()
    sign_in(a, live_server, world.people.ana)
    sign_in(b, live_server, world.people.ben)
    yield SimpleNamespace(a=a, b=b)
    a_context.close()
    b_context.close()


# --- live updates ---------------------------------------------------------------------------


def test_a_new_comment_waits_behind_a_button_that_the_keyboard_opens(pair, live_server, world):
    a, b = pair.a, pair.b
    open_live(a, live_server, world.ids.live)
    open_live(b, live_server, world.ids.live)
    assert transport(b) == "websocket", transport(b)
    against_before = int(b.locator('[data-count="against"]').inner_text())
    show_new = b.locator("[data-show-new]")
    announcer = b.locator("[data-announcer]")
    expect(show_new).to_be_hidden()

    watch(b, "button", "[data-new-comments]:not([hidden]) [data-show-new]")
    a.get_by_role("textbox", name="Your comment").fill("What about the last train connections?")
    a.get_by_role("radio", name="Against").check()
    clock = Clock()
    a.get_by_role("button", name="Post comment").click()
    expect(show_new).to_be_visible(timeout=clock.left_ms())
    expect(show_new).to_have_text("1 new comment, show", timeout=clock.left_ms())
    print(f"\nlive: new comment button in B {clock.latency_ms(b, 'button')} ms after A's click")
    expect(announcer).to_have_text("1 new comment, show")
    expect(b.locator('[data-count="against"]')).to_have_text(str(against_before + 1))

    a.wait_for_url(NEW_COMMENT)
    new_id = NEW_COMMENT.search(a.url).group(1)
    expect(a.locator(".flash-success")).to_contain_text("Your comment is published.")
    expect(b.locator(f"#comment-{new_id}")).to_have_count(0)  # buffered, not yet in the list

    # Keyboard only: focus the button and press Enter.
    show_new.focus()
    b.keyboard.press("Enter")
    first = b.locator("[data-comment-list] > li").first
    expect(first).to_have_attribute("id", f"comment-{new_id}")
    expect(first).to_contain_text("What about the last train connections?")
    expect(first.locator(".stance")).to_have_text("Against")
    expect(b.locator(f"#comment-{new_id} > article")).to_be_focused()
    expect(b.locator("[data-new-comments]")).to_be_hidden()
    # Rendered for a generic reader, adapted for Ben: he may vote and reply, not edit.
    card = first.locator(":scope > article")
    expect(card.get_by_role("button", name=re.compile(r"^Agree"))).to_be_visible()
    expect(card.get_by_role("link", name="Reply to this comment")).to_be_visible()
    expect(card.get_by_role("link", name="Edit")).to_have_count(0)
    assert card.locator("input[name=csrf_token]").first.input_value(), "no CSRF token in the live vote form"
    assert_accessible(b, "the discussion page after showing a live comment")

    # Three comments in quick succession: one button counts them all.
    for n in (1, 2, 3):
        a.get_by_role("textbox", name="Your comment").fill(f"Quick thought number {n}.")
        clock = Clock()
        with a.expect_navigation():
            a.get_by_role("button", name="Post comment").click()
    expect(show_new).to_have_text("3 new comments, show", timeout=clock.left_ms())  # from the third click
    expect(announcer).to_have_text("3 new comments, show")
    show_new.focus()
    b.keyboard.press("Enter")
    top_three = b.locator("[data-comment-list] > li").all_inner_texts()[:3]
    assert sorted(re.search(r"Quick thought number \d", text).group(0) for text in top_three) == [
        f"Quick thought number {n}" for n in (1, 2, 3)
    ], top_three
    expect(b.locator("[data-comment-list] > li").first.locator(":scope > article")).to_be_focused()
    assert_accessible(b, "the discussion page after showing three live comments")


def test_a_reply_appears_under_its_comment_without_a_button(pair, live_server, world):
    a, b = pair.a, pair.b
    parent_id = world.ids.ben_comment
    open_live(a, live_server, world.ids.live)
    open_live(b, live_server, world.ids.live)

    a.locator(f"#comment-{parent_id} > article").get_by_role("link", name="Reply to this comment").click()
    a.wait_for_url(re.compile(rf"reply_to={parent_id}"))
    expect(a.get_by_role("heading", name="Reply to Ben Bravo")).to_be_visible()
    a.get_by_role("textbox", name="Your comment").fill("Twenty minutes is fine by me too.")
    watch(b, "reply", f'#comment-{parent_id} > ol.replies > li[data-parent-id="{parent_id}"]')
    clock = Clock()
    a.get_by_role("button", name="Post reply").click()
    reply = b.locator(f"#comment-{parent_id} > ol.replies > li").filter(has_text="Twenty minutes is fine by me too.")
    expect(reply).to_be_visible(timeout=clock.left_ms())
    print(f"\nlive: reply under its comment in B {clock.latency_ms(b, 'reply')} ms after A's click")
    expect(reply).to_have_attribute("data-level", "1")
    expect(reply).to_have_class(re.compile(r"\blevel-1\b"))
    expect(b.locator("[data-new-comments]")).to_be_hidden()
    expect(b.locator("[data-announcer]")).to_have_text("A new reply was added.")
    assert_accessible(b, "the discussion page after a live reply")

    # A is back on the thread it replied from, at the comment it answered (issue 12), and its
    # reply is the comment B sees.
    a.wait_for_url(re.compile(rf"/discussions/{world.ids.live}\?sort=best#comment-{parent_id}$"))
    mine = a.locator(f"#comment-{parent_id} > ol.replies > li").filter(has_text="Twenty minutes is fine by me too.")
    expect(mine).to_have_count(1)
    expect(reply).to_have_attribute("id", mine.get_attribute("id"))


def test_votes_update_live_and_presence_counts_both_readers(pair, live_server, world):
    a, b = pair.a, pair.b
    comment_id = world.ids.ben_comment
    open_live(a, live_server, world.ids.live)
    open_live(b, live_server, world.ids.live)
    # Sockets of pages left by earlier tests take a moment to be counted out.
    expect(a.locator("[data-presence]")).to_have_text("2 people here now", timeout=3000)
    expect(b.locator("[data-presence]")).to_have_text("2 people here now", timeout=3000)

    ups = b.locator(f"#comment-{comment_id} > article [data-up]")
    before = int(ups.inner_text())
    watch(b, "vote", f"#comment-{comment_id} > article [data-up]", str(before + 1))
    agree = a.locator(f"#comment-{comment_id} > article").get_by_role("button", name=re.compile(r"^Agree"))
    expect(agree).to_have_attribute("aria-pressed", "false")
    clock = Clock()
    agree.click()
    expect(ups).to_have_text(str(before + 1), timeout=clock.left_ms())
    print(f"\nlive: vote count in B {clock.latency_ms(b, 'vote')} ms after A's click")
    a.wait_for_url(NEW_COMMENT)
    expect(
        a.locator(f"#comment-{comment_id} > article").get_by_role("button", name=re.compile(r"^Agree"))
    ).to_have_attribute("aria-pressed", "true")


def test_live_updates_fall_back_to_long_polling_when_websockets_are_blocked(browser, pair, live_server, world):
    """A proxy that refuses WebSocket upgrades must not cost readers their live updates."""
    context = new_context(browser)
    context.add_init_script("""(() => {
      const Real = window.WebSocket;
      function Refused(url, protocols) {  // the upgrade is answered with a 404, as by a strict proxy
        return new Real(String(url).replace('/socket.io/', '/no-websockets-here/'), protocols);
      }
      Refused.prototype = Real.prototype;
      Object.assign(Refused, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
      window.WebSocket = Refused;
    })()""")
    try:
        reader = context.new_page()  # signed out: anyone may read a discussion live
        open_live(pair.a, live_server, world.ids.live)
        open_live(reader, live_server, world.ids.live)
        assert transport(reader) == "polling", transport(reader)
        watch(reader, "button", "[data-new-comments]:not([hidden]) [data-show-new]")
        pair.a.get_by_role("textbox", name="Your comment").fill("Does this reach a reader on long-polling?")
        clock = Clock()
        pair.a.get_by_role("button", name="Post comment").click()
        expect(reader.locator("[data-show-new]")).to_have_text("1 new comment, show", timeout=clock.left_ms())
        print(f"\nlive over long-polling: button {clock.latency_ms(reader, 'button')} ms after the click")
        pair.a.wait_for_url(NEW_COMMENT)
    finally:
        context.close()


# --- accessibility --------------------------------------------------------------------------


def test_discussion_pages_pass_axe(page, live_server, world):
    ids, people = world.ids, world.people
    sign_in(page, live_server, people.nora)  # sign-in pages are checked by test_onboarding
    journey = Journey(page, live_server.url)

    journey.goto("/discussions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Discussions")
    page.get_by_role("link", name="Should Calle Mayor be car-free?").click()
    page.wait_for_url(f"**/discussions/{ids.rich}")
    journey.check()
    main = page.get_by_role("main")
    expect(main.locator(".comment.is-pinned .badge")).to_have_text("Pinned")
    for stance in ("In favour", "Against", "Neutral"):
        expect(main.locator(".comment-meta .stance").filter(has_text=stance).first).to_be_visible()
    expect(main.locator(".comment-body .removed").filter(has_text="[deleted]")).to_be_visible()
    expect(main.locator(".comment-body .removed").filter(has_text="Hidden by moderation:")).to_contain_text(
        "Spam or advertising"
    )
    expect(main.locator(".comment.level-4")).to_have_count(1)
    expect(main.get_by_role("link", name="@nora_starter")).to_be_visible()
    # The two replies below level 4 are offered once, at the deepest comment shown.
    chain = main.locator("[data-comment-list] > li").filter(has_text="Level 0: what about bicycles?")
    expect(chain.locator(".more-replies a")).to_have_text(["Continue this thread (2 replies)"])

    chain.get_by_role("link", name="Continue this thread (2 replies)").click()
    page.wait_for_url(re.compile(r"/comments/\d+\?from_here=1#comment-\d+$"))
    journey.check()
    expect(main.get_by_role("navigation", name="Earlier in this thread")).to_be_visible()
    expect(main.locator(".is-target")).to_contain_text("Level 4: what about bicycles?")
    expect(main.get_by_text("Level 5: what about bicycles?")).to_be_visible()
    expect(main.get_by_text("Level 6: what about bicycles?")).to_be_visible()
    expect(main.locator(".more-replies a")).to_have_count(0)

    journey.goto(f"/discussions/{ids.rich}/comments/{ids.against}?reply_to={ids.against}")
    expect(page.get_by_role("heading", name="Reply to Ana Arroyo")).to_be_visible()
    expect(page.get_by_role("textbox", name="Your comment")).to_be_visible()

    journey.goto("/discussions/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a discussion")

    journey.goto(f"/discussions/{ids.rich}/comments/{ids.nora_comment}/edit")
    expect(page.get_by_role("textbox", name="Your comment")).to_have_value(
        "I would like a trial over the summer first."
    )

    journey.goto("/notifications/")
    items = page.locator(".notification-list > li")
    expect(items.filter(has_text="mentioned you")).to_have_count(1)
    expect(items.filter(has_text="replied to your comment")).to_have_count(1)

    # Sending the comment form empty: the error summary, focused, links to the field.
    journey.goto(f"/discussions/{ids.rich}")
    page.get_by_role("button", name="Post comment").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    journey.check()
    expect(summary.get_by_role("link", name="Write your comment first.")).to_have_attribute("href", "#body")
    expect(page.locator("#body")).to_have_attribute("aria-invalid", "true")

    # A moderator's view of the same thread has more controls (hide, pin, lock, earlier versions).
    account_nav(page).get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server.url + "/")
    journey.check()
    sign_in(page, live_server, people.moe, journey)
    journey.goto(f"/discussions/{ids.rich}")
    expect(main.get_by_role("button", name="Unpin")).to_be_visible()
    expect(main.get_by_role("link", name="Earlier versions")).to_be_visible()
    expect(main.get_by_role("link", name="Hide").first).to_be_visible()

    journey.assert_every_page_checked()


# --- without JavaScript ---------------------------------------------------------------------


def test_commenting_replying_and_voting_work_without_javascript(browser, live_server, world):
    context = new_context(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, world.people.cris)
        page.goto(f"{live_server.url}/discussions/{world.ids.live}")
        expect(page.locator("[data-presence]")).to_be_hidden()  # no script, no socket

        page.get_by_role("textbox", name="Your comment").fill("Posted with **scripts off**.")
        page.get_by_role("radio", name="Neutral").check()
        page.get_by_role("button", name="Post comment").click()
        page.wait_for_url(re.compile(r"\?sort=newest#comment-\d+$"))
        comment_id = NEW_COMMENT.search(page.url).group(1)
        expect(page.locator(".flash-success")).to_contain_text("Your comment is published.")
        mine = page.locator(f"#comment-{comment_id}")
        expect(mine.locator(".comment-body strong")).to_have_text("scripts off")
        expect(mine.locator(".stance")).to_have_text("Neutral")
        expect(page.locator("[data-comment-list] > li").first).to_have_attribute("id", f"comment-{comment_id}")

        # Replying goes through the comment's own page, then back to the thread at that comment.
        thread_url = page.url.split("#")[0]
        parent = page.locator(f"#comment-{world.ids.ben_comment} > article")
        parent.get_by_role("link", name="Reply to this comment").click()
        page.get_by_role("textbox", name="Your comment").fill("A reply, also without scripts.")
        page.get_by_role("button", name="Post reply").click()
        page.wait_for_url(f"{thread_url}#comment-{world.ids.ben_comment}")
        reply = page.locator(f"#comment-{world.ids.ben_comment} > ol.replies > li").filter(
            has_text="A reply, also without scripts."
        )
        expect(reply).to_have_count(1)
        expect(reply).to_have_attribute("data-parent-id", str(world.ids.ben_comment))

        # Voting is a form post that comes back to the same page, at the comment.
        card = page.locator(f"#comment-{world.ids.ben_comment} > article")
        ups = int(card.locator("[data-up]").inner_text())
        card.get_by_role("button", name=re.compile(r"^Disagree")).click()
        page.wait_for_url(f"{thread_url}#comment-{world.ids.ben_comment}")
        card = page.locator(f"#comment-{world.ids.ben_comment} > article")
        expect(card.get_by_role("button", name=re.compile(r"^Disagree"))).to_have_attribute("aria-pressed", "true")
        expect(card.locator("[data-up]")).to_have_text(str(ups))
        expect(card.locator("[data-down]")).to_have_text("1")
    finally:
        context.close()
