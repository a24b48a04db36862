"""Password reset, change of password, change of email and profile editing."""

import re

from civic.accounts.models import User
from civic.extensions import db
from tests.support.mail import link_in, mail_to, path_of
from tests.support.users import DEFAULT_PASSWORD
from tests.support.web import Web

NEW = "plum orchard bicycle"


def without_tokens(response):
    return re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))


def test_password_reset_answers_the_same_whether_or_not_the_address_exists(web, make_user, outbox):
    make_user("known@example.org")
    known = web.post("/password/forgot", {"email": "known@example.org"})
    unknown = web.post("/password/forgot", {"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known) == without_tokens(unknown)
    assert len(mail_to(outbox, "known@example.org")) == 1
    assert mail_to(outbox, "unknown@example.org") == []


def test_password_reset_link_sets_a_new_password_once(web, make_user, outbox):
    user = make_user("known@example.org")
    web.post("/password/forgot", {"email": "known@example.org"})
    link = path_of(link_in(mail_to(outbox, "known@example.org")[0], "/password/reset/"))
    assert web.get(link).status_code == 200
    weak = web.post(link, {"password": "password1", "confirm": "password1"}, form_url=link)
    assert weak.status_code == 422
    done = web.post(link, {"password": NEW, "confirm": NEW}, form_url=link)
    assert done.status_code == 302
    assert web.sign_in(user.email, NEW).status_code == 302
    web.post("/sign-out")
    # the same link cannot be used twice
    again = web.get(link)
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)


def test_expired_reset_link_is_refused(app, web, make_user, outbox):
    make_user("known@example.org")
    web.post("/password/forgot", {"email": "known@example.org"})
    link = path_of(link_in(mail_to(outbox, "known@example.org")[0], "/password/reset/"))
    app.config["CIVIC_RESET_TOKEN_MAX_AGE"] = -1
    assert web.get(link).status_code == 400


def test_change_password_needs_the_current_one_and_signs_out_other_sessions(app, web, login_as, outbox):
    user = login_as("citizen")
    other_device = app.test_client()
    Web(other_device).sign_in(user.email)
    assert other_device.get("/account").status_code == 200

    wrong = web.post("/account/password", {"current_password": "nope", "new_password": NEW, "confirm": NEW})
    assert wrong.status_code == 422 and "current password is not right" in wrong.get_data(as_text=True)
    done = web.post("/account/password", {"current_password": DEFAULT_PASSWORD, "new_password": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert web.get("/account").status_code == 200  # this session goes on
    assert other_device.get("/account").status_code == 302  # the other one ended
    assert mail_to(outbox, user.email)[-1]["Subject"].endswith("Your password was changed")


def test_change_email_takes_effect_only_after_the_new_address_confirms(web, login_as, outbox):
    user = login_as("citizen")
    old = user.email
    response = web.post("/account/email", {"new_email": "New@Example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == old
    [notice] = mail_to(outbox, old)
    assert "new@example.org" in notice.get_body(("plain",)).get_content().lower()
    link = path_of(link_in(mail_to(outbox, "new@example.org")[0], "/account/email/confirm/"))
    assert web.get(link).status_code == 302
    db.session.refresh(user)
    assert user.email_normalized == "new@example.org" and user.email_verified
    # the link cannot be replayed once the address changed
    assert web.get(link).status_code == 400


def test_change_email_to_an_address_in_use_reveals_nothing(web, login_as, make_user, outbox):
    make_user("taken@example.org")
    user = login_as("citizen")
    response = web.post("/account/email", {"new_email": "taken@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email != "taken@example.org"
    assert "already belongs to an account" in mail_to(outbox, "taken@example.org")[0].get_body(("plain",)).get_content()


def test_change_email_needs_the_password(web, login_as, outbox):
    login_as("citizen")
    response = web.post("/account/email", {"new_email": "new@example.org", "password": "wrong"})
    assert response.status_code == 422
    assert mail_to(outbox, "new@example.org") == []


def test_edit_profile(web, login_as):
    user = login_as("citizen")
    response = web.post(
        "/account", {"display_name": "  Nuria   Soler ", "bio": "Neighbour", "language": "es", "handle": "@Nuria_S"}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.display_name, user.bio, user.language, user.handle) == ("Nuria Soler", "Neighbour", "es", "nuria_s")


def test_handles_are_unique_and_well_formed(web, login_as, make_user):
    make_user(name="Taken Name")
    user = login_as("citizen")
    for handle, message in (
        ("taken_name", "uses @taken_name already"),
        ("no spaces", "lower-case letters"),
        ("ab", "lower-case letters"),
    ):
        response = web.post("/account", {"display_name": "Me", "handle": handle})
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.handle != "taken_name"


def test_profile_refuses_bad_input_and_keeps_what_was_typed(web, login_as):
    user = login_as("citizen")
    response = web.post("/account", {"display_name": "", "bio": "kept text", "language": "xx", "handle": user.handle})
    assert response.status_code == 422
    assert "kept text" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.bio == ""


def test_settings_pages_need_sign_in(client):
    for path in ("/account", "/account/email", "/account/password", "/account/security"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_account_email_is_unique_in_the_database(app, make_user):
    import pytest
    from sqlalchemy.exc import IntegrityError

    make_user("same@example.org")
    db.session.add(
        User(
            display_name="B",
            email="SAME@example.org",
            email_normalized="same@example.org",
            password_hash="x",
            session_token="y",
            bio="",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
