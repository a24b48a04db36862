"""Projects of a budget: officials enter them (or take them from accepted proposals), change them
and judge whether each can be done; only feasible projects reach the ballot."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from civic.audit.services import record_staff_action
from civic.budgets.models import DESCRIPTION_MAX_LENGTH, REASON_MAX_LENGTH, TITLE_MAX_LENGTH, Feasibility, Project
from civic.budgets.services.budgets import parse_amount
from civic.common import caching
from civic.common.db import commit as _commit
from civic.common.markdown import render_markdown
from civic.common.models import utcnow
from civic.common.validation import FieldErrors, clean_text
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from civic.permissions import allowed_but_for_state, ensure_can
from civic.proposals.models import ProposalState
from civic.proposals.services.queries import load_proposal


@dataclass
class ProjectFields:
    title: str = ""
    description: str = ""
    cost: str = ""
    area_id: str = ""  # "" for a city-wide project
    proposal_id: str = ""


# Which proposals may become projects: those the council accepted (or has since carried out).
FROM_PROPOSALS = frozenset({ProposalState.ACCEPTED, ProposalState.IMPLEMENTED})


def _proposal(typed, problems):
    """The accepted proposal a project comes from (its number typed), or None."""
    typed = (typed or "").strip().lstrip("#")
    if not typed:
        return None
    if not typed.isdigit() or int(typed) > 2**31 - 1:
        problems.add("proposal_id", _("Enter the proposal's number, or leave it empty."))
        return None
    try:
        proposal = load_proposal(int(typed))
    except NotFound:
        problems.add("proposal_id", _("There is no proposal number %(number)s.", number=typed))
        return None
    if proposal.current_state not in FROM_PROPOSALS:
        problems.add(
            "proposal_id",
            _("Proposal %(number)s has not been accepted: only accepted proposals become projects.", number=typed),
        )
        return None
    return proposal


def _clean(budget, fields):
    """The project's values; from an accepted proposal, an empty title or description is the proposal's."""
    problems = FieldErrors()
    proposal = _proposal(fields.proposal_id, problems)
    typed_title, typed_description = fields.title, fields.description
    if proposal is not None:
        typed_title = (typed_title or "").strip() or proposal.title
        typed_description = (typed_description or "").strip() or proposal.summary
    title = problems.check(
        clean_text,
        typed_title,
        field="title",
        max_length=TITLE_MAX_LENGTH,
        required=_("Enter a title."),
        multiline=False,
    )
    description = problems.check(clean_text, typed_description, field="description", max_length=DESCRIPTION_MAX_LENGTH)
    cost = problems.check(parse_amount, fields.cost, field="cost", label=_("Enter what the project costs."))
    if cost is not None and cost <= 0:
        problems.add("cost", _("A project costs more than nothing: enter its cost."))
    area_id = None
    if fields.area_id:
        area = next((a for a in budget.areas if str(a.id) == str(fields.area_id)), None)
        if area is None:
            problems.add("area_id", _("Choose an area from the list."))
        else:
            area_id = area.id
    problems.raise_if_any()
    return {
        "title": title,
        "description_markdown": description,
        "description_html": render_markdown(description),
        "cost": cost,
        "area_id": area_id,
        "proposal_id": proposal.id if proposal else None,
    }


def _ensure_may_edit(actor, budget):
    """Officials change projects until voting starts; after that they are told why not (409)."""
    if allowed_but_for_state(actor, "budget.edit_projects", budget):
        raise Conflict(_("Voting has started: the projects on the ballot can no longer change."))
    ensure_can(actor, "budget.edit_projects", budget)


def add_project(actor, budget, fields):
    _ensure_may_edit(actor, budget)
    project = Project(budget_id=budget.id, **_clean(budget, fields))
    db.session.add(project)
    db.session.flush()
    record_staff_action(actor, "budget.add_project", "budget_project", project.id, project.title)
    _commit()
    return project


def update_project(actor, project, fields):
    _ensure_may_edit(actor, project.budget)
    for name, value in _clean(project.budget, fields).items():
        setattr(project, name, value)
    record_staff_action(actor, "budget.update_project", "budget_project", project.id, project.title)
    _commit()
    return project


def assess_feasibility(actor, project, feasibility, reason):
    """Feasible projects go on the ballot; a project found not feasible says why, publicly."""
    _ensure_may_edit(actor, project.budget)
    if feasibility not in {f.value for f in Feasibility}:
        raise InvalidInput(_("Choose whether the project can be done."), field="feasibility")
    reason = clean_text(reason, field="reason", max_length=REASON_MAX_LENGTH)
    if feasibility == Feasibility.NOT_FEASIBLE.value and not reason:
        raise InvalidInput(_("Say why the project cannot be done: the reason is shown to everyone."), field="reason")
    project.feasibility = feasibility
    project.feasibility_reason = reason if feasibility == Feasibility.NOT_FEASIBLE.value else ""
    record_staff_action(
        actor,
        "budget.assess_project",
        "budget_project",
        project.id,
        project.title,
        reason=reason,
        details={"feasibility": feasibility},
    )
    _commit()
    return project


def get_project(budget, project_id):
    project = db.session.get(Project, project_id) if isinstance(project_id, int) else None
    if project is None or project.budget_id != budget.id:
        raise NotFound(_("There is no such project in this budget."))
    return project


def projects_of(budget, *, on_ballot_only=False):
    """The budget's projects, city-wide ones first, then by area and title."""
    query = select(Project).where(Project.budget_id == budget.id).options(selectinload(Project.area))
    if on_ballot_only:
        query = query.where(Project.feasibility == Feasibility.FEASIBLE.value)
    projects = db.session.scalars(query).all()
    names = {area.id: area.name for area in budget.areas}
    return sorted(projects, key=lambda p: (p.area_id is not None, names.get(p.area_id, ""), p.title.casefold(), p.id))


# --- hidden pending review (civic.moderation.kinds) ---------------------------------------------


def hide_project_in_transaction(actor, project, reason):
    """Hide a project's text in the caller's transaction (the caller checked the permission and commits,
    then calls announce_project_hidden): the public reads `Project.public_title` and the reason, not its
    title or description; it keeps its place in the ballot and the results. Audited as
    `budget_project.hide` by `actor` (None: readers' reports hid it pending review). False if hidden."""
    if project.is_hidden:
        return False
    project.hidden_at, project.hidden_reason = utcnow(), reason
    record_staff_action(actor, "budget_project.hide", "budget_project", project.id, project.title, reason)
    return True


def show_project_again(project):
    """Undo a hiding after review (the caller commits and audits the decision). False if not hidden."""
    if not project.is_hidden:
        return False
    project.hidden_at, project.hidden_reason = None, ""
    return True


def announce_project_hidden(project):
    """After the commit: the budget's pages render afresh (budgets have no live page)."""
    caching.bump("budget", project.budget_id)
