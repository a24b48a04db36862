"""Signed-in readers with the same roles share a discussion page's comments, each with their own
votes and comments filled in (civic/discussions/shared_threads.py). The shared part lives beside
the Redis page cache, so these tests run on the services stack."""

import pytest

from civic.discussions.services.comments import post_comment
from civic.discussions.services.votes import vote_on_comment
from tests.support.queries import counting_queries
from tests.support.web import Web

PAGE_CACHE = pytest.mark.app_config(CIVIC_PAGE_CACHE=True)


@pytest.fixture
def services(stack):
    if stack != "services":
        pytest.skip("the shared parts are keyed by the page cache's generations, in Redis")


@pytest.fixture
def reader(app, make_user):
    """A signed-in browser of its own for a new person: reader(role) -> (user, Web)."""

    def sign_in(role="citizen", **details):
        user = make_user(roles=("citizen",) if role == "citizen" else ("citizen", role), **details)
        web = Web(app.test_client())
        assert web.sign_in(user.email).status_code == 302
        web.get("/about")  # the welcome message, shown once
        return user, web

    return sign_in


@pytest.fixture
def busy(open_discussion, make_user):
    """A discussion with comments by several people, replies included."""
    people = [make_user() for _ in range(3)]
    comments = []
    for n in range(6):
        comments.append(post_comment(people[n % 3], open_discussion, body=f"Point number {n} about the buses"))
    comments.append(post_comment(people[1], open_discussion, body="A reply", parent_id=comments[0].id))
    return open_discussion, people, comments


def _page(web, discussion, query=""):
    """The page, with its CSRF token (signed with the time: it changes each second) as TOKEN."""
    response = web.get(f"/discussions/{discussion.id}{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    token = Web.CSRF.search(html)
    return html.replace(token.group(1), "TOKEN") if token else html


def _unshared(app, web, discussion, query=""):
    """The same page rendered in full, as without the page cache."""
    cache = app.extensions.pop("civic_page_cache")
    try:
        return _page(web, discussion, query)
    finally:
        app.extensions["civic_page_cache"] = cache


@PAGE_CACHE
def test_every_reader_sees_exactly_the_page_rendered_for_them_alone(services, app, busy, reader):
    discussion, people, comments = busy
    author, author_web = reader()
    mine = post_comment(author, discussion, body="My own view on the buses")
    voter, voter_web = reader()
    vote_on_comment(voter, comments[2], 1)
    vote_on_comment(voter, comments[3], -1)
    _neutral, neutral_web = reader()
    moderator, moderator_web = reader("moderator")
    for query in ("", "?sort=newest"):
        for web in (neutral_web, author_web, voter_web, moderator_web):  # the neutral reader fills it first
            shared = _page(web, discussion, query)
            assert shared == _unshared(app, web, discussion, query)
    page = _page(author_web, discussion)
    assert f"/comments/{mine.id}/edit" in page and f"/comments/{comments[0].id}/edit" not in page
    assert page.count('aria-pressed="true"') == 0
    assert _page(voter_web, discussion).count('aria-pressed="true"') == 2
    assert "/hide" in _page(moderator_web, discussion) and "/hide" not in _page(neutral_web, discussion)


@PAGE_CACHE
def test_the_second_reader_skips_loading_and_rendering_the_thread(services, busy, reader):
    discussion, _people, _comments = busy
    _first, first_web = reader()
    _second, second_web = reader()
    _page(first_web, discussion)
    with counting_queries() as queries:
        page = _page(second_web, discussion)
    assert "Point number 5 about the buses" in page
    loads_of_comments = [s for s in queries.statements if s.startswith("SELECT comment.id")]
    assert loads_of_comments == [], queries


@PAGE_CACHE
def test_a_voters_cards_are_pressed_in_place_without_loading_comments(services, busy, reader):
    discussion, _people, comments = busy
    _first, first_web = reader()
    _page(first_web, discussion)
    voter, voter_web = reader()
    vote_on_comment(voter, comments[1], 1)
    vote_on_comment(voter, comments[2], -1)
    with counting_queries() as queries:
        page = _page(voter_web, discussion)
    assert [s for s in queries.statements if s.startswith("SELECT comment.id")] == [], queries
    assert page.count('aria-pressed="true"') == 2
    for comment, count in ((comments[1], "data-up>1<"), (comments[2], "data-down>1<")):
        card = page.split(f'id="comment-{comment.id}"')[1].split("</article>")[0]
        assert 'value="0" class="vote-button" aria-pressed="true"' in card and count in card


@PAGE_CACHE
def test_a_signed_in_voters_page_costs_four_statements(services, busy, reader):
    """The session with its person, the discussion (once), the reader's votes with their counts, and
    whether they follow it and have comments held for review: nothing more per signed-in page."""
    discussion, _people, comments = busy
    _first, first_web = reader()
    _page(first_web, discussion)
    voter, voter_web = reader()
    vote_on_comment(voter, comments[1], 1)
    _page(voter_web, discussion)
    with counting_queries() as queries:
        _page(voter_web, discussion)
    assert len(queries.statements) == 4, queries.statements
    assert sum(s.startswith("SELECT discussion.id") for s in queries.statements) == 1


@PAGE_CACHE
def test_a_new_comment_reaches_the_shared_page_at_once(services, busy, reader, make_user):
    discussion, _people, _comments = busy
    _reader, web = reader()
    assert "Night buses now" not in _page(web, discussion)
    post_comment(make_user(), discussion, body="Night buses now")
    assert "Night buses now" in _page(web, discussion)


@PAGE_CACHE
def test_a_readers_own_vote_shows_at_once_with_its_count(services, busy, reader):
    discussion, _people, comments = busy
    voter, web = reader()
    _page(web, discussion)
    response = web.post(
        f"/discussions/{discussion.id}/comments/{comments[4].id}/vote",
        {"value": "1", "next": f"/discussions/{discussion.id}"},
    )
    assert response.status_code == 302
    page = _page(web, discussion)
    card = page.split(f'id="comment-{comments[4].id}"')[1].split("</article>")[0]
    assert 'aria-pressed="true"' in card and '<span class="vote-count" data-up>1</span>' in card


@PAGE_CACHE
def test_languages_and_pages_of_comments_are_shared_apart(services, busy, reader):
    discussion, _people, _comments = busy
    _reader, web = reader()
    english = _page(web, discussion)
    spanish = web.get(f"/discussions/{discussion.id}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Reply" in english and "Responder" in spanish


def test_without_the_page_cache_the_page_is_rendered_in_full(app, busy, reader):
    discussion, _people, _comments = busy
    _reader, web = reader()
    assert "civic_page_cache" not in app.extensions
    with counting_queries() as queries:
        page = _page(web, discussion)
    assert "Point number 5 about the buses" in page
    assert any(s.startswith("SELECT comment.id") for s in queries.statements)
