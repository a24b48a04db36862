"""Proposal pages and the Redis page cache: supports may lag (the live tally corrects them), a
change of state does not."""

import pytest

from civic.proposals.services import answers, lifecycle, supporting

PAGE_CACHE = pytest.mark.app_config(CIVIC_PAGE_CACHE=True)


def test_a_proposals_page_is_shared_by_visitors(open_proposal, client):
    page = client.get(f"/proposals/{open_proposal.id}")
    assert 'name="csrf_token"' not in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "public, max-age=10" and "Set-Cookie" not in page.headers


@PAGE_CACHE
def test_supports_are_quiet_and_every_move_renders_the_pages_afresh(
    stack, open_proposal, client, make_user, official, author, frozen
):
    if stack != "services":
        pytest.skip("the page cache lives in Redis")
    path = f"/proposals/{open_proposal.id}"
    first = client.get(path)
    assert first.headers["X-Civic-Page-Cache"] == "miss"
    supporting.support_proposal(make_user("one@example.org"), open_proposal)
    stale = client.get(path)
    assert stale.headers["X-Civic-Page-Cache"] == "hit"
    answers.answer_proposal(official, open_proposal, "planned", "It is in next year's plan.")
    fresh = client.get(path)
    assert fresh.headers["X-Civic-Page-Cache"] == "miss" and "next year" in fresh.get_data(as_text=True)
    other = lifecycle.create_proposal(author, lifecycle.ProposalFields(title="Benches by the river", summary="Rest."))
    client.get(f"/proposals/{other.id}")
    lifecycle.withdraw_proposal(author, other)
    assert client.get(f"/proposals/{other.id}").headers["X-Civic-Page-Cache"] == "miss"
    listed = client.get("/proposals")
    assert listed.headers["X-Civic-Page-Cache"] == "miss"
    frozen.advance(days=100)
    lifecycle.create_proposal(author, lifecycle.ProposalFields(title="A fountain", summary="Water."))
    assert client.get("/proposals").headers["X-Civic-Page-Cache"] == "miss"
    assert client.get("/proposals").headers["X-Civic-Page-Cache"] == "hit"
    frozen.advance(days=100)
    lifecycle.move_due_proposals()
    assert client.get("/proposals").headers["X-Civic-Page-Cache"] == "miss"  # the fountain expired
