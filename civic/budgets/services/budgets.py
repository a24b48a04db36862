"""Budgets: an official creates one with its money, areas, phase dates, voting rule and ballot
kind, and changes it; everyone reads them."""

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from civic.audit.services import record_staff_action
from civic.budgets.models import (
    AREA_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    MAX_AMOUNT,
    MAX_AREAS,
    PHASE_STARTS,
    SHOWING_RESULTS,
    TITLE_MAX_LENGTH,
    BallotKind,
    Budget,
    BudgetArea,
    Phase,
    Project,
)
from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.markdown import render_markdown
from civic.common.validation import FieldErrors, clean_text
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from civic.insights.budget_rules import RULES
from civic.permissions import ensure_can

CURRENCY = re.compile(r"[A-Z]{3}")
WHOLE_AMOUNT = re.compile(r"\d+|\d{1,3}(?:[ \u00a0\u202f.,']\d{3})+")
AREA_LINE = re.compile(r"^(?P<name>.+?)\s*[:=]\s*(?P<amount>[\d.,\s\u00a0\u202f]+)$")


@dataclass
class BudgetFields:
    title: str = ""
    description: str = ""
    amount: str = ""
    currency: str = "EUR"
    areas: str = ""  # one a line: "North: 120000"
    rule: str = "greedy"
    ballot_kind: str = BallotKind.APPROVAL.value
    max_projects: str = ""
    within_budget: bool = False
    points: str = ""
    # Phase dates, in UTC (the view converts from site time); None skips a phase.
    dates: dict = field(default_factory=dict)


def parse_amount(text, *, field, required=True, label=None):
    """A whole amount typed with or without thousands separators ("12,400", "12 400")."""
    typed = (text if isinstance(text, str) else "" if text is None else str(text)).strip()
    if not typed:
        if required:
            raise InvalidInput(label or _("Enter an amount."), field=field)
        return None
    # Separators only between groups of three digits: "12400.50" is not read as 1,240,050.
    if not WHOLE_AMOUNT.fullmatch(typed):
        raise InvalidInput(
            _("Enter a whole number, such as 12400 (“%(typed)s” is not one).", typed=typed[:40]), field=field
        )
    digits = re.sub(r"\D", "", typed)
    if len(digits) > 16 or int(digits) > MAX_AMOUNT:
        raise InvalidInput(_("That number is too large."), field=field)
    return int(digits)


