"""Error pages in HTML and JSON, and the domain error tree mapped to statuses in one place."""

import pytest
from flask import Blueprint

from civic import errors
from civic.errors import CivicError


@pytest.fixture
def raising_app(app):
    bp = Blueprint("boom", __name__)

    @bp.get("/boom/<kind>")
    def boom(kind):
        if kind == "crash":
            raise RuntimeError("kaboom: secret internals")
        if kind == "big":
            from flask import abort

            abort(413)
        if kind == "limit":
            from flask import abort

            abort(429)
        raise getattr(errors, kind)("Explained to the user")

    app.register_blueprint(bp)
    return app


@pytest.mark.parametrize(
    "kind,status",
    [
        ("InvalidInput", 422),
        ("NotAllowed", 403),
        ("NotFound", 404),
        ("Conflict", 409),
        ("ParticipationClosed", 409),
        ("RateLimited", 429),
        ("TokenInvalid", 400),
        ("ServiceUnavailable", 503),
    ],
)
def test_domain_errors_map_to_statuses_in_html_and_json(raising_app, kind, status):
    client = raising_app.test_client()
    html = client.get(f"/boom/{kind}")
    assert html.status_code == status
    assert html.mimetype == "text/html"
    assert "Explained to the user" in html.get_data(as_text=True)
    as_json = client.get(f"/boom/{kind}", headers={"Accept": "application/json"})
    assert as_json.status_code == status
    assert as_json.json["error"]["message"] == "Explained to the user"
    assert as_json.json["error"]["code"] == getattr(errors, kind).code


def test_every_domain_error_has_a_status_and_code():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in subclasses(CivicError):
        assert 400 <= cls.status < 600 and cls.code


def test_unexpected_error_is_a_friendly_500_without_internals(raising_app):
    client = raising_app.test_client()
    response = client.get("/boom/crash")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "kaboom" not in body and "Traceback" not in body
    assert "Something went wrong" in body
    as_json = client.get("/boom/crash", headers={"Accept": "application/json"})
    assert as_json.status_code == 500 and as_json.json["error"]["code"] == "internal_error"


@pytest.mark.parametrize(
    "method,path,status",
    [
        ("get", "/no-such-page", 404),
        ("delete", "/", 405),
        ("get", "/boom/big", 413),
        ("get", "/boom/limit", 429),
    ],
)
def test_http_errors_have_pages(raising_app, method, path, status):
    client = raising_app.test_client()
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert "<h1>" in response.get_data(as_text=True)
    as_json = getattr(client, method)(path, headers={"Accept": "application/json"})
    assert as_json.status_code == status and as_json.json["error"]["status"] == status


def test_bad_request_page(web):
    response = web.client.post("/sign-in", data={})
    assert response.status_code == 400
    assert "<h1>" in response.get_data(as_text=True)


def test_too_large_upload_is_413(app, web):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = web.client.post("/sign-in", data={"email": "x" * 5000})
    assert response.status_code == 413


def test_json_is_chosen_by_accept_header_or_path(client):
    assert client.get("/nothing.json").is_json
    assert client.get("/nothing", headers={"Accept": "application/json"}).is_json
    assert not client.get("/nothing", headers={"Accept": "text/html,*/*"}).is_json


def test_anonymous_visitor_of_a_staff_page_is_sent_to_sign_in(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    assert client.get("/admin/users", headers={"Accept": "application/json"}).status_code == 401


def test_citizen_gets_403_on_staff_pages(web, login_as):
    login_as("citizen")
    assert web.get("/admin/users").status_code == 403
