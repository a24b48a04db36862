"""Creating and changing budgets: what officials type is checked, the phase follows the dates,
and the money and the rules stay fixed once voting has started."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.audit.models import AuditEntry
from civic.budgets.models import Budget, Phase
from civic.budgets.services import budgets
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.extensions import db
from tests.support.budgets import VOTING_CLOSES, VOTING_OPENS, budget_fields


def test_the_phase_follows_the_dates(official, frozen):
    budget = budgets.create_budget(official, budget_fields())
    for moment, phase in (
        (VOTING_OPENS - timedelta(days=61), Phase.UPCOMING),
        (VOTING_OPENS - timedelta(days=40), Phase.COLLECTING),
        (VOTING_OPENS - timedelta(days=1), Phase.REVIEW),
        (VOTING_OPENS, Phase.VOTING),
        (VOTING_CLOSES - timedelta(seconds=1), Phase.VOTING),
        (VOTING_CLOSES, Phase.RESULTS),
        (VOTING_CLOSES + timedelta(days=31), Phase.IMPLEMENTATION),
    ):
        assert budget.phase_at(moment) is phase, moment


def test_creating_a_budget_is_audited_with_its_areas(official, frozen):
    budget = budgets.create_budget(official, budget_fields(areas="North: 20,000\nSouth = 15 000\n\n"))
    assert [(a.name, a.amount) for a in budget.areas] == [("North", 20_000), ("South", 15_000)]
    assert budget.total == 135_000
    assert budget.description_html == "<p>What should the city build with <strong>this</strong> money?</p>\n"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "budget.create"))
    assert entry.target_id == budget.id and entry.actor_id == official.id


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"title": " "}, "title", "Enter a title"),
        ({"amount": "lots"}, "amount", "whole number"),
        ({"currency": "euro"}, "currency", "three-letter"),
        ({"areas": "North 2000"}, "areas", "Line 1"),
        ({"areas": "North: 1\nnorth: 2"}, "areas", "named twice"),
        ({"rule": "dictator"}, "rule", "voting rule"),
        ({"ballot_kind": "cumulative"}, "points", "points"),
        ({"ballot_kind": "cumulative", "points": "10", "rule": "equalshares"}, "rule", "approval"),
        ({"max_projects": "0"}, "max_projects", "from 1"),
        ({"amount": "0"}, "amount", "needs some money"),
        ({"dates": {"voting_ends_at": VOTING_OPENS}}, "voting_ends_at", "after the one before"),
        ({"dates": {"voting_starts_at": None}}, "voting_starts_at", "voting opens"),
    ],
)
def test_bad_budgets_are_refused_with_the_field_and_nothing_written(official, frozen, overrides, field, words):
    with pytest.raises(InvalidInput) as caught:
        budgets.create_budget(official, budget_fields(**overrides))
    assert field in caught.value.errors
    assert words in " ".join(caught.value.errors[field])
    assert db.session.scalar(select(Budget)) is None


def test_citizens_may_not_create_budgets(citizen, frozen):
    with pytest.raises(NotAllowed):
        budgets.create_budget(citizen, budget_fields())


def test_once_voting_starts_the_money_and_rule_are_fixed_but_dates_may_move(official, frozen):
    budget = budgets.create_budget(official, budget_fields())
    frozen.set(VOTING_OPENS + timedelta(days=1))
    with pytest.raises(Conflict):
        budgets.update_budget(official, budget, budget_fields(amount="200000"))
    with pytest.raises(Conflict):
        budgets.update_budget(official, budget, budget_fields(rule="equalshares"))
    later = VOTING_CLOSES + timedelta(days=7)
    budgets.update_budget(official, budget, budget_fields(dates={"voting_ends_at": later}))
    assert budget.voting_ends_at == later and budget.amount == 100_000


def test_an_area_with_projects_cannot_be_removed(official, frozen):
    from civic.budgets.services import projects
    from tests.support.budgets import project_fields

    frozen.set(VOTING_OPENS - timedelta(days=10))
    budget = budgets.create_budget(official, budget_fields(areas="North: 1000"))
    projects.add_project(official, budget, project_fields("Bench", 500, area_id=str(budget.areas[0].id)))
    with pytest.raises(InvalidInput, match="has projects"):
        budgets.update_budget(official, budget, budget_fields(areas=""))
    budgets.update_budget(official, budget, budget_fields(areas="North: 2000\nSouth: 10"))
    assert [(a.name, a.amount) for a in budget.areas] == [("North", 2000), ("South", 10)]


def test_once_the_results_are_out_voting_cannot_be_reopened(official, frozen):
    budget = budgets.create_budget(official, budget_fields())
    frozen.set(VOTING_CLOSES + timedelta(days=1))
    with pytest.raises(Conflict, match="results are out"):
        budgets.update_budget(
            official, budget, budget_fields(dates={"voting_ends_at": VOTING_CLOSES + timedelta(days=5)})
        )
    budgets.update_budget(official, budget, budget_fields(title="Riverside budget 2027 (results)"))
    assert budget.title.endswith("(results)") and budget.voting_ends_at == VOTING_CLOSES


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("12400", 12_400), ("12,400", 12_400), ("12.400", 12_400), ("12 400", 12_400), ("1\u202f200\u202f000", 1_200_000)],
)
def test_amounts_may_be_typed_with_thousands_separators(typed, amount):
    assert budgets.parse_amount(typed, field="amount") == amount


@pytest.mark.parametrize("typed", ["12400.50", "1,2", "12,40", "-5", "1e6", "12 4000", "9" * 17])
def test_an_amount_with_decimals_or_noise_is_refused_not_misread(app, typed):
    with pytest.raises(InvalidInput):
        budgets.parse_amount(typed, field="amount")
