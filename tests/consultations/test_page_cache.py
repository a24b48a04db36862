"""Consultation pages and the Redis page cache: a comment on its discussion renders the page afresh."""

import pytest

from civic.discussions.models import Discussion
from civic.discussions.services.comments import post_comment
from civic.extensions import db

PAGE_CACHE = pytest.mark.app_config(CIVIC_PAGE_CACHE=True)


def test_an_open_consultations_page_is_public_for_anonymous_visitors(survey, client):
    page = client.get(f"/consultations/{survey.id}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "public, max-age=10"
    assert "Set-Cookie" not in page.headers and "csrf_token" not in page.get_data(as_text=True)


@PAGE_CACHE
def test_a_comment_on_its_discussion_renders_the_consultation_afresh(stack, survey, client, citizen):
    if stack != "services":
        pytest.skip("the page cache lives in Redis")
    path = f"/consultations/{survey.id}"
    assert client.get(path).headers["X-Civic-Page-Cache"] == "miss"
    assert client.get(path).headers["X-Civic-Page-Cache"] == "hit"
    discussion = db.session.get(Discussion, survey.discussion_id)
    post_comment(citizen, discussion, body="Night buses, please")
    assert client.get(path).headers["X-Civic-Page-Cache"] == "miss"
    assert client.get(f"/discussions/{discussion.id}").headers["X-Civic-Page-Cache"] == "miss"
