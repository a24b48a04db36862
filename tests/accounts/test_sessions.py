"""Signed-in sessions live on the server: every way of losing access ends every copy of the
cookies, the security page lists the sessions, and checking one costs no extra query."""

import time
from datetime import timedelta

import pytest
from flask_login import login_user
from sqlalchemy import select

from civic.accounts.models import UserSession
from civic.accounts.services import sessions
from civic.extensions import db
from tests.support.mail import link_in, mail_to, path_of
from tests.support.queries import counting_queries
from tests.support.users import DEFAULT_PASSWORD
from tests.support.web import Web

NEW = "plum orchard bicycle"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)


def copy_of(app, client, *names):
    """A new browser holding copies of these cookies of `client` (what a thief replays)."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie to copy"
        thief.set_cookie(name, cookie.value)
    return thief


def signed_in(client):
    return client.get("/account").status_code == 200


def sign_in_remembered(app, user):
    client = app.test_client()
    assert Web(client).sign_in(user.email, remember="y").status_code == 302
    return client


def sign_in_with(client, user, user_agent):
    data = {"email": user.email, "password": DEFAULT_PASSWORD}
    assert Web(client).post("/sign-in", data, headers={"User-Agent": user_agent}).status_code == 302


# --- every way of losing access ends every copy ----------------------------------------------


def _sign_out(app, web, user):
    web.post("/sign-out")


def _change_password(app, web, user):
    web.post("/account/password", {"current_password": DEFAULT_PASSWORD, "new_password": NEW, "confirm": NEW})


def _reset_password(app, web, user):
    outbox = app.extensions["civic_mail"]
    Web(app.test_client()).post("/password/forgot", {"email": user.email})
    link = path_of(link_in(mail_to(outbox, user.email)[-1], "/password/reset/"))
    Web(app.test_client()).post(link, {"password": NEW, "confirm": NEW}, form_url=link)


def _revoke_role(app, web, user):
    from civic.accounts.services.roles import revoke_role
    from tests.support.users import new_user

    boss = new_user("boss@example.org", name="Boss", roles=("citizen", "admin"))
    db.session.add(boss)
    db.session.commit()
    revoke_role(boss, db.session.get(type(user), user.id), "moderator", "Left the team")


def _sign_out_from_another_browser(app, web, user):
    other = Web(app.test_client())
    other.sign_in(user.email)
    other.post("/account/security/sessions/sign-out-others", form_url="/account/security")


ENDINGS = {
    "sign-out": _sign_out,
    "password change": _change_password,
    "password reset": _reset_password,
    "role revoked": _revoke_role,
    "signed out everywhere else": _sign_out_from_another_browser,
}


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
@pytest.mark.parametrize("ending", list(ENDINGS))
def test_every_way_of_losing_access_ends_every_copy_of_the_cookies(app, make_user, ending, cookie):
    user = make_user(roles=("citizen", "moderator"))
    browser = sign_in_remembered(app, user)
    stolen = copy_of(app, browser, cookie)
    assert signed_in(stolen)  # the copy works while the session lives...
    ENDINGS[ending](app, Web(browser), user)
    assert not signed_in(stolen)  # ...and never after


def test_a_session_cookie_replayed_after_sign_out_opens_nothing(app, make_user):
    user = make_user()
    browser = app.test_client()
    Web(browser).sign_in(user.email)
    before = browser.get_cookie("session").value
    Web(browser).post("/sign-out")
    replay = app.test_client()
    replay.set_cookie("session", before)
    response = replay.get("/account")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_remember_cookie_replayed_alone_after_sign_out_opens_nothing(app, make_user):
    user = make_user()
    browser = sign_in_remembered(app, user)
    token = browser.get_cookie("remember_token").value
    Web(browser).post("/sign-out")
    replay = app.test_client()
    replay.set_cookie("remember_token", token)
    assert replay.get("/account").status_code == 302


def test_changing_the_password_keeps_the_person_asking_signed_in(app, make_user):
    user = make_user()
    browser = sign_in_remembered(app, user)
    other = sign_in_remembered(app, user)
    _change_password(app, Web(browser), user)
    assert signed_in(browser) and not signed_in(other)
    assert browser.get_cookie("remember_token") is not None  # still remembered, with the new key
    assert signed_in(copy_of(app, browser, "remember_token"))


def test_revoking_a_role_signs_the_person_out_and_is_audited(app, make_user):
    user = make_user(roles=("citizen", "moderator"))
    browser = sign_in_remembered(app, user)
    _revoke_role(app, Web(browser), user)
    assert not signed_in(browser)
    assert db.session.query(UserSession).filter_by(user_id=user.id).count() == 0


def test_nobody_can_be_signed_in_without_a_session_row(app, make_user):
    """The guard: Flask-Login asks get_id() for what the cookies carry, and only a started
    (so revocable) session gives one."""
    user = make_user()
    with app.test_request_context(), pytest.raises(RuntimeError):
        login_user(user)


# --- the list of sessions ---------------------------------------------------------------------


def test_the_security_page_lists_sessions_with_device_and_last_seen(app, make_user):
    user = make_user()
    laptop = app.test_client()
    sign_in_with(laptop, user, FIREFOX)
    phone = app.test_client()
    sign_in_with(phone, user, IPHONE)
    html = laptop.get("/account/security").get_data(as_text=True)
    assert "Your sessions" in html
    assert "Firefox · Windows" in html and "Safari · iPhone" in html
    assert html.count("(this browser)") == 1
    assert FIREFOX not in html  # a summary, not the whole user agent
    assert "Sign out everywhere else" in html


def test_signing_out_one_session_from_the_list_ends_it_alone(app, make_user):
    user = make_user()
    laptop, phone, tablet = (app.test_client() for _ in range(3))
    for client in (laptop, phone, tablet):
        Web(client).sign_in(user.email)
    phone_session = max(s.id for s in db.session.query(UserSession).filter_by(user_id=user.id)) - 1
    response = Web(laptop).post(f"/account/security/sessions/{phone_session}/sign-out", form_url="/account/security")
    assert response.status_code == 302
    assert signed_in(laptop) and not signed_in(phone) and signed_in(tablet)


def test_signing_out_this_session_from_the_list_signs_out(app, make_user):
    user = make_user()
    browser = app.test_client()
    Web(browser).sign_in(user.email)
    [mine] = db.session.query(UserSession).filter_by(user_id=user.id).all()
    Web(browser).post(f"/account/security/sessions/{mine.id}/sign-out", form_url="/account/security")
    assert not signed_in(browser)


def test_nobody_can_sign_out_someone_elses_session(app, make_user):
    victim, attacker = make_user(), make_user()
    victim_browser, attacker_browser = app.test_client(), app.test_client()
    Web(victim_browser).sign_in(victim.email)
    Web(attacker_browser).sign_in(attacker.email)
    [theirs] = db.session.query(UserSession).filter_by(user_id=victim.id).all()
    response = Web(attacker_browser).post(
        f"/account/security/sessions/{theirs.id}/sign-out", form_url="/account/security"
    )
    assert response.status_code == 404  # not theirs: as if it did not exist
    assert signed_in(victim_browser)


def test_sign_out_everywhere_else_keeps_this_browser(app, make_user):
    user = make_user()
    here, there = sign_in_remembered(app, user), sign_in_remembered(app, user)
    Web(here).post("/account/security/sessions/sign-out-others", form_url="/account/security")
    assert signed_in(here) and not signed_in(there)


# --- cost ---------------------------------------------------------------------------------------


def test_a_signed_in_page_checks_its_session_with_the_user_in_one_query_and_writes_nothing(app, make_user, frozen):
    user = make_user()
    browser = app.test_client()
    Web(browser).sign_in(user.email)
    with counting_queries() as found:
        assert browser.get("/account").status_code == 200
    session_queries = [s for s in found.statements if "user_session" in s]
    assert len(session_queries) == 1 and session_queries[0].startswith("SELECT")
    assert "JOIN" in session_queries[0]  # the user comes with it
    assert not any(s.startswith(("UPDATE", "INSERT", "DELETE")) for s in found.statements)


def test_last_seen_moves_at_most_once_a_minute(app, make_user, frozen):
    user = make_user()
    browser = app.test_client()
    Web(browser).sign_in(user.email)
    [row] = db.session.query(UserSession).filter_by(user_id=user.id).all()
    started = row.last_seen_at
    frozen.advance(seconds=30)
    browser.get("/account")
    db.session.refresh(row)
    assert row.last_seen_at == started
    frozen.advance(seconds=45)
    with counting_queries() as found:
        browser.get("/account")
    assert sum(s.startswith("UPDATE user_session") for s in found.statements) == 1
    db.session.refresh(row)
    assert row.last_seen_at == started + timedelta(seconds=75)


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX, "Firefox · Windows"),
        (IPHONE, "Safari · iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge · macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
            "Chrome · Android",
        ),
        ("curl/8.5.0", ""),
        ("", ""),
    ],
)
def test_a_device_is_summarised_from_the_user_agent(user_agent, device):
    assert sessions.describe_device(user_agent) == device


def test_a_session_unseen_for_longer_than_the_remember_cookie_lasts_is_over(app, make_user, frozen):
    user = make_user()
    browser = sign_in_remembered(app, user)
    stolen = copy_of(app, browser, "remember_token")
    frozen.advance(days=29)
    assert signed_in(stolen)  # seen: the 30 days start again
    frozen.advance(days=31)
    assert not signed_in(stolen) and not signed_in(browser)
    Web(app.test_client()).sign_in(user.email)  # the next sign-in prunes the old row
    assert db.session.query(UserSession).filter_by(user_id=user.id).count() == 1


# --- open live connections end with their session --------------------------------------------


def test_a_live_connection_ends_with_its_session_on_the_next_check(app, make_user):
    """Signing out elsewhere (or a password change, a revoked role) also closes the live connection
    opened with that session, so it stops receiving the person's notifications and the rooms it
    joined; each process checks its own sockets (civic.realtime.SignedInSockets)."""
    import contextvars

    from civic.extensions import socketio
    from civic.realtime import room_for, signed_in_sockets

    user = make_user()
    browser, other = app.test_client(), app.test_client()
    assert Web(browser).sign_in(user.email).status_code == 302
    assert Web(other).sign_in(user.email).status_code == 302
    live = contextvars.Context().run(socketio.test_client, app, flask_test_client=browser)
    kept = contextvars.Context().run(socketio.test_client, app, flask_test_client=other)
    assert live.is_connected() and kept.is_connected()
    sockets = signed_in_sockets(app)
    assert sockets.sweep() == 0 and live.is_connected()

    Web(browser).post("/sign-out")
    assert sockets.sweep() == 1
    assert not live.is_connected() and kept.is_connected()
    socketio.emit("notice", {"text": "private"}, to=room_for("user", user.id))
    assert [m["args"][0]["text"] for m in kept.get_received() if m["name"] == "notice"] == ["private"]
    kept.disconnect()
    assert sockets.session_of == {}


def test_the_check_of_live_sessions_runs_by_itself_every_few_seconds(app, make_user):
    """With CIVIC_LIVE_SESSION_CHECK_SECONDS set, the first signed-in connection starts the check."""
    import contextvars
    import time

    from civic.extensions import socketio
    from civic.realtime import signed_in_sockets

    app.config["CIVIC_LIVE_SESSION_CHECK_SECONDS"] = 0.2
    app.extensions.pop("civic_signed_in_sockets", None)
    user = make_user()
    browser = app.test_client()
    assert Web(browser).sign_in(user.email).status_code == 302
    live = contextvars.Context().run(socketio.test_client, app, flask_test_client=browser)
    sockets = signed_in_sockets(app)
    try:
        assert sockets.started
        Web(browser).post("/sign-out")
        deadline = time.monotonic() + 10
        while live.is_connected() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not live.is_connected()
    finally:
        sockets.stop()


@pytest.mark.app_config(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 3})
def test_noting_last_seen_needs_no_second_connection(app, make_user, frozen):
    """With one connection in the pool (a busy process: every other one is taken), a request whose
    session is due a "last seen" write neither waits for another connection nor skips the write."""
    user_id, email = (user := make_user()).id, user.email
    db.session.close()  # the test holds no connection while the requests run
    browser = app.test_client()
    Web(browser).sign_in(email)
    started = db.session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == user_id))
    db.session.close()
    frozen.advance(seconds=90)
    began = time.monotonic()
    assert browser.get("/account").status_code == 200
    assert time.monotonic() - began < 2
    seen = db.session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == user_id))
    assert seen == started + timedelta(seconds=90)
