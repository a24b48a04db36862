"""Pabulib files in and out: a file becomes a finished budget with its projects and anonymous
ballots (all or nothing), and a budget's part is written back as one, with its results."""

from datetime import timedelta

from sqlalchemy import insert, select

from civic.audit.services import record_staff_action
from civic.budgets.models import CURRENCY_LENGTH, MAX_AMOUNT, TITLE_MAX_LENGTH, BallotKind, Budget, Feasibility, Project
from civic.budgets.models import Ballot as BallotRow
from civic.budgets.models import BallotChoice as ChoiceRow
from civic.budgets.pabulib import (
    PabulibError,
    PabulibFile,
    PabulibProject,
    PabulibVote,
    budget_of,
    parse_pabulib,
    rule_of,
    write_pabulib,
)
from civic.budgets.services.ballots import all_sections
from civic.budgets.services.projects import projects_of
from civic.budgets.services.results import compute_budget_results
from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.db import roll_back
from civic.extensions import db

ID_MAX_LENGTH = 64
BATCH = 5_000


def _ballot_kind(meta):
    kind = (meta.get("vote_type") or "approval").strip().lower()
    if kind == "approval":
        return BallotKind.APPROVAL.value
    if kind == "cumulative":
        return BallotKind.CUMULATIVE.value
    raise PabulibError(None, f"the vote_type {kind!r} is not one Civic counts (approval or cumulative)")


def _title(meta):
    if meta.get("description"):
        return meta["description"]
    named = " ".join(meta[key] for key in ("unit", "subunit", "instance") if meta.get(key))
    return named or "Imported participatory budget"


def _check(parsed):
    amount = budget_of(parsed.meta)
    if not 0 < amount <= MAX_AMOUNT:
        raise PabulibError(None, "the budget must be more than 0 and less than a thousand billion")
    for project in parsed.projects:
        if len(project.project_id) > ID_MAX_LENGTH:
            raise PabulibError(None, f"the project id {project.project_id[:20]}... is longer than {ID_MAX_LENGTH}")
        if project.cost > MAX_AMOUNT:
            raise PabulibError(None, f"the cost of project {project.project_id} is too large")
    for vote in parsed.votes:
        if len(vote.voter_id) > ID_MAX_LENGTH:
            raise PabulibError(None, f"the voter id {vote.voter_id[:20]}... is longer than {ID_MAX_LENGTH}")
    return amount


def import_pabulib(text, *, actor=None):
    """A finished budget from a Pabulib file: its projects (all feasible, in the file's order) and
    its voters' ballots, counted under the file's rule. PabulibError (with the line when one line
    is wrong) and nothing written, or the new budget."""
    parsed = parse_pabulib(text)
    rule, kind, amount = rule_of(parsed.meta), _ballot_kind(parsed.meta), _check(parsed)
    points = None
    if kind == BallotKind.CUMULATIVE.value:
        points = max([sum(vote.points or []) for vote in parsed.votes] or [1]) or 1
        if parsed.meta.get("max_sum_points", "").isdigit():
            points = max(points, int(parsed.meta["max_sum_points"]))
    now = clock.now()
    try:
        budget = Budget(
            title=_title(parsed.meta)[:TITLE_MAX_LENGTH],
            amount=amount,
            currency=(parsed.meta.get("currency") or "EUR").strip().upper()[:CURRENCY_LENGTH] or "EUR",
            rule=rule,
            ballot_kind=kind,
            points=points,
            # Finished when imported: the results show at once.
            voting_starts_at=now - timedelta(seconds=1),
            voting_ends_at=now,
            created_by_id=getattr(actor, "id", None),
            pabulib_meta=dict(parsed.meta),
        )
        db.session.add(budget)
        db.session.flush()
        ids = _add_projects(budget, parsed.projects, now)
        _add_ballots(budget, parsed.votes, ids, now)
        record_staff_action(
            actor, "budget.import_pabulib", "budget", budget.id, budget.title, details={"ballots": len(parsed.votes)}
        )
        _commit()
    except Exception:
        roll_back()
        raise
    return budget


