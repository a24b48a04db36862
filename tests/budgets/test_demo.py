"""The demo content: a budget open for voting with the residents' ballots, and a finished one whose
results page shows its winners."""

from civic.budgets.services import ballots, budgets


def test_the_demo_has_a_budget_open_for_voting_and_a_finished_one(app, client):
    result = app.test_cli_runner().invoke(args=["civic", "seed-demo"])
    assert result.exit_code == 0, result.output
    found = budgets.list_budgets()
    assert [b.title for b in found] == ["Neighbourhood budget 2027", "Green city budget 2026"]
    voting, finished = found
    assert voting.takes_ballots and finished.shows_results
    assert ballots.ballot_count(voting) > 0 and ballots.ballot_count(finished) > 0
    page = client.get(f"/budgets/{finished.id}/results")
    assert page.status_code == 200 and "Trees on Calle Mayor" in page.get_data(as_text=True)
    assert client.get(f"/budgets/{voting.id}").status_code == 200
    assert "Budgets" in client.get("/").get_data(as_text=True)
