"""Security headers, cookie flags and CSRF: each test fails if its protection is removed."""

import pytest

from civic import create_app
from tests.support.apps import base_config

PAGES = ["/", "/sign-in", "/register", "/no-such-page", "/healthz"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # development/testing: no HSTS


def test_pages_have_no_inline_scripts(client):
    html = client.get("/").get_data(as_text=True)
    import re

    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert " on" + "click=" not in html


def test_production_sends_hsts_and_secure_cookies(tmp_path):
    config = base_config(
        tmp_path,
        CIVIC_ENV="production",
        CIVIC_HSTS=True,
        SESSION_COOKIE_SECURE=True,
        CIVIC_DEV_MAIL_PAGE=False,
        TESTING=False,
    )
    app = create_app(config)
    client = app.test_client()
    response = client.get("/sign-in", base_url="https://civic.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_httponly_and_samesite_lax(client):
    response = client.get("/sign-in")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


FORM_POSTS = [
    "/register",
    "/sign-in",
    "/sign-in/two-factor",
    "/sign-out",
    "/password/forgot",
    "/verify/resend",
    "/language",
    "/account",
    "/account/email",
    "/account/password",
    "/account/security/two-factor",
    "/account/security/two-factor/disable",
    "/account/security/recovery-codes",
    "/admin/users/1",
]


@pytest.mark.parametrize("path", FORM_POSTS)
def test_every_form_post_without_csrf_token_is_refused(web, login_as, path):
    login_as("admin")
    response = web.client.post(path, data={"email": "a@example.org", "password": "x", "language": "es"})
    assert response.status_code == 400
    assert "form had expired" in response.get_data(as_text=True)


def test_a_forged_csrf_token_is_refused(web):
    response = web.client.post("/sign-in", data={"csrf_token": "forged", "email": "a@b.org", "password": "x"})
    assert response.status_code == 400


def test_csrf_token_from_another_session_is_refused(app, web):
    token = web.csrf_token()
    other = app.test_client()
    response = other.post("/sign-in", data={"csrf_token": token, "email": "a@b.org", "password": "x"})
    assert response.status_code == 400
