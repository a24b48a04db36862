"""Ballots: a verified account casts one ballot per budget while voting is open, and may change it
until voting closes; the ballot is the set of chosen projects (with points), checked against the
ballot's limits (K projects, the money, P points) in each part of the ballot before anything is
written, and kept unique however many tabs send it at once."""

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from civic.budgets.models import Ballot, BallotChoice, BudgetArea
from civic.budgets.services.projects import projects_of
from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.i18n import format_moment
from civic.common.ratelimit import seconds_until_allowed
from civic.errors import Conflict, InvalidInput, NotAllowed, ParticipationClosed, RateLimited
from civic.extensions import db
from civic.permissions import can, ensure_can
from civic.realtime import publish_tally

MAX_POINTS_PER_PROJECT = 1_000_000


@dataclass
class Section:
    """A part of the ballot with its own money: the city-wide projects, or one area's."""

    area: BudgetArea | None
    amount: int
    projects: list = field(default_factory=list)

    @property
    def key(self):
        return "city" if self.area is None else f"area-{self.area.id}"


@dataclass
class SectionTotal:
    section: Section
    chosen: list  # (project, points)
    cost: int
    points: int

    @property
    def left(self):
        return self.section.amount - self.cost

    @property
    def count(self):
        return len(self.chosen)


def all_sections(budget, projects):
    """City-wide first (when it has money or projects), then each area, with their projects."""
    sections = []
    city = [p for p in projects if p.area_id is None]
    if budget.amount or city:
        sections.append(Section(None, budget.amount, city))
    for area in budget.areas:
        sections.append(Section(area, area.amount, [p for p in projects if p.area_id == area.id]))
    return sections


def ballot_sections(budget, area_id):
    """The parts of a voter's ballot: city-wide, and the one area they vote in."""
    sections = all_sections(budget, projects_of(budget, on_ballot_only=True))
    return [s for s in sections if s.area is None or s.area.id == area_id]


def chosen_area(budget, typed):
    """The area a voter chose (an id typed in a form), or None when the budget has no areas."""
    if not budget.areas:
        return None
    area = next((a for a in budget.areas if str(a.id) == str(typed or "").strip()), None)
    if area is None:
        raise InvalidInput(_("Choose the area you vote in."), field="area")
    return area


def read_choices(budget, sections, typed):
    """{project id: points} from what the form sent ({id: "1"}, or {id: "3"} points), checked
    to be projects on this ballot and whole numbers; unchosen projects (0 or empty) are left out."""
    projects = {p.id: p for s in sections for p in s.projects}
    choices = {}
    for key, value in (typed or {}).items():
        try:
            project_id = int(key)
        except (TypeError, ValueError):
            project_id = None
        if project_id not in projects:
            raise InvalidInput(_("The ballot names a project that is not on it. Reload the page and choose again."))
        text = str(value if value is not None else "").strip() or "0"
        if not text.isdigit() or int(text) > MAX_POINTS_PER_PROJECT:
            raise InvalidInput(
                _("Give “%(title)s” a whole number of points (0 for none).", title=projects[project_id].title),
                field=f"points-{project_id}",
            )
        points = int(text) if budget.is_cumulative else min(int(text), 1)
        if points:
            choices[project_id] = points
    return choices


def totals(sections, choices):
    """What the chosen projects cost and how many points they use, in each part of the ballot."""
    result = []
    for section in sections:
        chosen = [(p, choices[p.id]) for p in section.projects if p.id in choices]
        result.append(SectionTotal(section, chosen, sum(p.cost for p, _pts in chosen), sum(pts for _p, pts in chosen)))
    return result


def _section_name(section):
    return _("the city-wide part") if section.area is None else section.area.name


def ballot_problems(budget, section_totals):
    """Why this ballot cannot be cast (messages), or an empty list."""
    problems = []
    if not any(total.count for total in section_totals):
        return [_("Choose at least one project.")]
    for total in section_totals:
        name = _section_name(total.section)
        if budget.is_cumulative:
            if total.points > budget.points:
                problems.append(
                    _(
                        "You gave %(used)d points in %(name)s; you have %(points)d to share.",
                        used=total.points,
                        name=name,
                        points=budget.points,
                    )
                )
            continue
        if budget.max_projects and total.count > budget.max_projects:
            problems.append(
                _(
                    "You chose %(count)d projects in %(name)s; choose at most %(max)d.",
                    count=total.count,
                    name=name,
                    max=budget.max_projects,
                )
            )
        if budget.within_budget and total.cost > total.section.amount:
            problems.append(
                _(
                    "The projects you chose in %(name)s cost %(cost)s, more than the %(amount)s there is to spend: "
                    "leave some out.",
                    name=name,
                    cost=f"{total.cost:,}",
                    amount=f"{total.section.amount:,}",
                )
            )
    return problems


