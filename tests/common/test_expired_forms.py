"""A form refused because its session ended gives the person their text back and a way to send
it again; a form from another site never gets that offer."""

import re

from civic.accounts.models import User
from civic.extensions import db
from tests.support.forms import hidden_fields

ORIGIN = {"Origin": "http://localhost"}
LONG_BIO = "I have lived on Calle Mayor for thirty years and I care about the bus lanes. " * 5


def test_an_expired_form_shows_what_was_written_and_sends_it_again(web, login_as, app):
    user = login_as("citizen")
    web.get("/account")
    response = web.client.post(
        "/account",
        headers=ORIGIN,
        data={
            "csrf_token": "stale",
            "display_name": "New Name",
            "handle": user.handle or "newname",
            "bio": LONG_BIO,
            "language": "",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Your form had expired" in page and "nothing was saved" in page
    assert "thirty years" in page  # the text is back, readable in a read-only box
    fields = hidden_fields(page)
    assert fields["bio"] == LONG_BIO and fields["display_name"] == "New Name"
    assert fields["csrf_token"] != "stale"
    again = web.client.post("/account", data=fields, headers=ORIGIN)
    assert again.status_code == 302  # saved with the text typed before the session ended
    db.session.expire_all()
    assert db.session.get(User, user.id).bio == LONG_BIO.strip()


def test_passwords_are_never_written_back_into_the_page(web):
    response = web.client.post(
        "/sign-in",
        headers=ORIGIN,
        data={"csrf_token": "stale", "email": "someone@example.org", "password": "my secret password 123"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "my secret password 123" not in page
    assert "Passwords and codes are not kept" in page
    assert hidden_fields(page)["email"] == "someone@example.org"


def test_a_signed_out_person_is_told_to_sign_in_first(client):
    page = client.post("/account", headers=ORIGIN, data={"csrf_token": "stale", "bio": LONG_BIO}).get_data(as_text=True)
    assert "You have been signed out" in page and LONG_BIO.strip()[:40] in page


def test_a_form_from_another_site_is_not_offered_again(web):
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {}):
        response = web.client.post("/account", headers=headers, data={"csrf_token": "x", "bio": LONG_BIO})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "thirty years" not in page and not re.search(r'name="bio"', page)
