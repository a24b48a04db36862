"""Which pages caches may keep (Cache-Control, ETag, 304) and the Redis page cache."""

import re
from urllib.parse import urlsplit

import pytest

from civic.common import caching
from civic.discussions.services.comments import post_comment
from civic.extensions import db

PUBLIC = "public, max-age=10"
PRIVATE = "private, no-store"
TOKEN = re.compile(r'name="csrf_token"|data-csrf-token')
PAGE_CACHE = pytest.mark.app_config(CIVIC_PAGE_CACHE=True)


def _is_public(response):
    return "public" in response.headers.get("Cache-Control", "")


def _walk(client, start=("/",), limit=120):
    """Every page reachable from `start` by links, as an anonymous visitor with no cookie."""
    seen, queue, pages = set(), list(start), {}
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen or path.startswith("/static/"):
            continue
        seen.add(path)
        client.delete_cookie("session")
        response = client.get(path)
        pages[path] = response
        if response.mimetype == "text/html":
            for link in re.findall(r'href="(/[^"#]*)"', response.get_data(as_text=True)):
                link = link.replace("&amp;", "&")
                if urlsplit(link).path not in seen:
                    queue.append(link)
    return pages


def test_no_public_page_sets_a_cookie_or_holds_a_csrf_token(app, client):
    app.test_cli_runner().invoke(args=["civic", "seed-demo"])
    pages = _walk(client, start=("/", "/consultations/", "/petitions/", "/discussions/", "/petitions.json"))
    public = {path for path, response in pages.items() if _is_public(response)}
    for path in public:
        response = pages[path]
        assert "Set-Cookie" not in response.headers, path
        assert not TOKEN.search(response.get_data(as_text=True)), path
        assert response.status_code == 200 and response.headers["ETag"].startswith('W/"'), path
        assert {"Accept-Language", "Cookie"} <= set(response.vary), path
        assert response.headers["Cache-Control"] == PUBLIC, path
    for path, response in pages.items():
        if path not in public and not path.startswith("/static/"):
            assert response.headers.get("Cache-Control") in (PRIVATE, "private, no-cache", "no-store"), path
    # The pages the table promises are public, reached from the links of the site itself.
    for path in ("/", "/about", "/accessibility", "/privacy", "/consultations/", "/petitions/", "/discussions/"):
        assert path in public, path
    assert any(re.fullmatch(r"/discussions/\d+", p) for p in public)
    assert any(re.fullmatch(r"/consultations/\d+", p) for p in public)
    assert any(re.fullmatch(r"/petitions/\d+\.json", p) for p in public)
    # Pages with a form for anonymous visitors stay private: their CSRF token is the visitor's own.
    for path in ("/sign-in", "/register", "/password/forgot"):
        assert pages[path].headers["Cache-Control"] == PRIVATE, path
    # A petition's signing form carries no token for visitors who are not signed in (the sign view
    # checks Origin instead), so open petitions are shared like the rest.
    petition_pages = [p for p in pages if re.fullmatch(r"/petitions/\d+", p)]
    assert petition_pages
    for path in petition_pages:
        assert pages[path].headers["Cache-Control"] == PUBLIC, path
        assert not TOKEN.search(pages[path].get_data(as_text=True)), path


