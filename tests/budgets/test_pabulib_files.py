"""Pabulib files through `flask civic import-pabulib` and `export-pabulib`: an imported budget is
finished, counted under the file's rule and reproduces the file's `selected`; a malformed file
names its line and writes nothing; exporting then importing gives the same budget and winners."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from civic.budgets.models import Ballot, BallotChoice, Budget, Project
from civic.budgets.pabulib import parse_pabulib
from civic.budgets.services import ballots
from civic.extensions import db
from tests.support.budgets import VOTING_CLOSES, budget_with_projects

SMALL = """META
key;value
description;Old Town 2024
country;Poland
unit;Old Town
num_projects;4
num_votes;5
budget;100000
vote_type;approval
rule;greedy
currency;PLN
PROJECTS
project_id;cost;votes;name;selected
1;60000;3;Shade sails;1
2;50000;3;"Library; books and games";0
3;30000;2;Benches;1
4;20000;0;Fountain;0
VOTES
voter_id;age;vote
a1;30;1,2
a2;41;1,2,3
a3;25;1
a4;63;2,3
a5;19;
"""


def _import(app, text, tmp_path, name="budget.pb"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["civic", "import-pabulib", str(path)])


def test_an_imported_budget_is_finished_and_reproduces_the_files_selection(app, client, tmp_path):
    result = _import(app, SMALL, tmp_path)
    assert result.exit_code == 0, result.output
    budget_id = int(result.output.strip())
    budget = db.session.get(Budget, budget_id)
    assert (budget.title, budget.amount, budget.currency, budget.rule) == ("Old Town 2024", 100_000, "PLN", "greedy")
    assert budget.shows_results
    data = json.loads(client.get(f"/budgets/{budget_id}/results.json").get_data(as_text=True))
    by_id = {row["pabulib_id"]: row for row in data["projects"]}
    assert {key: (row["cost"], row["votes"], row["funded"]) for key, row in by_id.items()} == {
        "1": (60_000, 3, True),
        "2": (50_000, 3, False),  # a tie in votes with 1: the file's order decides, as the city's did
        "3": (30_000, 2, True),
        "4": (20_000, 0, False),
    }
    assert by_id["2"]["title"] == "Library; books and games"
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.budget_id == budget_id)) == 5
    assert db.session.scalar(select(Ballot.voter_id).where(Ballot.imported_voter == "a1")) is None
    page = client.get(f"/budgets/{budget_id}/results").get_data(as_text=True)
    assert "did not fit in the 40,000 PLN left" in page


SAMPLES = sorted((Path(__file__).resolve().parents[1] / "data" / "pabulib").glob("*.pb"))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.stem)
def test_each_sample_file_imports_with_its_own_selection(app, client, sample):
    """The files' `selected` columns were worked out by hand (tests/data/pabulib/README.md)."""
    result = app.test_cli_runner().invoke(args=["civic", "import-pabulib", str(sample)])
    assert result.exit_code == 0, result.output
    data = json.loads(client.get(f"/budgets/{int(result.output)}/results.json").get_data(as_text=True))
    funded = {row["pabulib_id"]: row["funded"] for row in data["projects"]}
    expected = {p.project_id: bool(p.selected) for p in parse_pabulib(sample.read_text(encoding="utf-8")).projects}
    assert funded == expected
    if sample.stem.startswith("equalshares"):  # the results say what the equal shares paid
        page = client.get(f"/budgets/{int(result.output)}/results").get_data(as_text=True)
        assert "each voter had an equal share of" in page and "from their equal shares, each at most" in page


def test_a_malformed_file_names_its_line_and_writes_nothing(app, tmp_path):
    for broken, line in (
        (SMALL.replace("a3;25;1\n", "a3;25;9\n"), 22),  # an unknown project in a vote
        (SMALL.replace("3;30000;2;Benches;1", "3;thirty;2;Benches;1"), 16),
        (SMALL.replace("VOTES\n", "").split("voter_id")[0], None),  # no VOTES section
    ):
        result = _import(app, broken, tmp_path)
        assert result.exit_code != 0
        assert "Nothing was imported" in result.output
        if line:
            assert f"line {line}:" in result.output, result.output
    for model in (Budget, Project, Ballot, BallotChoice):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_a_rule_civic_cannot_compute_is_refused(app, tmp_path):
    result = _import(app, SMALL.replace("rule;greedy", "rule;greedy-threshold"), tmp_path)
    assert result.exit_code != 0 and "not one Civic can compute" in result.output
    assert db.session.scalar(select(func.count()).select_from(Budget)) == 0