def parse_areas(text):
    """The lines "Name: amount" as (name, amount) pairs, or InvalidInput naming the line."""
    areas, seen = [], set()
    for number, line in enumerate((text or "").replace("\r\n", "\n").split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        match = AREA_LINE.match(line)
        if not match:
            raise InvalidInput(
                _(
                    "Line %(line)d: write each area as its name, a colon and its amount, e.g. “North: 120000”.",
                    line=number,
                ),
                field="areas",
            )
        name = " ".join(match["name"].split())
        if len(name) > AREA_MAX_LENGTH:
            raise InvalidInput(
                _("Line %(line)d: an area's name has at most %(max)d characters.", line=number, max=AREA_MAX_LENGTH),
                field="areas",
            )
        if name.casefold() in seen:
            raise InvalidInput(
                _("Line %(line)d: the area “%(name)s” is named twice.", line=number, name=name), field="areas"
            )
        seen.add(name.casefold())
        areas.append((name, parse_amount(match["amount"], field="areas")))
    if len(areas) > MAX_AREAS:
        raise InvalidInput(_("A budget has at most %(max)d areas.", max=MAX_AREAS), field="areas")
    return areas


def areas_text(budget):
    return "\n".join(f"{area.name}: {area.amount}" for area in budget.areas)


def _optional_count(text, *, field, low, message):
    typed = (text or "").strip()
    if not typed:
        return None
    if not typed.isdigit() or not low <= int(typed) <= 1_000_000:
        raise InvalidInput(message, field=field)
    return int(typed)


def _clean(fields):
    problems = FieldErrors()
    title = problems.check(
        clean_text,
        fields.title,
        field="title",
        max_length=TITLE_MAX_LENGTH,
        required=_("Enter a title."),
        multiline=False,
    )
    description = problems.check(clean_text, fields.description, field="description", max_length=DESCRIPTION_MAX_LENGTH)
    amount = problems.check(
        parse_amount,
        fields.amount,
        field="amount",
        label=_("Enter the amount for city-wide projects (0 when all the money is in areas)."),
    )
    currency = (fields.currency or "").strip().upper()
    if not CURRENCY.fullmatch(currency):
        problems.add("currency", _("Enter the currency as its three-letter code, such as EUR."))
    areas = problems.check(parse_areas, fields.areas) or []
    if fields.rule not in RULES:
        problems.add("rule", _("Choose a voting rule from the list."))
    if fields.ballot_kind not in {kind.value for kind in BallotKind}:
        problems.add("ballot_kind", _("Choose a kind of ballot from the list."))
    cumulative = fields.ballot_kind == BallotKind.CUMULATIVE.value
    max_projects = points = None
    if cumulative:
        points = problems.check(
            _optional_count,
            fields.points,
            field="points",
            low=1,
            message=_("Enter the points each voter shares, a whole number from 1."),
        )
        if points is None and "points" not in problems:
            problems.add("points", _("A cumulative ballot needs the number of points each voter shares."))
        if fields.rule == "equalshares":
            problems.add(
                "rule",
                _("The Method of Equal Shares counts approval ballots: choose an approval ballot or another rule."),
            )
    else:
        max_projects = problems.check(
            _optional_count,
            fields.max_projects,
            field="max_projects",
            low=1,
            message=_("Enter how many projects a voter may choose, a whole number from 1, or leave it empty."),
        )
    dates = {column: fields.dates.get(column) for _phase, column in PHASE_STARTS}
    for column in ("voting_starts_at", "voting_ends_at"):
        if dates[column] is None and column not in problems:
            problems.add(column, _("Enter when voting opens and when it closes."))
    given = [(column, dates[column]) for _phase, column in PHASE_STARTS if dates[column] is not None]
    for (_earlier, first), (later, second) in zip(given, given[1:], strict=False):
        if second <= first:
            problems.add(later, _("Each phase must start after the one before it."))
            break
    if amount is not None and areas is not None and amount + sum(a for _n, a in areas) <= 0:
        problems.add("amount", _("A budget needs some money: enter an amount for city-wide projects or for the areas."))
    problems.raise_if_any()
    return {
        "title": title,
        "description_markdown": description,
        "description_html": render_markdown(description),
        "amount": amount,
        "currency": currency,
        "rule": fields.rule,
        "ballot_kind": fields.ballot_kind,
        "max_projects": max_projects,
        "within_budget": bool(fields.within_budget) and not cumulative,
        "points": points,
        **dates,
    }, areas


# What may not change once voting has started: a ballot cast must mean the same when it is counted.
FIXED_WHEN_VOTING = (
    "amount",
    "currency",
    "rule",
    "ballot_kind",
    "max_projects",
    "within_budget",
    "points",
    "voting_starts_at",
)


def create_budget(actor, fields):
    ensure_can(actor, "budget.manage")
    values, areas = _clean(fields)
    budget = Budget(created_by_id=actor.id, **values)
    budget.areas = [BudgetArea(name=name, amount=amount) for name, amount in areas]
    db.session.add(budget)
    db.session.flush()
    record_staff_action(actor, "budget.create", "budget", budget.id, budget.title)
    _commit()
    return budget


def update_budget(actor, budget, fields):
    """Change a budget. Once voting has started its money, rule, ballot and areas stay as they
    are (its dates may move: voting may be extended), and a budget never goes back to voting."""
    ensure_can(actor, "budget.manage", budget)
    values, areas = _clean(fields)
    phase = budget.phase
    if phase not in (Phase.UPCOMING, Phase.COLLECTING, Phase.REVIEW):
        changed = [name for name in FIXED_WHEN_VOTING if getattr(budget, name) != values[name]]
        if changed or areas != [(a.name, a.amount) for a in budget.areas]:
            raise Conflict(
                _(
                    "Voting has started: the money, the areas, the rule and the ballot can no longer change "
                    "(the dates and the text can)."
                )
            )
    if phase in SHOWING_RESULTS and (values["voting_starts_at"], values["voting_ends_at"]) != (
        budget.voting_starts_at,
        budget.voting_ends_at,
    ):
        raise Conflict(_("Voting has closed and its results are out: its dates can no longer change."))
    _update_areas(budget, areas)
    for name, value in values.items():
        setattr(budget, name, value)
    record_staff_action(actor, "budget.update", "budget", budget.id, budget.title)
    _commit()
    return budget


def _update_areas(budget, areas):
    wanted = dict(areas)
    for area in list(budget.areas):
        if area.name in wanted:
            area.amount = wanted.pop(area.name)
            continue
        used = db.session.scalar(select(func.count()).select_from(Project).where(Project.area_id == area.id))
        if used:
            raise InvalidInput(
                _("The area “%(name)s” has projects: move them to another area before removing it.", name=area.name),
                field="areas",
            )
        budget.areas.remove(area)
    for name, amount in areas:
        if name in wanted:
            budget.areas.append(BudgetArea(name=name, amount=amount))


def load_budget(budget_id):
    budget = db.session.get(Budget, budget_id) if isinstance(budget_id, int) else None
    if budget is None:
        raise NotFound(_("There is no such budget."))
    return budget


def get_budget(budget_id, viewer, action="budget.view"):
    budget = load_budget(budget_id)
    ensure_can(viewer, action, budget)
    return budget


def list_budgets():
    """Every budget: those voting now first, then by when voting closes, the latest first."""
    budgets = db.session.scalars(select(Budget).order_by(Budget.voting_ends_at.desc(), Budget.id.desc())).all()
    order = {Phase.VOTING: 0, Phase.COLLECTING: 1, Phase.REVIEW: 1, Phase.UPCOMING: 2}
    return sorted(budgets, key=lambda b: order.get(b.phase, 3))


def budgets_voting_now(limit):
    """Budgets taking ballots now, the soonest to close first (the home page's invitation)."""
    now = clock.now()
    return db.session.scalars(
        select(Budget)
        .where(Budget.voting_starts_at <= now, Budget.voting_ends_at > now)
        .order_by(Budget.voting_ends_at, Budget.id)
        .limit(limit)
    ).all()


def phase_dates(budget):
    """(phase, start) for each phase the budget has, in order, for its timeline."""
    return [(phase, getattr(budget, column)) for phase, column in PHASE_STARTS if getattr(budget, column) is not None]
