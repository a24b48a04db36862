"""Input is made safe once, at the boundary, for every route: ids within the database's integers,
page numbers within range, no control characters, secrets compared as bytes."""

import re

import pyotp
import pytest
from flask import request
from werkzeug.routing import IntegerConverter

from civic.accounts.services.two_factor import enable_two_factor
from civic.common.inputs import MAX_ID, BoundedIntConverter, PlainTextConverter, row_id
from civic.common.pagination import MAX_PAGE, page_number
from civic.common.tokens import same_secret
from civic.discussions.models import Comment
from civic.errors import InvalidInput
from civic.extensions import db

BEYOND = MAX_ID + 1  # 2**31: PostgreSQL's "integer out of range"


def test_every_int_route_uses_the_bounded_converter_and_every_text_part_the_plain_one(app):
    for rule in app.url_map.iter_rules():
        for converter in rule._converters.values():
            if isinstance(converter, IntegerConverter):
                assert isinstance(converter, BoundedIntConverter), rule.rule
                assert converter.max == MAX_ID
            if type(converter).__name__ == "UnicodeConverter":
                pytest.fail(f"{rule.rule} takes control characters in its path")
    assert isinstance(app.url_map.converters["default"](app.url_map), PlainTextConverter)


def test_an_id_beyond_the_databases_integers_is_a_404_on_every_route(app, web, login_as):
    login_as("admin")
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        path = re.sub(r"<int:[^>]+>", str(BEYOND), rule.rule)
        path = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", path)
        path = re.sub(r"<[^>]+>", "x", path)
        method = "GET" if "GET" in rule.methods else "POST"
        response = web.client.open(path, method=method, headers={"Origin": "http://localhost"})
        # 405 where another rule has the same address for another method: werkzeug notes the
        # method before it converts the id.
        assert response.status_code in (404, 405), (method, path, response.status_code)


@pytest.mark.parametrize(
    "path", ["/petitions/", "/discussions/", "/consultations/", "/notifications/", "/admin/users", "/admin/audit"]
)
def test_a_page_number_beyond_any_list_shows_an_empty_page(web, login_as, path):
    login_as("admin")
    for page in ("99999999999999999999", str(MAX_ID + 7), "-3", "many"):
        response = web.get(f"{path}?page={page}")
        assert response.status_code == 200, (path, page)


def test_page_numbers_are_kept_between_the_first_and_the_last_possible():
    assert page_number("99999999999999999999") == MAX_PAGE
    assert page_number(-5) == page_number(0) == page_number(None) == page_number("2x") == 1
    assert page_number("7") == 7


def test_a_comment_is_kept_without_its_control_characters(web, login_as, open_discussion):
    login_as("citizen")
    response = web.post(f"/discussions/{open_discussion.id}/comments", {"body": "Bus\x00 lanes\x1b now,\r\nplease"})
    assert response.status_code == 302
    assert db.session.query(Comment).one().body_markdown == "Bus lanes now,\nplease"  # line ends normalised


def test_control_characters_in_the_query_string_reach_no_query(client, app):
    assert client.get("/petitions/?q=tree%00s&topic=%00").status_code == 200
    assert client.get("/discussions/?category=%00x").status_code in (200, 404)
    with app.test_request_context("/petitions?q=a%00b%7F&x%01=1", method="POST", data={"body\x00": "c\x00d\te"}):
        assert request.args["q"] == "ab" and "x" in request.args
        assert request.form["body"] == "cd\te"  # tab, newline and carriage return are text


def test_a_path_part_with_a_control_character_matches_no_route(web, login_as):
    login_as("admin")
    assert web.get("/admin/categories/tra%00nsport").status_code == 404
    assert web.get("/verify/abc%00def").status_code == 404


def test_an_id_field_beyond_the_databases_integers_is_not_an_id(web, login_as, open_discussion):
    login_as("citizen")
    reply = web.post(
        f"/discussions/{open_discussion.id}/comments", {"reply-body": "A reply", "reply-parent_id": str(BEYOND)}
    )
    assert reply.status_code == 422
    assert web.post("/notifications/read", {"id": str(BEYOND)}).status_code == 302
    assert web.post("/notifications/read", {"id": "99999999999999999999999"}).status_code == 302
    with pytest.raises(ValueError):
        row_id(BEYOND)
    with pytest.raises(ValueError):
        row_id(True)
    assert row_id("42") == 42


def test_secrets_are_compared_as_bytes_so_any_text_is_simply_different():
    assert same_secret("abc", "abc") and not same_secret("abc", "abd")
    assert not same_secret("é" * 3, "abc") and same_secret("ñandú", "ñandú")
    assert not same_secret("\ud800", "abc")  # a lone surrogate, possible in JSON
    assert not same_secret(None, "abc") and not same_secret(["abc"], "abc") and not same_secret(123, "123")


def test_a_two_factor_code_in_other_digits_is_refused_not_a_500(citizen):
    secret = pyotp.random_base32()
    with pytest.raises(InvalidInput):
        enable_two_factor(citizen, secret, "١٢٣٤٥٦")  # Arabic-Indic digits: isdigit(), but not ASCII
    assert enable_two_factor(citizen, secret, pyotp.TOTP(secret).now())