def _winners(budget_id, client):
    data = json.loads(client.get(f"/budgets/{budget_id}/results.json").get_data(as_text=True))
    return sorted((row["title"], row["cost"], row["votes"], row["funded"]) for row in data["projects"])


def test_export_then_import_gives_the_same_budget_and_winners(app, client, official, make_user, frozen, tmp_path):
    budget, (p1, p2, p3, p4, p5) = budget_with_projects(
        official, frozen, [40_000, 35_000, 30_000, 25_000, 20_000], rule="equalshares"
    )
    for n, chosen in enumerate([(p1, p2), (p1, p3), (p2, p3, p4), (p4, p5), (p5,), (p1, p5), (p3,)]):
        ballots.cast_ballot(make_user(f"v{n}@example.org"), budget, None, {str(p.id): "1" for p in chosen})
    frozen.set(VOTING_CLOSES + timedelta(minutes=1))
    exported = app.test_cli_runner().invoke(args=["civic", "export-pabulib", str(budget.id)])
    assert exported.exit_code == 0, exported.output
    assert "rule;equalshares" in exported.output and "selected" in exported.output
    imported = _import(app, exported.output, tmp_path)
    assert imported.exit_code == 0, imported.output
    again = db.session.get(Budget, int(imported.output.strip()))
    assert (again.title, again.amount, again.rule, again.ballot_kind) == (
        budget.title,
        100_000,
        "equalshares",
        "approval",
    )
    assert _winners(again.id, client) == _winners(budget.id, client)
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.budget_id == again.id)) == 7
    # and once more: the file written from the imported budget is the same file
    second = app.test_cli_runner().invoke(args=["civic", "export-pabulib", str(again.id)])
    assert second.exit_code == 0 and second.output == exported.output


def test_a_cumulative_file_keeps_its_points(app, client, tmp_path):
    text = (
        SMALL.replace("vote_type;approval", "vote_type;cumulative")
        .replace("voter_id;age;vote", "voter_id;age;vote;points")
        .replace("a1;30;1,2\n", "a1;30;1,2;3,2\n")
        .replace("a2;41;1,2,3\n", "a2;41;1,2,3;1,1,3\n")
        .replace("a3;25;1\n", "a3;25;1;5\n")
        .replace("a4;63;2,3\n", "a4;63;2,3;4,1\n")
        .replace("a5;19;\n", "a5;19;;\n")
    )
    result = _import(app, text, tmp_path)
    assert result.exit_code == 0, result.output
    budget_id = int(result.output.strip())
    data = json.loads(client.get(f"/budgets/{budget_id}/results.json").get_data(as_text=True))
    assert {row["pabulib_id"]: row["votes"] for row in data["projects"]} == {"1": 9, "2": 7, "3": 4, "4": 0}
    assert db.session.get(Budget, budget_id).points == 5  # the most any voter gave


def test_the_commands_run_as_flask_runs_them_without_an_app_context(app_config, tmp_path):
    """`flask civic import-pabulib` opens its own app context (the other tests run inside one)."""
    from civic import create_app

    fresh = create_app(app_config)
    path = tmp_path / "small.pb"
    path.write_text(SMALL, encoding="utf-8")
    imported = fresh.test_cli_runner().invoke(args=["civic", "import-pabulib", str(path)])
    assert imported.exit_code == 0, imported.output
    exported = fresh.test_cli_runner().invoke(args=["civic", "export-pabulib", imported.output.strip()])
    assert exported.exit_code == 0 and "Shade sails" in exported.output
    with fresh.app_context():
        assert db.session.get(Budget, int(imported.output)).title == "Old Town 2024"
        db.session.remove()
        db.engine.dispose()