def _refuse_voting(budget):
    now = clock.now()
    if now < budget.voting_starts_at:
        return ParticipationClosed(_("Voting opens on %(date)s.", date=format_moment(budget.voting_starts_at)))
    return ParticipationClosed(_("Voting closed on %(date)s.", date=format_moment(budget.voting_ends_at)))


def check_may_vote(voter, budget):
    """Raise why this person may not vote now: voting is not open, their address is not confirmed
    (one verified account, one ballot), or they are not signed in."""
    if can(voter, "budget.vote", budget):
        return
    if getattr(voter, "is_authenticated", False):
        if not budget.takes_ballots:
            raise _refuse_voting(budget)
        if not voter.email_verified:
            raise NotAllowed(_("Confirm your email address first: each verified account has one ballot."))
    ensure_can(voter, "budget.vote", budget)


def cast_ballot(voter, budget, area_id, typed_choices):
    """Cast or change the voter's ballot. Everything is checked before anything is written; the
    ballot and its choices are replaced in one transaction, with the ballot's row locked, so that
    two tabs sending at once leave one ballot holding one of the two sets, never a mixture."""
    check_may_vote(voter, budget)
    area = chosen_area(budget, area_id)
    sections = ballot_sections(budget, area.id if area else None)
    choices = read_choices(budget, sections, typed_choices)
    problems = ballot_problems(budget, totals(sections, choices))
    if problems:
        raise InvalidInput(problems[0], errors={"": problems})
    wait = seconds_until_allowed("budget-ballot", voter.id, current_app.config["CIVIC_LIMIT_BALLOT"])
    if wait:
        raise RateLimited(
            _(
                "You have changed your ballot many times in a short time. Please try again in %(minutes)d minutes.",
                minutes=max(1, round(wait / 60)),
            ),
            retry_after=wait,
        )
    ballot_id, created = _ballot_id(voter, budget)
    now = clock.now()
    # Lock the ballot's row (PostgreSQL); SQLite writes one at a time anyway.
    db.session.execute(
        update(Ballot).where(Ballot.id == ballot_id).values(updated_at=now, area_id=area.id if area else None)
    )
    db.session.execute(delete(BallotChoice).where(BallotChoice.ballot_id == ballot_id))
    db.session.execute(
        BallotChoice.__table__.insert(),
        [{"ballot_id": ballot_id, "project_id": pid, "points": pts} for pid, pts in sorted(choices.items())],
    )
    _commit()
    if created:  # a changed ballot changes no count
        publish_tally("budget", budget.id, {"ballots": ballot_count(budget)})
    return db.session.get(Ballot, ballot_id)


def _ballot_id(voter, budget):
    """The voter's ballot's id, and whether this call created it."""
    existing = db.session.scalar(select(Ballot.id).where(Ballot.budget_id == budget.id, Ballot.voter_id == voter.id))
    if existing is not None:
        return existing, False
    try:
        with db.session.begin_nested():
            ballot = Ballot(budget_id=budget.id, voter_id=voter.id, created_at=clock.now(), updated_at=clock.now())
            db.session.add(ballot)
        return ballot.id, True
    except IntegrityError:  # the same person's other tab created it a moment ago: use that one
        existing = db.session.scalar(
            select(Ballot.id).where(Ballot.budget_id == budget.id, Ballot.voter_id == voter.id)
        )
        if existing is None:
            raise Conflict(_("Your ballot was sent twice at once. Please try again.")) from None
        return existing, False


def my_ballot(voter, budget):
    """(area id, {project id: points}) of the voter's ballot, or None."""
    if not getattr(voter, "is_authenticated", False):
        return None
    ballot = db.session.scalar(select(Ballot).where(Ballot.budget_id == budget.id, Ballot.voter_id == voter.id))
    if ballot is None:
        return None
    return ballot.area_id, {choice.project_id: choice.points for choice in ballot.choices}


def ballot_count(budget):
    return db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.budget_id == budget.id))
