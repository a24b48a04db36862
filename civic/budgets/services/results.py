"""Results: the winners of each part of a budget under its rule, computed from the stored ballots
by the pure rules in civic.insights.budget_rules, with the reason each project was or was not
funded, and the same figures as open data (JSON and CSV)."""

import threading
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from civic.budgets.models import Ballot, BallotChoice
from civic.budgets.services.ballots import all_sections
from civic.budgets.services.projects import projects_of
from civic.common.i18n import format_moment
from civic.common.templating import number
from civic.errors import Conflict
from civic.extensions import db
from civic.insights import budget_rules
from civic.permissions import ensure_can

_kept = {}  # (budget id, what the ballots are now) -> results: ballots cannot change once voting closed
_kept_lock = threading.Lock()
KEEP_AT_MOST = 32


@dataclass(frozen=True)
class ProjectSnapshot:
    """What the results show of a project (plain values: results are kept between requests)."""

    id: int
    title: str
    area: str | None
    pabulib_id: str | None
    cost: int
    feasibility: str
    feasibility_reason: str

    @classmethod
    def of(cls, project):
        area = project.area.name if project.area else None
        return cls(
            project.id,
            project.public_title,
            area,
            project.pabulib_id,
            project.cost,
            project.feasibility,
            project.feasibility_reason,
        )


@dataclass(frozen=True)
class ProjectRow:
    project: ProjectSnapshot
    outcome: budget_rules.ProjectOutcome


@dataclass(frozen=True)
class SectionResult:
    area: str | None  # None: the city-wide projects
    result: budget_rules.BudgetResult
    rows: tuple  # ProjectRow, funded first, in the order the rule looked at them

    @property
    def chart_rows(self):
        return [(row.project.title, row.outcome.votes) for row in self.rows]

    @property
    def funded_rows(self):
        return [row for row in self.rows if row.outcome.funded]


@dataclass(frozen=True)
class BudgetResults:
    sections: tuple
    ballots: int
    not_on_ballot: tuple  # projects that were not feasible (or not assessed)

    @property
    def rows(self):
        return [row for section in self.sections for row in section.rows]


def stored_ballots(budget):
    """Every ballot of the budget as {project id: points}, read in one query."""
    ballots = {}
    rows = db.session.execute(
        select(BallotChoice.ballot_id, BallotChoice.project_id, BallotChoice.points)
        .join(Ballot, Ballot.id == BallotChoice.ballot_id)
        .where(Ballot.budget_id == budget.id)
    )
    for ballot_id, project_id, points in rows:
        ballots.setdefault(ballot_id, {})[project_id] = points
    return list(ballots.values())


def compute_budget_results(budget):
    """The results from the stored ballots, whatever the phase (the CLI and tests use it; the
    page asks `budget_results`, which checks that voting has closed)."""
    projects = projects_of(budget)
    on_ballot = [p for p in projects if p.on_ballot]
    ballots = stored_ballots(budget)
    sections = []
    for section in all_sections(budget, on_ballot):
        ids = {p.id for p in section.projects}
        section_ballots = [
            b for b in ({pid: pts for pid, pts in ballot.items() if pid in ids} for ballot in ballots) if b
        ]
        result = budget_rules.compute_result(
            budget.rule,
            section.amount,
            [budget_rules.Project(id=p.id, cost=p.cost) for p in section.projects],
            section_ballots,
            # An imported budget breaks ties as its city did: by the file's order of projects.
            tie_order=sorted(ids) if budget.pabulib_meta else None,
        )
        by_id = {p.id: ProjectSnapshot.of(p) for p in section.projects}
        outcomes = sorted(result.projects, key=lambda o: not o.funded)
        area = section.area.name if section.area else None
        sections.append(SectionResult(area, result, tuple(ProjectRow(by_id[o.id], o) for o in outcomes)))
    return BudgetResults(
        tuple(sections), len(ballots), tuple(ProjectSnapshot.of(p) for p in projects if not p.on_ballot)
    )


