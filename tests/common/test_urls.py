"""A "next" page from the request is followed only when it stays on this site, whatever its spelling."""

import ast
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civic.common.urls import local_target, redirect_back
from tests.support.redirects import BYPASS_TARGETS, LOCAL_TARGETS, lands_on_this_site

CIVIC = pathlib.Path(__file__).resolve().parents[2] / "civic"


@pytest.mark.parametrize("target", BYPASS_TARGETS)
def test_a_target_a_browser_could_read_as_another_site_is_refused(target):
    assert local_target(target) is None


@pytest.mark.parametrize("target", LOCAL_TARGETS)
def test_a_path_of_this_site_is_kept(target):
    assert local_target(target) == target


@pytest.mark.parametrize("target", [None, "", 42, ["/"], b"/account"])
def test_no_target_or_one_of_another_type_is_refused(target):
    assert local_target(target) is None


def test_letters_beyond_ascii_are_percent_encoded_for_the_location_header():
    assert local_target("/búsqueda?q=señal") == "/b%C3%BAsqueda?q=se%C3%B1al"


def test_a_look_alike_slash_no_folding_turns_into_a_slash_stays_a_path_here():
    kept = local_target("/\u2215\u2215evil.example")  # division slashes
    assert kept == "/%E2%88%95%E2%88%95evil.example" and lands_on_this_site(kept)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_whatever_is_kept_lands_on_this_site_and_fits_in_a_header(target):
    kept = local_target(target)
    if kept is not None:
        assert lands_on_this_site(kept)
        assert kept.isascii() and kept.isprintable()


@given(st.sampled_from(["/", "//", "\\", "%2F", "%5C", "%09", "\t", "\r", "\n", " ", "\uff0f", "%25", "e", "@", ":"]))
def test_pieces_of_bypass_forms_never_lead_away(piece):
    for target in (piece + "/evil.example", "/" + piece + "evil.example", piece + piece + "evil.example"):
        kept = local_target(target)
        assert kept is None or lands_on_this_site(kept), target


def test_redirect_back_follows_a_local_target_and_falls_back_otherwise(app):
    with app.test_request_context():
        assert redirect_back("/about", "/").headers["Location"] == "/about"
        for target in BYPASS_TARGETS:
            assert redirect_back(target, "/fallback").headers["Location"] == "/fallback", target


def _redirect_targets_in(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "redirect":
            yield node


def _built_by_the_site(node):
    """A URL the code built (url_for, a helper of the same kind) or a checked one (local_target)."""
    if isinstance(node, ast.Call):
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        return name in {"url_for", "local_target", "_comment_url"}
    if isinstance(node, ast.IfExp):
        return _built_by_the_site(node.body) and _built_by_the_site(node.orelse)
    if isinstance(node, ast.BoolOp):
        return all(_built_by_the_site(value) for value in node.values)
    return False


def test_every_redirect_goes_to_a_url_the_site_built_or_through_redirect_back():
    unchecked = []
    for path in CIVIC.rglob("*.py"):
        if path == CIVIC / "common" / "urls.py":
            continue  # redirect_back itself
        for call in _redirect_targets_in(ast.parse(path.read_text())):
            if not call.args or not _built_by_the_site(call.args[0]):
                unchecked.append(f"{path.relative_to(CIVIC.parent)}:{call.lineno}")
    assert unchecked == [], "redirect() to a target from the request: use civic.common.urls.redirect_back"