def _add_projects(budget, projects, now):
    rows = [
        {
            "budget_id": budget.id,
            "title": (project.name or f"Project {project.project_id}")[:TITLE_MAX_LENGTH],
            "description_markdown": "",
            "description_html": "",
            "cost": project.cost,
            "feasibility": Feasibility.FEASIBLE.value,
            "feasibility_reason": "",
            "pabulib_id": project.project_id,
            "created_at": now,
            "updated_at": now,
        }
        for project in projects
    ]
    # One at a time, in the file's order: ids follow the order, which decides ties (tie_order).
    for row in rows:
        db.session.execute(insert(Project), [row])
    return dict(db.session.execute(select(Project.pabulib_id, Project.id).where(Project.budget_id == budget.id)).all())


def _add_ballots(budget, votes, project_ids, now):
    for start in range(0, len(votes), BATCH):
        batch = votes[start : start + BATCH]
        db.session.execute(
            insert(BallotRow),
            [
                {"budget_id": budget.id, "imported_voter": vote.voter_id, "created_at": now, "updated_at": now}
                for vote in batch
            ],
        )
        keys = [vote.voter_id for vote in batch]
        ballot_ids = dict(
            db.session.execute(
                select(BallotRow.imported_voter, BallotRow.id).where(
                    BallotRow.budget_id == budget.id, BallotRow.imported_voter.in_(keys)
                )
            ).all()
        )
        choices = [
            {"ballot_id": ballot_ids[vote.voter_id], "project_id": project_ids[project], "points": points}
            for vote in batch
            for project, points in zip(vote.vote, vote.points or [1] * len(vote.vote), strict=True)
            if points
        ]
        if choices:
            db.session.execute(insert(ChoiceRow), choices)


def export_pabulib(budget, area_name=None):
    """The budget's city-wide part (or the area named) as a Pabulib file, with each project's votes
    and, once voting has closed, whether it was selected. Voters are numbered, never named."""
    projects = [p for p in projects_of(budget) if p.on_ballot]
    sections = {(s.area.name if s.area else None): s for s in all_sections(budget, projects)}
    if area_name not in sections:
        raise PabulibError(None, f"the budget has no part {area_name or 'city-wide'!r}")
    section = sections[area_name]
    ids = {p.id for p in section.projects}
    results = compute_budget_results(budget) if budget.shows_results else None
    outcomes, order = {}, sorted(ids)
    if results is not None:
        part = next(r for r in results.sections if r.area == area_name)
        outcomes = {row.project.id: row.outcome for row in part.rows}
        # In the order the rule ranked them: read back, the file's order breaks ties the same way.
        order = [outcome.id for outcome in part.result.projects]
    rows = db.session.execute(
        select(BallotRow.id, BallotRow.imported_voter, ChoiceRow.project_id, ChoiceRow.points)
        .join(ChoiceRow, ChoiceRow.ballot_id == BallotRow.id)
        .where(BallotRow.budget_id == budget.id)
        .order_by(BallotRow.id, ChoiceRow.project_id)
    )
    ballots = {}
    for ballot_id, imported, project_id, points in rows:
        if project_id in ids:
            ballots.setdefault(ballot_id, (imported or str(ballot_id), []))[1].append((project_id, points))
    key = {p.id: p.pabulib_id or str(p.id) for p in section.projects}
    cumulative = budget.is_cumulative
    meta = dict(budget.pabulib_meta or {})
    meta.setdefault("description", budget.title)
    meta.update(
        {
            "num_projects": str(len(section.projects)),
            "num_votes": str(len(ballots)),
            "budget": str(section.amount),
            "vote_type": budget.ballot_kind,
            "rule": budget.rule,
            "currency": budget.currency,
        }
    )
    if area_name:
        meta["subunit"] = area_name
    place = {project_id: n for n, project_id in enumerate(order)}
    pab_projects = [
        PabulibProject(
            key[p.id],
            p.cost,
            name=p.public_title,
            votes=outcomes[p.id].votes if p.id in outcomes else None,
            selected=int(outcomes[p.id].funded) if p.id in outcomes else None,
        )
        for p in sorted(section.projects, key=lambda p: place[p.id])
    ]
    pab_votes = []
    for voter, chosen in ballots.values():
        chosen.sort(key=lambda choice: place[choice[0]])  # in the file's order of projects
        points = [pts for _pid, pts in chosen] if cumulative else None
        pab_votes.append(PabulibVote(voter, [key[pid] for pid, _pts in chosen], points))
    columns = ["project_id", "cost", "name"] + (["votes", "selected"] if outcomes else [])
    vote_columns = ["voter_id", "vote"] + (["points"] if cumulative else [])
    return write_pabulib(PabulibFile(meta, pab_projects, pab_votes, columns, vote_columns))