def _version(budget):
    return db.session.execute(
        select(func.count(BallotChoice.ballot_id), func.max(Ballot.updated_at))
        .select_from(Ballot)
        .outerjoin(BallotChoice, BallotChoice.ballot_id == Ballot.id)
        .where(Ballot.budget_id == budget.id)
    ).one()


def budget_results(viewer, budget):
    """The results for the results page and its downloads, once voting has closed; worked out
    once per process (Equal Shares over tens of thousands of ballots takes seconds)."""
    if not budget.shows_results:
        raise Conflict(
            _("The results are shown once voting closes, on %(date)s.", date=format_moment(budget.voting_ends_at))
        )
    ensure_can(viewer, "budget.results", budget)
    key = (budget.id, budget.rule, budget.updated_at, *_version(budget))
    with _kept_lock:
        found = _kept.get(key)
    if found is not None:
        return found
    results = compute_budget_results(budget)
    with _kept_lock:
        if len(_kept) >= KEEP_AT_MOST:
            _kept.pop(next(iter(_kept)))
        _kept[key] = results
    return results


def reason_text(outcome, currency):
    """Why a project was or was not funded, in a sentence."""
    money = lambda value: f"{number(value)} {currency}"  # noqa: E731
    if outcome.reason == "funded":
        if outcome.payment_per_supporter is not None:
            return _(
                "Funded: its supporters paid for it from their equal shares, each at most %(payment)s.",
                payment=money(round(outcome.payment_per_supporter, 2)),
            )
        if outcome.left_before is None:
            return _("Funded.")
        return _("Funded: it fit in the %(left)s left.", left=money(outcome.left_before))
    if outcome.reason == "funded_in_completion":
        return _("Funded when the money left over was shared out by votes.")
    if outcome.reason == "did_not_fit":
        if outcome.left_before is None:
            return _("Not funded: it did not fit in the money left.")
        return _("Not funded: it did not fit in the %(left)s left.", left=money(outcome.left_before))
    if outcome.reason == "stopped_at_first_misfit":
        return _("Not funded: under this rule counting stops at the first project that does not fit.")
    if outcome.reason == "supporters_could_not_pay":
        if outcome.supporters_held is not None:
            return _(
                "Not funded: its supporters' equal shares held only %(held)s of its %(cost)s.",
                held=money(round(outcome.supporters_held, 2)),
                cost=money(outcome.cost),
            )
        return _("Not funded: its supporters' equal shares of the budget could not pay for it.")
    if outcome.reason == "no_votes":
        return _("Not funded: nobody voted for it.")
    return outcome.reason


def results_data(budget, results):
    """The open data of the results (`/budgets/<id>/results.json`)."""
    return {
        "id": budget.id,
        "title": budget.title,
        "rule": budget.rule,
        "currency": budget.currency,
        "ballots": results.ballots,
        "parts": [
            {
                "area": section.area,
                "budget": section.result.budget,
                "spent": section.result.spent,
                "left": section.result.left,
            }
            for section in results.sections
        ],
        "projects": [
            {
                "id": row.project.id,
                "pabulib_id": row.project.pabulib_id,
                "title": row.project.title,
                "area": row.project.area,
                "cost": row.outcome.cost,
                "votes": row.outcome.votes,
                "funded": row.outcome.funded,
                "reason": row.outcome.reason,
            }
            for row in results.rows
        ],
    }


def results_csv(budget, results):
    header = ["project_id", "pabulib_id", "title", "area", "cost", "votes", "funded", "reason"]
    rows = (
        [
            row.project.id,
            row.project.pabulib_id or "",
            row.project.title,
            row.project.area or "",
            row.outcome.cost,
            row.outcome.votes,
            "yes" if row.outcome.funded else "no",
            reason_text(row.outcome, budget.currency),
        ]
        for row in results.rows
    )
    return header, rows