def test_a_matching_etag_gets_304_without_a_body(client):
    first = client.get("/about")
    again = client.get("/about", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["Cache-Control"] == PUBLIC and again.headers["ETag"] == first.headers["ETag"]
    other = client.get("/about", headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200 and other.get_data()


def test_pages_are_localised_and_say_so_to_caches(client):
    english = client.get("/about")
    spanish = client.get("/about", headers={"Accept-Language": "es"})
    assert '<html lang="es">' in spanish.get_data(as_text=True)
    assert english.headers["ETag"] != spanish.headers["ETag"]
    assert "Accept-Language" in spanish.vary and spanish.headers["Cache-Control"] == PUBLIC


def test_pages_of_a_signed_in_person_are_private(web, login_as, open_discussion):
    login_as("citizen")
    for path in ("/", "/about", "/discussions/", f"/discussions/{open_discussion.id}", "/account"):
        response = web.get(path)
        assert response.headers["Cache-Control"] == PRIVATE, path
        assert "ETag" not in response.headers, path


@pytest.mark.parametrize("path", ["/account", "/admin/", "/dev/mail/", "/no-such-page", "/notifications/"])
def test_staff_account_dev_and_error_pages_are_private(client, path):
    assert client.get(path).headers["Cache-Control"] == PRIVATE


def test_a_page_showing_a_flash_message_is_private(client):
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved for you alone")]
    response = client.get("/about")
    assert "Saved for you alone" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == PRIVATE


def test_a_page_that_sets_a_cookie_is_not_public(client):
    response = client.get("/sign-in")  # creates the session (its CSRF token)
    assert "Set-Cookie" in response.headers and response.headers["Cache-Control"] == PRIVATE


def test_a_visitor_holding_a_session_cookie_still_gets_public_pages(client):
    client.get("/sign-in")  # a session with a CSRF token
    for _ in range(3):
        response = client.get("/about")
        # Flask-Login marks the session once ("_fresh"): that answer sets the cookie, so it is private.
        assert ("Set-Cookie" in response.headers) is (response.headers["Cache-Control"] == PRIVATE)
    assert response.headers["Cache-Control"] == PUBLIC


def test_the_language_form_needs_no_token_but_this_sites_origin(client):
    refused = client.post("/language", data={"language": "es"}, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 400
    assert client.post("/language", data={"language": "es"}).status_code == 400  # neither Origin nor Referer
    taken = client.post("/language", data={"language": "es", "next": "/about"}, headers={"Origin": "http://localhost"})
    assert taken.status_code == 302
    assert '<html lang="es">' in client.get("/about").get_data(as_text=True)


def test_every_page_named_in_the_table_exists(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(caching.PUBLIC_PAGES) <= endpoints
    for endpoint in caching.PUBLIC_PAGES:
        assert not endpoint.startswith(("accounts.", "admin.", "mail.", "notifications."))


# --- the Redis page cache ---------------------------------------------------------------------


def _services_only(stack):
    if stack != "services":
        pytest.skip("the page cache lives in Redis")


@PAGE_CACHE
def test_page_cache_serves_the_second_load_and_renders_afresh_after_a_comment(
    stack, app, client, open_discussion, make_user
):
    _services_only(stack)
    path = f"/discussions/{open_discussion.id}"
    first = client.get(path)
    assert first.headers["X-Civic-Page-Cache"] == "miss"
    second = client.get(path)
    assert second.headers["X-Civic-Page-Cache"] == "hit"
    assert second.get_data() == first.get_data() and second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Cache-Control"] == PUBLIC and "Set-Cookie" not in second.headers
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    post_comment(make_user(), open_discussion, body="A fresh thought about buses")
    after = client.get(path)
    assert after.headers["X-Civic-Page-Cache"] == "miss"
    assert "A fresh thought about buses" in after.get_data(as_text=True)
    assert client.get("/discussions/").headers["X-Civic-Page-Cache"] == "miss"


@PAGE_CACHE
def test_page_cache_keeps_languages_apart(stack, client):
    _services_only(stack)
    assert client.get("/about").headers["X-Civic-Page-Cache"] == "miss"
    spanish = client.get("/about", headers={"Accept-Language": "es"})
    assert spanish.headers["X-Civic-Page-Cache"] == "miss" and '<html lang="es">' in spanish.get_data(as_text=True)
    assert client.get("/about").headers["X-Civic-Page-Cache"] == "hit"


@PAGE_CACHE
def test_page_cache_never_serves_signed_in_people(stack, web, login_as, open_discussion):
    _services_only(stack)
    path = f"/discussions/{open_discussion.id}"
    web.client.get(path)
    assert web.client.get(path).headers["X-Civic-Page-Cache"] == "hit"
    person = login_as("citizen")
    response = web.get(path)
    assert "X-Civic-Page-Cache" not in response.headers and response.headers["Cache-Control"] == PRIVATE
    assert person.display_name in response.get_data(as_text=True)


@PAGE_CACHE
def test_a_quiet_counter_does_not_empty_the_cache_but_an_edit_does(stack, client, open_discussion, make_user):
    _services_only(stack)
    comment = post_comment(make_user(), open_discussion, body="Votes will not change this page")
    path = f"/discussions/{open_discussion.id}"
    client.get(path)
    comment.upvotes += 1  # a vote's counters: quiet, the live page shows them
    db.session.commit()
    assert client.get(path).headers["X-Civic-Page-Cache"] == "hit"
    open_discussion.title = "Should Calle Mayor be car-free on Sundays?"
    db.session.commit()
    after = client.get(path)
    assert after.headers["X-Civic-Page-Cache"] == "miss" and "on Sundays" in after.get_data(as_text=True)
    assert client.get("/discussions/").headers["X-Civic-Page-Cache"] == "miss"


@PAGE_CACHE
def test_bump_renders_an_objects_pages_afresh(stack, client, open_discussion):
    _services_only(stack)
    path = f"/discussions/{open_discussion.id}"
    client.get(path)
    assert client.get(path).headers["X-Civic-Page-Cache"] == "hit"
    caching.bump("discussion", open_discussion.id)
    assert client.get(path).headers["X-Civic-Page-Cache"] == "miss"


def test_with_redis_down_the_page_cache_is_bypassed_and_writes_still_commit(app, client, open_discussion, make_user):
    app.extensions["civic_page_cache"] = caching.PageCache("redis://127.0.0.1:1/0", "civic-test-down", 15)
    path = f"/discussions/{open_discussion.id}"
    response = client.get(path)
    assert response.status_code == 200 and response.headers["Cache-Control"] == PUBLIC
    assert "X-Civic-Page-Cache" not in response.headers
    post_comment(make_user(), open_discussion, body="Written while Redis sleeps")
    assert "Written while Redis sleeps" in client.get(path).get_data(as_text=True)


def test_without_the_setting_there_is_no_page_cache(app, client):
    assert "civic_page_cache" not in app.extensions
    assert "X-Civic-Page-Cache" not in client.get("/about").headers
