"""Rate limits on sign-in, registration, password reset and two-factor codes."""

import time

import pytest

from tests.support.users import DEFAULT_PASSWORD
from tests.support.web import Web

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


def attempt(web, email, password, address):
    return web.post("/sign-in", {"email": email, "password": password}, environ_base=address)


def test_brute_force_of_fifty_passwords_is_stopped(web, make_user):
    user = make_user("target@example.org")
    statuses = [attempt(web, user.email, f"guess number {n}", ATTACKER).status_code for n in range(50)]
    assert statuses[:5] == [422] * 5
    assert statuses[5:] == [429] * 45
    # even the right password is not tried while the attacker's address is blocked for this account
    blocked = attempt(web, user.email, DEFAULT_PASSWORD, ATTACKER)
    assert blocked.status_code == 429
    assert "try again in" in blocked.get_data(as_text=True)
    assert "Retry-After" in blocked.headers


def test_the_owner_can_still_sign_in_from_their_own_address(app, make_user):
    user = make_user("target@example.org")
    attacker, owner = Web(app.test_client()), Web(app.test_client())
    for n in range(50):
        attempt(attacker, user.email, f"guess {n}", ATTACKER)
    assert attempt(owner, user.email, DEFAULT_PASSWORD, OWNER).status_code == 302


@pytest.mark.serial  # fifty attempts, then a two-second window: counts on the timing
def test_the_owner_can_sign_in_later_from_the_same_address(app, web, make_user):
    app.config["CIVIC_LIMIT_SIGN_IN_FAILURES"] = "5 per 2 seconds"
    user = make_user("target@example.org")
    for n in range(50):
        attempt(web, user.email, f"guess {n}", ATTACKER)
    assert attempt(web, user.email, DEFAULT_PASSWORD, ATTACKER).status_code == 429
    time.sleep(2.2)
    assert attempt(web, user.email, DEFAULT_PASSWORD, ATTACKER).status_code == 302


def test_successful_sign_ins_do_not_count_as_failures(web, make_user):
    user = make_user()
    for _ in range(8):
        assert attempt(web, user.email, DEFAULT_PASSWORD, OWNER).status_code == 302
        web.post("/sign-out", environ_base=OWNER)


def test_one_address_cannot_spray_many_accounts(web, make_user):
    statuses = [attempt(web, f"person{n}@example.org", "guess", ATTACKER).status_code for n in range(40)]
    assert statuses.count(429) >= 10


def test_registration_is_rate_limited(web):
    statuses = []
    for n in range(8):
        statuses.append(
            web.post(
                "/register",
                {
                    "display_name": f"Bot {n}",
                    "email": f"bot{n}@example.org",
                    "password": "violet harbour lantern",
                    "confirm": "violet harbour lantern",
                    "accept_privacy": "y",
                },
                environ_base=ATTACKER,
            ).status_code
        )
    assert statuses[:5] == [302] * 5 and statuses[5:] == [429] * 3


def test_password_reset_is_rate_limited(web):
    statuses = [
        web.post("/password/forgot", {"email": "x@example.org"}, environ_base=ATTACKER).status_code for _ in range(8)
    ]
    assert statuses[:5] == [200] * 5 and 429 in statuses


def test_two_factor_codes_are_rate_limited(web, make_user):
    import pyotp

    user = make_user(two_factor_secret=pyotp.random_base32())
    assert attempt(web, user.email, DEFAULT_PASSWORD, ATTACKER).status_code == 302
    statuses = [
        web.post(
            "/sign-in/two-factor", {"code": f"{n:06d}"}, form_url="/sign-in/two-factor", environ_base=ATTACKER
        ).status_code
        for n in range(15)
    ]
    assert statuses[:10] == [422] * 10 and statuses[10:] == [429] * 5


@pytest.mark.parametrize("status_page", ["/sign-in"])
def test_rate_limit_page_is_json_for_json_clients(web, make_user, status_page):
    user = make_user()
    for _n in range(6):
        response = web.post(
            status_page,
            {"email": user.email, "password": "x"},
            environ_base=ATTACKER,
            headers={"Accept": "application/json"},
        )
    assert response.status_code == 429 and response.json["error"]["status"] == 429


def test_two_factor_codes_are_limited_per_account_across_addresses(app, make_user):
    import pyotp

    user = make_user(two_factor_secret=pyotp.random_base32())
    statuses = []
    for n in range(12):  # a new address for every guess
        address = {"REMOTE_ADDR": f"192.0.2.{n + 1}"}
        web = Web(app.test_client())
        attempt(web, user.email, DEFAULT_PASSWORD, address)
        statuses.append(
            web.post(
                "/sign-in/two-factor", {"code": f"{n:06d}"}, form_url="/sign-in/two-factor", environ_base=address
            ).status_code
        )
    assert statuses[:10] == [422] * 10 and statuses[10:] == [429] * 2
