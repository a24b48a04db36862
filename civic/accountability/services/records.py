"""Implementation records: opened on their own when a proposal is accepted (a listener on the
proposals' moves) or a budget's results are out (the periodic task), or by an official for such
an item that has none; officials change status, progress and the money spent; anyone signed in
may follow a record.

One rule ties a record to its proposal, and it lives here: a record reaching "done" marks its
proposal implemented through the proposals' own service (which tells its supporters), and a
proposal marked implemented on its own page takes its record to "done"; an answer changed from
"accepted" to something else cancels an unfinished record."""

import re

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from civic.accountability.models import (
    MAX_AMOUNT,
    STATUS_LABELS,
    ImplementationRecord,
    RecordedBudget,
    RecordFollow,
    Status,
)
from civic.audit.services import record_staff_action
from civic.budgets.models import Budget, Project
from civic.budgets.services.results import compute_budget_results
from civic.common import caching, clock
from civic.common.db import commit
from civic.common.validation import FieldErrors
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from civic.permissions import allowed_but_for_state, ensure_can
from civic.proposals.models import Proposal, ProposalState
from civic.proposals.services import answers as proposal_answers

S = Status
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


def pages_changed(record):
    """After a commit: the record's pages, and the page of what it records (which links to it)."""
    caching.bump("implementation", record.id)
    if record.proposal_id is not None:
        caching.bump("proposal", record.proposal_id)
    elif record.project is not None:
        caching.bump("budget", record.project.budget_id)


# --- opening a record ------------------------------------------------------------------------


def _record_of(**subject):
    return db.session.scalar(select(ImplementationRecord).filter_by(**subject))


def _default_currency():
    """A proposal has no budget: its money is counted in the currency of the latest budget."""
    return db.session.scalar(select(Budget.currency).order_by(Budget.id.desc()).limit(1)) or "EUR"


def open_proposal_record(proposal):
    """The record of an accepted proposal, added to the caller's transaction if it has none."""
    record = _record_of(proposal_id=proposal.id)
    if record is None:
        record = ImplementationRecord(
            proposal_id=proposal.id,
            title=proposal.title[:150],
            area=proposal.area or "",
            currency=_default_currency(),
        )
        db.session.add(record)
        db.session.flush()
    return record


def open_project_record(project):
    record = _record_of(project_id=project.id)
    if record is None:
        record = ImplementationRecord(
            project_id=project.id,
            title=project.title,
            area=project.area.name if project.area else "",
            currency=project.budget.currency,
        )
        db.session.add(record)
        db.session.flush()
    return record


def funded_project_ids(budget):
    """The projects the budget's rule funded (its results, computed from the stored ballots)."""
    if not budget.shows_results:
        return set()
    return {row.project.id for section in compute_budget_results(budget).sections for row in section.funded_rows}


def record_funded_projects(now=None):
    """The periodic task: each budget whose results are out, once, gets a record for each project
    it funded. Returns the number of records opened."""
    now = now or clock.now()
    seen = select(RecordedBudget.budget_id)
    due = db.session.scalars(select(Budget).where(Budget.voting_ends_at <= now, Budget.id.not_in(seen)))
    opened = 0
    for budget in list(due):
        if not budget.shows_results:
            continue
        for project_id in sorted(funded_project_ids(budget)):
            if _record_of(project_id=project_id) is None:
                open_project_record(db.session.get(Project, project_id))
                opened += 1
        db.session.add(RecordedBudget(budget_id=budget.id, recorded_at=now))
        commit()
        caching.bump("budget", budget.id)
    return opened


def create_record(actor, kind, subject_id):
    """An official opens the record of an accepted (or implemented) proposal or a funded project
    that has none (one from before accountability existed, say)."""
    ensure_can(actor, "accountability.create")
    if kind == "proposal":
        proposal = db.session.get(Proposal, subject_id) if isinstance(subject_id, int) else None
        if proposal is None:
            raise InvalidInput(_("Give the number of a proposal."), field="subject_id")
        if proposal.current_state not in (ProposalState.ACCEPTED, ProposalState.IMPLEMENTED):
            raise InvalidInput(_("Only an accepted proposal has an implementation record."), field="subject_id")
        existing, opener, subject = _record_of(proposal_id=proposal.id), open_proposal_record, proposal
    elif kind == "project":
        project = db.session.get(Project, subject_id) if isinstance(subject_id, int) else None
        if project is None:
            raise InvalidInput(_("Give the number of a budget project."), field="subject_id")
        if project.id not in funded_project_ids(project.budget):
            raise InvalidInput(_("Only a project its budget funded has an implementation record."), field="subject_id")
        existing, opener, subject = _record_of(project_id=project.id), open_project_record, project
    else:
        raise InvalidInput(_("Choose whether it is a proposal or a budget project."), field="kind")
    if existing is not None:
        raise Conflict(_("It has a record already: number %(id)d.", id=existing.id))
    try:
        record = opener(subject)
        if kind == "proposal" and subject.current_state is ProposalState.IMPLEMENTED:
            record.status, record.progress = S.DONE.value, 100
        record_staff_action(actor, "accountability.create", "implementation", record.id, record.title)
        commit()
    except IntegrityError:  # the periodic task (or another official) opened it a moment ago
        db.session.rollback()
        raise Conflict(_("It has a record already.")) from None
    pages_changed(record)
    return record


