"""Rate limits on sign-in, registration, password reset and two-factor codes."""

import re
import time

import pytest

from tests.support.mail import mail_to
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
    # Fifty guesses take more than one 2-second window, so more than ten reach the account's own
    # throttle, which is not what this test is about (see the per-account tests below).
    app.config["CIVIC_LIMIT_SIGN_IN_ACCOUNT"] = "1000 per hour"
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


# --- per account, from anywhere ----------------------------------------------------------------


def from_network(n):
    """An address in a /24 of its own: each guess from a different network."""
    return {"REMOTE_ADDR": f"203.0.{n}.9"}


def test_fifty_wrong_passwords_from_fifty_networks_are_throttled_per_account(app, make_user, outbox):
    user = make_user("target@example.org")
    statuses = [
        attempt(Web(app.test_client()), user.email, f"guess {n}", from_network(n)).status_code for n in range(50)
    ]
    assert statuses[:10] == [422] * 10 and statuses[10:] == [429] * 40
    refused = attempt(Web(app.test_client()), user.email, "one more", from_network(99))
    assert "many wrong passwords for this account" in refused.get_data(as_text=True)
    assert 'value="target@example.org"' in refused.get_data(as_text=True)  # the form is kept


def test_a_throttled_account_refuses_even_the_right_password_from_a_new_network(app, make_user):
    user = make_user()
    for n in range(10):
        attempt(Web(app.test_client()), user.email, f"guess {n}", from_network(n))
    assert attempt(Web(app.test_client()), user.email, DEFAULT_PASSWORD, from_network(77)).status_code == 429


def test_the_owner_signs_in_from_their_usual_network_while_the_account_is_throttled(app, make_user):
    user = make_user()
    owner = Web(app.test_client())
    assert attempt(owner, user.email, DEFAULT_PASSWORD, OWNER).status_code == 302
    owner.post("/sign-out", environ_base=OWNER)
    for n in range(50):
        attempt(Web(app.test_client()), user.email, f"guess {n}", from_network(n))
    assert attempt(owner, user.email, DEFAULT_PASSWORD, OWNER).status_code == 302
    # the same network range (a new lease from the same provider, another computer in the office)
    neighbour = Web(app.test_client())
    assert attempt(neighbour, user.email, DEFAULT_PASSWORD, {"REMOTE_ADDR": "198.51.100.200"}).status_code == 302


def test_the_owner_is_told_once_that_their_account_is_under_attack(app, make_user, outbox):
    user = make_user("target@example.org")
    for n in range(30):
        attempt(Web(app.test_client()), user.email, f"guess {n}", from_network(n))
    [warning] = [m for m in mail_to(outbox, user.email) if "trying to sign in" in m["Subject"]]
    body = warning.get_body(("plain",)).get_content()
    assert "/account/security" in body and "/password/forgot" in body


def test_unknown_addresses_are_throttled_like_accounts_so_nothing_is_revealed(app, make_user):
    user = make_user("known@example.org")
    known = [attempt(Web(app.test_client()), user.email, "x", from_network(n)) for n in range(11)]
    unknown = [attempt(Web(app.test_client()), "nobody@example.org", "x", from_network(n)) for n in range(11)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [422] * 10 + [429]
    pages = [re.sub(r'value="[^"]*"', "", r.get_data(as_text=True)) for r in (known[-1], unknown[-1])]
    assert pages[0] == pages[1]


@pytest.mark.app_config(CIVIC_LIMIT_SIGN_IN_ACCOUNT="3 per 10 minutes;6 per hour;9 per day")
def test_the_wait_grows_with_the_failures(app, make_user):
    user = make_user()
    owner = Web(app.test_client())
    attempt(owner, user.email, DEFAULT_PASSWORD, OWNER)
    owner.post("/sign-out", environ_base=OWNER)
    waits = []
    for round_ in range(3):
        for n in range(3):  # the owner's typos from their usual network count, and pass
            typo = {"REMOTE_ADDR": f"198.51.100.{10 * round_ + n + 10}"}
            assert attempt(Web(app.test_client()), user.email, "typo", typo).status_code == 422
        stranger = attempt(Web(app.test_client()), user.email, "guess", from_network(round_))
        assert stranger.status_code == 429
        waits.append(int(stranger.headers["Retry-After"]))
    assert waits[0] <= 600 < waits[1] <= 3600 < waits[2]


# --- registration per network range ------------------------------------------------------------


def test_registrations_are_limited_per_network_range(app):
    statuses = []
    for n in range(30):  # thirty addresses of one /24
        response = Web(app.test_client()).post(
            "/register",
            {
                "display_name": f"Bot {n}",
                "email": f"bot{n}@example.org",
                "password": "violet harbour lantern",
                "confirm": "violet harbour lantern",
                "accept_privacy": "y",
            },
            environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"},
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [302] * 10 and statuses[10:] == [429] * 20
    page = response.get_data(as_text=True)
    assert "from your network" in page and 'value="Bot 29"' in page  # what was typed is kept
    # another range is not affected
    other = Web(app.test_client()).post(
        "/register",
        {
            "display_name": "Person",
            "email": "person@example.org",
            "password": "violet harbour lantern",
            "confirm": "violet harbour lantern",
            "accept_privacy": "y",
        },
        environ_base={"REMOTE_ADDR": "192.0.2.50"},
    )
    assert other.status_code == 302
