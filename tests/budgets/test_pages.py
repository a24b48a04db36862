"""Budget pages: the list and a budget for everyone, the ballot without JavaScript (the server
works out the total), results with their JSON and CSV once voting has closed, and the officials'
pages for budgets, projects and feasibility."""

import json
from datetime import timedelta

from sqlalchemy import select

from civic.budgets.models import Budget, Project
from civic.budgets.services import ballots
from civic.extensions import db
from tests.support.budgets import VOTING_CLOSES, VOTING_OPENS
from tests.support.downloads import csv_rows


def test_everyone_sees_the_list_and_the_budget_with_its_projects(client, voting):
    budget, (p1, *_rest) = voting
    page = client.get("/budgets").get_data(as_text=True)
    assert budget.title in page
    page = client.get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "P1" in page and "60,000" in page and "Voting" in page
    assert client.get("/budgets/999").status_code == 404


def test_the_ballot_needs_an_account(client, voting):
    budget, _projects = voting
    response = client.get(f"/budgets/{budget.id}/ballot")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_without_javascript_update_the_total_shows_it_and_writes_nothing(web, login_as, voting):
    budget, (p1, p2, *_rest) = voting
    voter = login_as("citizen")
    url = f"/budgets/{budget.id}/ballot"
    response = web.post(url, {"project": [str(p1.id), str(p2.id)], "action": "check"}, form_url=url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "chosen 90,000 of 100,000 EUR; 10,000 left." in page
    assert 'aria-live="polite"' in page
    assert f'value="{p1.id}" data-cost="60000" checked' in page
    assert ballots.my_ballot(voter, budget) is None


def test_casting_through_the_form_and_changing_it(web, login_as, voting):
    budget, (p1, p2, p3, _p4) = voting
    voter = login_as("citizen")
    url = f"/budgets/{budget.id}/ballot"
    response = web.post(url, {"project": [str(p1.id)], "action": "cast"}, form_url=url)
    assert response.status_code == 302
    assert ballots.my_ballot(voter, budget) == (None, {p1.id: 1})
    page = web.get(url).get_data(as_text=True)
    assert f'value="{p1.id}" data-cost="60000" checked' in page and "You have voted" in page
    web.post(url, {"project": [str(p2.id), str(p3.id)], "action": "cast"}, form_url=url)
    assert ballots.my_ballot(voter, budget) == (None, {p2.id: 1, p3.id: 1})


def test_a_refused_ballot_is_shown_again_with_the_reason_and_the_choices(web, login_as, official, frozen):
    from tests.support.budgets import budget_with_projects

    budget, (p1, p2, p3) = budget_with_projects(official, frozen, [60_000, 30_000, 25_000], within_budget=True)
    voter = login_as("citizen")
    url = f"/budgets/{budget.id}/ballot"
    response = web.post(url, {"project": [str(p1.id), str(p2.id), str(p3.id)], "action": "cast"}, form_url=url)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "more than the 100,000 there is to spend" in page
    assert "15,000 over" in page
    assert f'value="{p3.id}" data-cost="25000" checked' in page
    assert ballots.my_ballot(voter, budget) is None


def test_results_appear_once_voting_closes_with_json_and_csv(client, voting, make_user, frozen):
    budget, (p1, p2, p3, p4) = voting
    for n, chosen in enumerate([(p1, p2, p3), (p1, p3), (p1, p3), (p2, p3)]):
        voter = make_user(f"voter{n}@example.org")
        ballots.cast_ballot(voter, budget, None, {str(p.id): "1" for p in chosen})
    assert client.get(f"/budgets/{budget.id}/results").status_code == 409
    frozen.set(VOTING_CLOSES)
    page = client.get(f"/budgets/{budget.id}/results").get_data(as_text=True)
    assert "<svg" in page and "<table>" in page
    # P3 (4 votes, 25,000) then P1 (3, 60,000) fit; P2 (2 votes, 30,000) does not fit in the 15,000 left
    assert "did not fit in the 15,000 EUR left" in page and "nobody voted for it" in page
    data = json.loads(client.get(f"/budgets/{budget.id}/results.json").get_data(as_text=True))
    funded = {row["title"]: row["funded"] for row in data["projects"]}
    assert funded == {"P1": True, "P2": False, "P3": True, "P4": False}
    assert {row["title"]: row["votes"] for row in data["projects"]} == {"P1": 3, "P2": 2, "P3": 4, "P4": 0}
    assert data["parts"] == [{"area": None, "budget": 100_000, "spent": 85_000, "left": 15_000}]
    rows = csv_rows(client.get(f"/budgets/{budget.id}/results.csv").get_data(as_text=True))
    assert rows[0][:7] == ["project_id", "pabulib_id", "title", "area", "cost", "votes", "funded"]
    assert len(rows) == 5


def test_an_official_creates_a_budget_adds_a_project_and_judges_it(web, login_as, frozen):
    from datetime import timedelta

    frozen.set(VOTING_OPENS - timedelta(days=40))
    login_as("official")
    form = {
        "title": "Old Town 2027",
        "amount": "50 000",
        "currency": "eur",
        "areas": "",
        "rule": "equalshares",
        "ballot_kind": "approval",
        "max_projects": "3",
        "voting_starts_at": "2027-05-01T11:00",
        "voting_ends_at": "2027-05-15T11:00",
    }
    response = web.post("/budgets/new", form, form_url="/budgets/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    budget = db.session.scalar(select(Budget))
    assert (budget.amount, budget.currency, budget.rule, budget.max_projects) == (50_000, "EUR", "equalshares", 3)
    new_project = f"/budgets/{budget.id}/projects/new"
    response = web.post(new_project, {"title": "Benches", "cost": "abc", "area_id": ""}, form_url=new_project)
    assert response.status_code == 422 and 'value="Benches"' in response.get_data(as_text=True)
    response = web.post(new_project, {"title": "Benches", "cost": "4,500", "area_id": ""}, form_url=new_project)
    assert response.status_code == 302
    project = db.session.scalar(select(Project))
    assess = f"/budgets/{budget.id}/projects/{project.id}/feasibility"
    response = web.post(assess, {"feasibility": "not_feasible", "reason": ""}, form_url=assess)
    assert response.status_code == 422 and "Say why" in response.get_data(as_text=True)
    response = web.post(assess, {"feasibility": "not_feasible", "reason": "The square is protected."}, form_url=assess)
    assert response.status_code == 302
    page = web.get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "Projects not on the ballot" in page and "The square is protected." in page


def test_citizens_reach_no_official_page(web, login_as, voting):
    budget, (p1, *_rest) = voting
    login_as("citizen")
    for url in ("/budgets/new", f"/budgets/{budget.id}/edit", f"/budgets/{budget.id}/projects/{p1.id}/feasibility"):
        assert web.get(url).status_code == 403, url


def test_a_bad_budget_form_keeps_what_was_typed(web, login_as, frozen):
    login_as("official")
    form = {"title": "Keep me", "amount": "a lot", "currency": "EUR", "rule": "greedy", "ballot_kind": "approval"}
    response = web.post("/budgets/new", form, form_url="/budgets/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Keep me"' in page and "whole number" in page
    assert db.session.scalar(select(Budget)) is None


def test_with_areas_the_voter_first_chooses_an_area_then_sees_its_projects(web, login_as, official, frozen):
    from tests.support.budgets import budget_with_projects

    budget, (city, north, south) = budget_with_projects(
        official, frozen, {None: [50], "North": [40], "South": [30]}, areas="North: 100\nSouth: 100"
    )
    voter = login_as("citizen")
    url = f"/budgets/{budget.id}/ballot"
    page = web.get(url).get_data(as_text=True)
    assert "The area you vote in" in page and "Cast my ballot" not in page
    response = web.post(url, {"project": [str(city.id)], "action": "cast"}, form_url=url)
    assert response.status_code == 422 and "Choose the area you vote in." in response.get_data(as_text=True)
    north_area = next(a for a in budget.areas if a.name == "North")
    page = web.get(f"{url}?area={north_area.id}").get_data(as_text=True)
    assert f'value="{north.id}"' in page and f'value="{south.id}"' not in page and f'value="{city.id}"' in page
    response = web.post(
        url, {"area": str(north_area.id), "project": [str(city.id), str(north.id)], "action": "cast"}, form_url=url
    )
    assert response.status_code == 302
    assert ballots.my_ballot(voter, budget) == (north_area.id, {city.id: 1, north.id: 1})
    page = web.get(url).get_data(as_text=True)  # back in the area they voted in, with their choices
    assert f'value="{north.id}" data-cost="40" checked' in page


def test_a_cumulative_ballot_shows_the_points_given_and_refuses_too_many(web, login_as, official, frozen):
    from tests.support.budgets import budget_with_projects

    budget, (p1, p2) = budget_with_projects(official, frozen, [10, 20], ballot_kind="cumulative", points="5")
    voter = login_as("citizen")
    url = f"/budgets/{budget.id}/ballot"
    response = web.post(url, {f"points-{p1.id}": "2", f"points-{p2.id}": "1", "action": "check"}, form_url=url)
    assert "City-wide: 3 of 5 points given." in response.get_data(as_text=True)
    response = web.post(url, {f"points-{p1.id}": "4", f"points-{p2.id}": "3", "action": "cast"}, form_url=url)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "You gave 7 points in the city-wide part; you have 5 to share." in page
    assert f'id="points-{p1.id}" name="points-{p1.id}" value="4"' in page
    response = web.post(url, {f"points-{p1.id}": "abc", "action": "cast"}, form_url=url)
    assert response.status_code == 422 and "whole number of points" in response.get_data(as_text=True)
    assert ballots.my_ballot(voter, budget) is None


def test_casting_after_voting_closed_says_so_and_writes_nothing(web, login_as, voting, frozen):
    budget, (p1, *_rest) = voting
    voter = login_as("citizen")
    url = f"/budgets/{budget.id}/ballot"
    token = web.csrf_token(url)
    frozen.set(VOTING_CLOSES)
    response = web.post(url, {"project": [str(p1.id)], "action": "cast", "csrf_token": token})
    assert response.status_code == 409 and "Voting has closed" in response.get_data(as_text=True)
    assert ballots.my_ballot(voter, budget) is None


def test_once_voting_starts_an_official_is_told_why_a_project_cannot_change(web, login_as, voting):
    budget, (p1, *_rest) = voting
    login_as("official")
    url = f"/budgets/{budget.id}/projects/{p1.id}/edit"
    assert "can no longer change" in web.get(url).get_data(as_text=True)
    response = web.post(url, {"title": "P1 renamed", "cost": "1", "area_id": ""}, form_url=url)
    assert response.status_code == 422 and "can no longer change" in response.get_data(as_text=True)
    db.session.refresh(p1)
    assert p1.title == "P1"


def test_home_invites_everyone_to_vote_while_voting_is_open(client, voting, frozen):
    budget, _projects = voting
    home = client.get("/").get_data(as_text=True)
    assert "Vote on how the budget is spent" in home and f"/budgets/{budget.id}/ballot" in home
    frozen.set(VOTING_CLOSES + timedelta(hours=1))
    assert "Vote on how the budget is spent" not in client.get("/").get_data(as_text=True)