# --- the rule between a record and its proposal ----------------------------------------------


def follow_proposal_move(proposal, previous, target):
    """Registered with the proposals (`on_proposal_moved`): runs inside the move's transaction."""
    if target is ProposalState.ACCEPTED:
        record = open_proposal_record(proposal)
        if record.current_status is S.CANCELLED:  # accepted again
            record.status = S.PLANNED.value
        return
    record = _record_of(proposal_id=proposal.id)
    if record is None:
        return
    if target is ProposalState.IMPLEMENTED:
        record.status, record.progress = S.DONE.value, 100
    elif previous is ProposalState.ACCEPTED and record.current_status is not S.DONE:
        record.status = S.CANCELLED.value


# --- officials' changes ----------------------------------------------------------------------


def ensure_may(actor, action, record, not_now):
    if allowed_but_for_state(actor, action, record):
        raise Conflict(not_now)
    ensure_can(actor, action, record)


def _whole_number(value, field, *, low, high, message):
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            raise InvalidInput(message, field=field)
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(message, field=field)
    return value


def change_record(actor, record, *, status, progress, spent, currency=None):
    """Status, progress (0-100 per cent) and money spent, checked together: all or nothing. A
    record that reaches "done" reads 100% and marks its proposal implemented."""
    ensure_may(actor, "accountability.edit", record, _("A finished record can no longer be changed."))
    problems = FieldErrors()
    try:
        target = S(status)
    except ValueError:
        target = None
    if target is None:
        problems.add("status", _("Choose the status."))
    elif not record.may_become(target):
        problems.add(
            "status",
            _(
                "A record that is “%(current)s” cannot become “%(target)s”.",
                current=status_label(record.current_status),
                target=status_label(target),
            ),
        )
    progress = problems.check(
        _whole_number,
        progress,
        "progress",
        low=0,
        high=100,
        message=_("Give the progress as a whole number from 0 to 100."),
    )
    spent = problems.check(
        _whole_number,
        spent,
        "spent",
        low=0,
        high=MAX_AMOUNT,
        message=_("Give the money spent as a whole number, 0 or more, without spaces or signs."),
    )
    if record.kind.value == "proposal" and currency is not None:
        currency = (currency or "").strip().upper()
        if not CURRENCY_CODE.match(currency):
            problems.add("currency", _("Give the currency as its three-letter code, such as EUR."))
    else:
        currency = record.currency
    problems.raise_if_any()
    if target is S.DONE:
        progress = 100
    before = {"status": record.status, "progress": record.progress, "spent": record.spent}
    # Guarded by the status read: two officials at once cannot take a record out of "done".
    moved = db.session.execute(
        update(ImplementationRecord)
        .where(ImplementationRecord.id == record.id, ImplementationRecord.status == record.status)
        .values(status=target.value, progress=progress, spent=spent, currency=currency, updated_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.rollback()
        raise Conflict(_("Someone changed this record a moment ago. Reload the page and look again."))
    db.session.refresh(record)
    record_staff_action(
        actor,
        "accountability.update",
        "implementation",
        record.id,
        record.title,
        details={"before": before, "after": {"status": target.value, "progress": progress, "spent": spent}},
    )
    proposal = record.proposal
    if target is S.DONE and proposal is not None and proposal.current_state is ProposalState.ACCEPTED:
        # The proposals' own service moves the proposal, tells its people and commits it all.
        db.session.flush()
        proposal_answers.mark_implemented(actor, proposal, "")
    else:
        commit()
    pages_changed(record)
    return record


def status_label(status):
    return str(STATUS_LABELS[Status(status).value])


# --- following -------------------------------------------------------------------------------


def is_following(user, record):
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(RecordFollow.id).where(RecordFollow.record_id == record.id, RecordFollow.user_id == user.id)
        )
        is not None
    )


def follow_record(actor, record, following):
    ensure_can(actor, "accountability.follow", record)
    existing = db.session.scalar(
        select(RecordFollow).where(RecordFollow.record_id == record.id, RecordFollow.user_id == actor.id)
    )
    if following and existing is None:
        db.session.add(RecordFollow(record_id=record.id, user_id=actor.id))
    elif not following and existing is not None:
        db.session.delete(existing)
    try:
        commit()
    except IntegrityError:  # the same person in two tabs at once: they follow it either way
        db.session.rollback()


def get_record(record_id, viewer):
    record = db.session.get(ImplementationRecord, record_id)
    if record is None:
        raise NotFound(_("There is no implementation record with this number."))
    ensure_can(viewer, "accountability.view", record)
    return record
