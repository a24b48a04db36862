"""Registration, email verification, sign-in and sign-out."""

import re

from civic.accounts.models import User
from civic.accounts.services import sign_in
from civic.extensions import db
from tests.support.mail import link_in, mail_to, path_of
from tests.support.users import DEFAULT_PASSWORD

GOOD = {
    "display_name": "Lucía Pardo",
    "email": "Lucia@Example.org",
    "password": "violet harbour lantern",
    "confirm": "violet harbour lantern",
    "accept_privacy": "y",
}


def register(web, **changes):
    return web.post("/register", {**GOOD, **changes})


def test_newcomer_registers_verifies_and_signs_in(web, outbox):
    response = register(web)
    assert response.status_code == 302 and response.headers["Location"] == "/register/check-email"
    user = db.session.query(User).one()
    assert user.email == "Lucia@example.org" and user.email_normalized == "lucia@example.org"
    assert user.role_names == ["citizen"] and not user.email_verified
    assert user.password_hash.startswith("$argon2id$")

    # not verified yet: sign-in is refused and a fresh link is sent
    refused = web.sign_in("lucia@example.org", "violet harbour lantern")
    assert refused.status_code == 422 and "confirm your email" in refused.get_data(as_text=True)

    [first, second] = mail_to(outbox, "lucia@example.org")
    link = link_in(first, "/verify/")
    verified = web.get(path_of(link))
    assert verified.status_code == 302 and verified.headers["Location"].startswith("/sign-in")
    db.session.refresh(user)
    assert user.email_verified

    signed_in = web.sign_in("LUCIA@example.org ", "violet harbour lantern")
    assert signed_in.status_code == 302
    assert "Lucía Pardo" in web.get("/").get_data(as_text=True)


def test_registration_problems_are_shown_beside_fields_and_nothing_is_saved(web):
    response = register(
        web, display_name="   ", email="not-an-email", password="short", confirm="other", accept_privacy=""
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert 'href="#display_name"' in html and 'href="#accept_privacy"' in html
    assert 'aria-invalid="true"' in html
    assert db.session.query(User).count() == 0


def test_common_passwords_are_refused(web):
    response = register(web, password="password123", confirm="password123")
    assert response.status_code == 422
    assert "most common" in response.get_data(as_text=True)
    assert db.session.query(User).count() == 0


def test_short_and_name_based_passwords_are_refused(app):
    from civic.accounts.passwords import password_problems

    assert password_problems("abc", email="x@example.org")
    assert password_problems("12345678901234")
    assert password_problems("lucia-is-my-name!", email="lucia@example.org")
    assert password_problems("aaaaaaaaaaaaaa")
    assert not password_problems("violet harbour lantern", email="lucia@example.org")


def test_registering_an_existing_address_reveals_nothing(web, make_user, outbox):
    make_user("taken@example.org")
    response = register(web, email="TAKEN@example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/register/check-email"
    assert db.session.query(User).count() == 1
    [mail] = mail_to(outbox, "taken@example.org")
    assert "already has an account" in mail.get_body(("plain",)).get_content()


def test_overlong_fields_are_refused(web):
    response = register(web, display_name="x" * 81)
    assert response.status_code == 422
    response = register(web, email="a" * 250 + "@example.org")
    assert response.status_code == 422
    assert db.session.query(User).count() == 0


def test_tampered_verification_link_is_refused(web, outbox):
    register(web)
    link = link_in(mail_to(outbox, "lucia@example.org")[0], "/verify/")
    response = web.get(path_of(link)[:-3] + "abc")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    assert not db.session.query(User).one().email_verified


def test_expired_verification_link_is_refused(app, web, outbox, monkeypatch):
    register(web)
    link = link_in(mail_to(outbox, "lucia@example.org")[0], "/verify/")
    app.config["CIVIC_EMAIL_TOKEN_MAX_AGE"] = -1
    response = web.get(path_of(link))
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_resend_verification_answers_the_same_for_unknown_addresses(web, outbox, make_user):
    make_user("waiting@example.org", verified=False)
    known = web.post("/verify/resend", {"email": "waiting@example.org"})
    unknown = web.post("/verify/resend", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(mail_to(outbox, "waiting@example.org")) == 1
    assert mail_to(outbox, "nobody@example.org") == []


def test_wrong_password_and_unknown_email_get_the_same_answer(web, make_user):
    make_user("known@example.org")
    wrong = web.sign_in("known@example.org", "not the password")
    unknown = web.sign_in("unknown@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 422
    message = "That email and password do not match an account."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_sign_out_ends_the_session(web, login_as):
    login_as("citizen")
    assert web.get("/account").status_code == 200
    assert web.post("/sign-out").status_code == 302
    assert web.get("/account").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_offsite(web, make_user):
    user = make_user()
    response = web.sign_in(user.email, next="/account/password")
    assert response.headers["Location"] == "/account/password"
    web.post("/sign-out")
    response = web.sign_in(user.email, next="//evil.example/steal")
    assert response.headers["Location"] == "/"


def test_remember_me_sets_a_long_lived_cookie(web, make_user):
    user = make_user()
    response = web.sign_in(user.email, remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)
    web.post("/sign-out")
    response = web.sign_in(user.email)
    session_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Expires" not in session_cookie  # without "remember me" the session ends with the browser
    assert not any(
        c.startswith("remember_token=") and "Expires=Thu, 01 Jan 1970" not in c
        for c in response.headers.getlist("Set-Cookie")
    )


def test_disabled_accounts_cannot_sign_in(web, make_user):
    from civic.common.models import utcnow

    user = make_user()
    user.disabled_at = utcnow()
    db.session.commit()
    assert web.sign_in(user.email).status_code == 422


def test_password_hash_is_upgraded_when_parameters_change(app, make_user):
    user = make_user()
    old = user.password_hash
    app.config["CIVIC_ARGON2_TIME_COST"] = 2
    sign_in.authenticate(user.email, DEFAULT_PASSWORD)
    assert user.password_hash != old and "t=2" in user.password_hash


def test_public_profile_shows_name_not_email(web, make_user):
    user = make_user("private@example.org", name="Rosa Vidal")
    html = web.get(f"/people/{user.id}").get_data(as_text=True)
    assert "Rosa Vidal" in html and "private@example.org" not in html
    assert web.get("/people/99999").status_code == 404


def test_verification_mail_is_written_in_the_registrants_language(web, outbox):
    web.post("/language", {"language": "es"})
    register(web)
    [mail] = mail_to(outbox, "lucia@example.org")
    assert mail["Content-Language"] == "es"
    body = mail.get_body(("plain",)).get_content()
    assert re.search(r"[Cc]onfirma", body)
