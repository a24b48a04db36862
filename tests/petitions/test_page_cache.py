"""Petition pages and the Redis page cache: signatures may lag, the council's response does not."""

import pytest

from civic.petitions.services import responses
from tests.support.mail import mail_to
from tests.support.petitions import sign_and_confirm
from tests.support.queries import counting_queries

PAGE_CACHE = pytest.mark.app_config(CIVIC_PAGE_CACHE=True)


def test_an_open_petitions_page_is_shared_by_visitors_and_its_form_checks_where_it_came_from(
    open_petition, app, client, outbox
):
    page = client.get(f"/petitions/{open_petition.id}")
    assert 'name="csrf_token"' not in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "public, max-age=10" and "Set-Cookie" not in page.headers
    data = app.test_client().get(f"/petitions/{open_petition.id}.json")
    assert data.headers["Cache-Control"] == "public, max-age=10" and "Set-Cookie" not in data.headers
    person = {"name": "Ines", "email": "ines@example.org", "area": "Old Town", "consent": "y"}
    path = f"/petitions/{open_petition.id}/sign"
    for foreign in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"}, {}):
        refused = app.test_client().post(path, data=person, headers=foreign)
        assert refused.status_code == 400 and "form had expired" in refused.get_data(as_text=True)
    assert not mail_to(outbox, "ines@example.org")
    sent = app.test_client().post(path, data=person, headers={"Origin": "http://localhost"})
    assert sent.status_code == 302 and "/signed" in sent.headers["Location"]
    assert mail_to(outbox, "ines@example.org")  # the confirmation link: without an account a signature counts only then


def test_a_signed_in_persons_signing_form_carries_and_needs_its_token(open_petition, web, login_as):
    login_as("citizen")
    path = f"/petitions/{open_petition.id}"
    page = web.get(path)
    assert 'name="csrf_token"' in page.get_data(as_text=True) and page.headers["Cache-Control"] == "private, no-store"
    data = {"name": "Carla", "email": "other@example.org", "area": "Old Town", "consent": "y"}
    refused = web.client.post(f"{path}/sign", data=data, headers={"Origin": "http://localhost"})
    assert refused.status_code == 400
    assert web.post(f"{path}/sign", data, form_url=path).status_code == 302


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


@PAGE_CACHE
def test_signed_in_readers_share_the_figures_rendered_for_the_first(stack, open_petition, outbox, web, login_as):
    if stack != "services":
        pytest.skip("the shared parts are keyed by the page cache's generations, in Redis")
    sign_and_confirm(open_petition, 3, outbox)
    login_as("citizen")
    path = f"/petitions/{open_petition.id}"
    first = web.get(path).get_data(as_text=True)
    assert 'id="areas-title"' in first
    with counting_queries() as queries:
        second = web.get(path).get_data(as_text=True)
    assert not [s for s in queries.statements if "petition_area_tally" in s], queries
    figures = first[
        first.index('<section aria-labelledby="areas-title">') : first.index('aria-labelledby="timeline-title"')
    ]
    assert figures in second
