"""Two-factor sign-in: enrolment, codes, recovery codes, staff enforcement."""

import re
import threading
import time

import pyotp
import pytest

from civic.accounts.models import User
from civic.accounts.services import two_factor
from civic.errors import InvalidCredentials
from civic.extensions import db
from tests.support.users import DEFAULT_PASSWORD


def enrol(web):
    page = web.get("/account/security/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = web.post(
        "/account/security/two-factor", {"code": pyotp.TOTP(secret).now()}, form_url="/account/security/two-factor"
    )
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", response.get_data(as_text=True))
    return secret, codes, response


def test_setup_page_shows_a_qr_code_and_the_secret_as_text(web, login_as):
    login_as("citizen")
    html = web.get("/account/security/two-factor").get_data(as_text=True)
    assert "<svg" in html and 'role="img"' in html
    assert re.search(r'id="totp-secret">[A-Z2-7]{4}( [A-Z2-7]{4})+<', html)


def test_enrolment_needs_a_right_code_and_gives_ten_recovery_codes(web, login_as):
    user = login_as("citizen")
    web.get("/account/security/two-factor")
    wrong = web.post("/account/security/two-factor", {"code": "000000"}, form_url="/account/security/two-factor")
    assert wrong.status_code == 422
    db.session.refresh(user)
    assert not user.two_factor_enabled
    secret, codes, response = enrol(web)
    assert response.status_code == 200 and len(codes) == 10 and len(set(codes)) == 10
    db.session.refresh(user)
    assert user.two_factor_enabled and user.totp_secret == secret
    # codes are stored hashed, never in clear
    assert all(code.replace("-", "") not in rc.code_hash for rc in user.recovery_codes for code in codes)


def test_sign_in_with_two_factor_asks_for_a_code(app, web, login_as):
    user = login_as("citizen")
    secret, codes, _ = enrol(web)
    web.post("/sign-out")
    response = web.sign_in(user.email)
    assert response.headers["Location"] == "/sign-in/two-factor"
    assert web.get("/account").status_code == 302  # not signed in yet
    wrong = web.post("/sign-in/two-factor", {"code": "123456"}, form_url="/sign-in/two-factor")
    assert wrong.status_code == 422
    time.sleep(0)  # a new code is needed: the enrolment code may not be reused
    totp = pyotp.TOTP(secret)
    code = totp.at(time.time() + 30)  # the next step, inside the allowed drift window
    ok = web.post("/sign-in/two-factor", {"code": code}, form_url="/sign-in/two-factor")
    assert ok.status_code == 302
    assert web.get("/account").status_code == 200


def test_a_totp_code_cannot_be_replayed(app, make_user):
    secret = pyotp.random_base32()
    user = make_user(two_factor_secret=secret)
    code = pyotp.TOTP(secret).now()
    assert two_factor.verify_second_factor(user, code) == "totp"
    with pytest.raises(InvalidCredentials):
        two_factor.verify_second_factor(user, code)


def test_recovery_codes_work_once_each(web, login_as):
    user = login_as("citizen")
    _secret, codes, _ = enrol(web)
    web.post("/sign-out")
    web.sign_in(user.email)
    ok = web.post("/sign-in/two-factor", {"code": codes[0].upper()}, form_url="/sign-in/two-factor")
    assert ok.status_code == 302
    web.post("/sign-out")
    web.sign_in(user.email)
    again = web.post("/sign-in/two-factor", {"code": codes[0]}, form_url="/sign-in/two-factor")
    assert again.status_code == 422
    db.session.expire_all()
    assert two_factor.remaining_recovery_codes(db.session.get(type(user), user.id)) == 9


def test_two_factor_page_without_a_password_step_goes_back_to_sign_in(web):
    response = web.get("/sign-in/two-factor")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"


def test_turning_two_factor_off_needs_the_password(web, login_as, outbox):
    user = login_as("citizen")
    enrol(web)
    web.post("/account/security/two-factor/disable", {"disable-password": "wrong"}, form_url="/account/security")
    db.session.refresh(user)
    assert user.two_factor_enabled
    web.post(
        "/account/security/two-factor/disable", {"disable-password": DEFAULT_PASSWORD}, form_url="/account/security"
    )
    db.session.refresh(user)
    assert not user.two_factor_enabled and user.recovery_codes == []


def test_new_recovery_codes_replace_the_old_ones(web, login_as):
    user = login_as("citizen")
    _secret, old_codes, _ = enrol(web)
    response = web.post(
        "/account/security/recovery-codes", {"codes-password": DEFAULT_PASSWORD}, form_url="/account/security"
    )
    new_codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", response.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    db.session.expire_all()
    with pytest.raises(InvalidCredentials):
        two_factor.verify_second_factor(db.session.get(type(user), user.id), old_codes[0])


def test_staff_must_enrol_before_using_staff_pages_when_required(app, web, login_as):
    app.config["CIVIC_REQUIRE_STAFF_2FA"] = True
    login_as("admin")
    response = web.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/security/two-factor?next=")
    enrol(web)
    assert web.get("/admin/users").status_code == 200


def test_staff_pages_open_without_enrolment_when_not_required(app, web, login_as):
    app.config["CIVIC_REQUIRE_STAFF_2FA"] = False
    login_as("admin")
    assert web.get("/admin/users").status_code == 200


def _race(app, attempt, threads=6):
    """Run attempt() on `threads` threads at once, each with its own app context and database
    session, as parallel sign-in requests are; returns what each returned."""
    start = threading.Barrier(threads)
    results = []

    def run():
        with app.app_context():
            try:
                start.wait(timeout=10)
                results.append(attempt())
            except InvalidCredentials:
                results.append("refused")
            except Exception as exc:  # noqa: BLE001 - reported by the assertion
                results.append(repr(exc))
            finally:
                db.session.remove()

    workers = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    return sorted(results)


def test_one_totp_code_signs_in_one_of_six_parallel_sign_ins(app, make_user):
    secret = pyotp.random_base32()
    user_id = make_user(two_factor_secret=secret).id
    code = pyotp.TOTP(secret).now()
    results = _race(app, lambda: two_factor.verify_second_factor(db.session.get(User, user_id), code))
    assert results == ["refused"] * 5 + ["totp"]


def test_one_recovery_code_signs_in_one_of_six_parallel_sign_ins(app, web, login_as):
    user = login_as("citizen")
    _secret, codes, _ = enrol(web)
    results = _race(app, lambda: two_factor.verify_second_factor(db.session.get(User, user.id), codes[3]))
    assert results == ["recovery_code"] + ["refused"] * 5
