"""Budget test helpers: the moment voting opens in tests, budget and project details, and a
budget with projects on its ballot."""

from datetime import datetime, timedelta

from civic.budgets.services import budgets, projects
from tests.support.clock import UTC

VOTING_OPENS = datetime(2027, 5, 1, 9, 0, tzinfo=UTC)  # the frozen clock's start in tests/budgets
VOTING_CLOSES = VOTING_OPENS + timedelta(days=14)


def budget_fields(**overrides):
    dates = {
        "collecting_starts_at": VOTING_OPENS - timedelta(days=60),
        "review_starts_at": VOTING_OPENS - timedelta(days=30),
        "voting_starts_at": VOTING_OPENS,
        "voting_ends_at": VOTING_CLOSES,
        "implementation_starts_at": VOTING_CLOSES + timedelta(days=30),
    }
    dates.update(overrides.pop("dates", {}))
    data = dict(
        title="Riverside budget 2027",
        description="What should the city build with **this** money?",
        amount="100000",
        currency="EUR",
        areas="",
        rule="greedy",
        ballot_kind="approval",
        max_projects="",
        within_budget=False,
        points="",
        dates=dates,
    )
    data.update(overrides)
    return budgets.BudgetFields(**data)


def project_fields(title, cost, **overrides):
    data = dict(title=title, description=f"About {title}.", cost=str(cost), area_id="", proposal_id="")
    data.update(overrides)
    return projects.ProjectFields(**data)


def budget_with_projects(official, frozen, costs, *, feasible=True, **fields):
    """A budget (from `budget_fields(**fields)`) whose projects, named P1, P2..., cost `costs`
    (a list, or {area name: list} with None for city-wide); all feasible unless told. The clock
    is left where voting opens."""
    frozen.set(VOTING_OPENS - timedelta(days=10))
    budget = budgets.create_budget(official, budget_fields(**fields))
    by_area = costs if isinstance(costs, dict) else {None: costs}
    number = 0
    made = []
    for area_name, area_costs in by_area.items():
        area_id = next((str(a.id) for a in budget.areas if a.name == area_name), "")
        for cost in area_costs:
            number += 1
            project = projects.add_project(official, budget, project_fields(f"P{number}", cost, area_id=area_id))
            if feasible:
                projects.assess_feasibility(official, project, "feasible", "")
            made.append(project)
    frozen.set(VOTING_OPENS)
    return budget, made
