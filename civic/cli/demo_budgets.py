"""The demo's participatory budgets: one open for voting, with ballots from the demo residents, and
one finished, with its results."""

import random
from datetime import timedelta

from sqlalchemy import func, insert, select

from civic.accounts.models import User
from civic.budgets.models import Ballot, BallotChoice, Budget
from civic.budgets.services import budgets, projects
from civic.common import clock
from civic.extensions import db

OPEN_PROJECTS = [
    # (title, cost, area or None, description, popularity)
    ("Shade sails over the market square", 48_000, None, "Sails over the square from May to September.", 0.55),
    (
        "A lending library of tools",
        22_000,
        None,
        "Drills, ladders and garden tools to borrow with a library card.",
        0.4,
    ),
    ("Night buses on Fridays and Saturdays", 95_000, None, "Two lines until 3 a.m., for a one-year trial.", 0.35),
    ("Drinking fountains in every park", 30_000, None, "Twelve fountains, with a low spout for dogs.", 0.5),
    (
        "Safe crossing at the North school",
        18_000,
        "North",
        "A raised crossing and a lollipop person at school times.",
        0.6,
    ),
    ("Community garden on Elm Street", 25_000, "North", "Raised beds and a water tap on the empty plot.", 0.45),
    ("Skate park repairs", 35_000, "South", "New ramps and lighting at the riverside skate park.", 0.4),
    ("Benches along the river walk", 12_000, "South", "Twenty benches, one every 150 metres.", 0.55),
]
NOT_FEASIBLE = ("A cable car to the castle", 900_000, None, "It would cost more than the whole budget.")

FINISHED_PROJECTS = [
    ("Trees on Calle Mayor", 40_000, "Forty trees with watering for three years.", 0.6),
    ("New playground at the river park", 55_000, "Equipment for children from 2 to 12.", 0.5),
    ("Public toilets at the bus station", 30_000, "Open from 6 a.m. to midnight.", 0.35),
    ("Bike parking at the library", 8_000, "Forty covered stands.", 0.45),
    ("Murals on the underpass", 12_000, "Painted with local schools.", 0.25),
    ("Wi-Fi in the community centre", 6_000, "Free access during opening hours.", 0.2),
]


def seed_budgets(official):
    """Skipped when the database already has budgets."""
    if db.session.scalar(select(func.count()).select_from(Budget)):
        return
    residents = db.session.scalars(
        select(User.id).where(User.email_normalized.like("resident%@demo.example.org")).order_by(User.id)
    ).all()
    now = clock.now().replace(second=0, microsecond=0)
    _open_budget(official, residents, now)
    _finished_budget(official, residents, now)


def _dates(voting_starts_at, voting_ends_at):
    return {
        "collecting_starts_at": voting_starts_at - timedelta(days=60),
        "review_starts_at": voting_starts_at - timedelta(days=20),
        "voting_starts_at": voting_starts_at,
        "voting_ends_at": voting_ends_at,
        "implementation_starts_at": voting_ends_at + timedelta(days=30),
    }


def _budget_with_projects(official, fields, rows, not_feasible=None):
    """Created with voting still to come (projects can be added only until then); the caller then
    moves the dates to where the demo needs them."""
    budget = budgets.create_budget(official, fields)
    areas = {area.name: str(area.id) for area in budget.areas}
    made = []
    for title, cost, area, description, popularity in rows:
        fields = projects.ProjectFields(
            title=title, description=description, cost=str(cost), area_id=areas.get(area, "")
        )
        project = projects.add_project(official, budget, fields)
        projects.assess_feasibility(official, project, "feasible", "")
        made.append((project, popularity))
    if not_feasible:
        title, cost, area, description = not_feasible
        fields = projects.ProjectFields(
            title=title, description=description, cost=str(cost), area_id=areas.get(area, "")
        )
        project = projects.add_project(official, budget, fields)
        projects.assess_feasibility(official, project, "not_feasible", "It costs more than the whole budget.")
    return budget, made


def _cast(budget, residents, made, rng, share, now, area_of=None):
    """Ballots from a share of the residents: each project chosen with its popularity."""
    ballots, choices = [], []
    for voter_id in residents:
        if rng.random() > share:
            continue
        area = area_of(voter_id) if area_of else None
        chosen = [
            project.id
            for project, popularity in made
            if (project.area_id is None or project.area_id == area) and rng.random() < popularity
        ]
        chosen = chosen[: budget.max_projects] if budget.max_projects else chosen
        if chosen:
            ballots.append((voter_id, area, chosen))
    for voter_id, area, _chosen in ballots:
        db.session.add(Ballot(budget_id=budget.id, voter_id=voter_id, area_id=area, created_at=now, updated_at=now))
    db.session.flush()
    ids = dict(db.session.execute(select(Ballot.voter_id, Ballot.id).where(Ballot.budget_id == budget.id)).all())
    for voter_id, _area, chosen in ballots:
        choices.extend({"ballot_id": ids[voter_id], "project_id": pid, "points": 1} for pid in chosen)
    if choices:
        db.session.execute(insert(BallotChoice), choices)
    db.session.commit()


def _open_budget(official, residents, now):
    later = now + timedelta(days=30)
    fields = budgets.BudgetFields(
        title="Neighbourhood budget 2027",
        description=(
            "**300,000 EUR** for projects residents proposed. Choose city-wide projects and projects "
            "in your own area; the chosen projects must fit in the money of each part."
        ),
        amount="200000",
        currency="EUR",
        areas="North: 50000\nSouth: 50000",
        rule="equalshares",
        ballot_kind="approval",
        max_projects="",
        within_budget=True,
        points="",
        dates=_dates(later, later + timedelta(days=14)),
    )
    budget, made = _budget_with_projects(official, fields, OPEN_PROJECTS, NOT_FEASIBLE)
    for column, moment in _dates(now - timedelta(days=3), now + timedelta(days=11)).items():
        setattr(budget, column, moment)  # voting opened three days ago
    db.session.commit()
    areas = [area.id for area in budget.areas]
    rng = random.Random(13)
    _cast(budget, residents, made, rng, 0.4, now - timedelta(days=1), area_of=lambda voter: areas[voter % len(areas)])


def _finished_budget(official, residents, now):
    later = now + timedelta(days=30)
    fields = budgets.BudgetFields(
        title="Green city budget 2026",
        description="**100,000 EUR** for greener streets, decided by residents' votes: most votes first.",
        amount="100000",
        currency="EUR",
        areas="",
        rule="greedy",
        ballot_kind="approval",
        max_projects="3",
        within_budget=False,
        points="",
        dates=_dates(later, later + timedelta(days=14)),
    )
    rows = [(title, cost, None, description, popularity) for title, cost, description, popularity in FINISHED_PROJECTS]
    budget, made = _budget_with_projects(official, fields, rows)
    for column, moment in _dates(now - timedelta(days=60), now - timedelta(days=46)).items():
        setattr(budget, column, moment)  # voting closed six weeks ago: the results are out
    db.session.commit()
    _cast(budget, residents, made, random.Random(26), 0.7, now - timedelta(days=50))
