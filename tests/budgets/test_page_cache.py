"""Budget pages and the Redis page cache: anonymous visitors share them; ballots are quiet (the
live count corrects an open page), a change to the budget or its projects renders them afresh."""

import pytest

from civic.budgets.services import ballots, budgets
from tests.support.budgets import budget_fields

PAGE_CACHE = pytest.mark.app_config(CIVIC_PAGE_CACHE=True)


def test_anonymous_budget_pages_are_public_and_signed_in_ones_private(client, web, login_as, voting):
    budget, _projects = voting
    for path in ("/budgets", f"/budgets/{budget.id}"):
        page = client.get(path)
        assert page.headers["Cache-Control"].startswith("public"), path
        assert 'name="csrf_token"' not in page.get_data(as_text=True)
    login_as("citizen")
    assert web.get(f"/budgets/{budget.id}").headers["Cache-Control"] == "private, no-store"


@PAGE_CACHE
def test_ballots_are_quiet_and_a_changed_budget_renders_afresh(stack, voting, client, make_user, official):
    if stack != "services":
        pytest.skip("the page cache lives in Redis")
    budget, (p1, *_rest) = voting
    path = f"/budgets/{budget.id}"
    first = client.get(path)
    assert first.headers["X-Civic-Page-Cache"] == "miss"
    ballots.cast_ballot(make_user("quiet@example.org"), budget, None, {str(p1.id): "1"})
    assert client.get(path).headers["X-Civic-Page-Cache"] == "hit"
    budgets.update_budget(official, budget, budget_fields(title="Riverside budget, extended"))
    fresh = client.get(path)
    assert fresh.headers["X-Civic-Page-Cache"] == "miss" and "Riverside budget, extended" in fresh.get_data(
        as_text=True
    )
    assert client.get("/budgets").get_data(as_text=True).count("Riverside budget, extended") == 1
