"""Petition pages and the Redis page cache: signatures may lag, the council's response does not."""

import pytest

from civic.petitions.services import responses
from tests.support.petitions import sign_and_confirm

PAGE_CACHE = pytest.mark.app_config(CIVIC_PAGE_CACHE=True)


def test_an_open_petitions_page_holds_the_signing_form_and_stays_private(open_petition, app, client):
    page = client.get(f"/petitions/{open_petition.id}")
    assert 'name="csrf_token"' in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store" and "Set-Cookie" in page.headers
    data = app.test_client().get(f"/petitions/{open_petition.id}.json")
    assert data.headers["Cache-Control"] == "public, max-age=10" and "Set-Cookie" not in data.headers


@PAGE_CACHE
def test_signatures_are_quiet_and_a_response_renders_the_open_data_afresh(
    stack, open_petition, client, outbox, official
):
    if stack != "services":
        pytest.skip("the page cache lives in Redis")
    path = f"/petitions/{open_petition.id}.json"
    first = client.get(path)
    assert first.headers["X-Civic-Page-Cache"] == "miss"
    sign_and_confirm(open_petition, 1, outbox)
    # A signature bumps nothing: the count may be CIVIC_PAGE_CACHE_SECONDS behind (the live tally
    # corrects an open page), so that a viral petition's pages stay cached.
    stale = client.get(path)
    assert stale.headers["X-Civic-Page-Cache"] == "hit" and stale.get_data() == first.get_data()
    responses.publish_response(official, open_petition, "We will look into it.", "")
    fresh = client.get(path)
    assert fresh.headers["X-Civic-Page-Cache"] == "miss"
    assert "We will look into it." in fresh.get_data(as_text=True)
