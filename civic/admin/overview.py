"""The staff's start page: what waits for this person, by their roles, with the next action for
each; and the counts the staff navigation shows."""

import time
from dataclasses import dataclass, field

from flask import current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from civic.budgets.models import Phase as BudgetPhase
from civic.budgets.services.ballots import ballot_count
from civic.budgets.services.budgets import list_budgets
from civic.consultations.models import Statement
from civic.consultations.services.lifecycle import list_consultations
from civic.consultations.services.statements import count_pending_statements, pending_statements
from civic.discussions.models import Comment
from civic.discussions.services.comments import recently_hidden
from civic.moderation.models import Report
from civic.moderation.services.held import count_held
from civic.moderation.services.reports import count_open_items, open_reports_by_item
from civic.permissions import can, ensure_can
from civic.petitions.models import Petition
from civic.petitions.services.queries import count_moderation_queue, list_petitions, moderation_queue
from civic.proposals.models import Proposal
from civic.proposals.services.queries import count_waiting_for_an_answer, list_proposals

SHOWN = 50  # entries per list on the page; the counts are of all


@dataclass
class Overview:
    drafts: list = field(default_factory=list)
    scheduled: list = field(default_factory=list)
    open: list = field(default_factory=list)
    awaiting_outcome: list = field(default_factory=list)
    awaiting_response: list = field(default_factory=list)
    awaiting_response_total: int = 0
    proposals_to_answer: list = field(default_factory=list)
    proposals_to_answer_total: int = 0
    to_moderate: list = field(default_factory=list)
    statements: list = field(default_factory=list)
    statements_total: int = 0
    hidden_comments: list = field(default_factory=list)
    reported: list = field(default_factory=list)  # ReportedItem (moderation.services.reports), most reported first
    budgets: list = field(default_factory=list)  # (budget, its phase, ballots so far or None)
    for_officials: bool = False
    for_moderators: bool = False


def staff_overview(actor):
    ensure_can(actor, "staff.dashboard")
    overview = Overview()
    if can(actor, "consultation.manage"):
        overview.for_officials = True
        overview.drafts = list_consultations("draft", per_page=SHOWN).items
        overview.scheduled = list_consultations("upcoming", per_page=SHOWN).items
        overview.open = list_consultations("open", per_page=SHOWN).items
        overview.awaiting_outcome = list_consultations("closed", per_page=SHOWN).items
    if can(actor, "petition.respond"):
        overview.for_officials = True
        waiting = list_petitions("awaiting_response", per_page=SHOWN)
        overview.awaiting_response, overview.awaiting_response_total = waiting.items, waiting.total
    if can(actor, "proposal.answer"):
        overview.for_officials = True
        waiting, _sort, _status = list_proposals(status="review", per_page=SHOWN)
        overview.proposals_to_answer, overview.proposals_to_answer_total = waiting.items, waiting.total
    if can(actor, "budget.manage"):
        overview.for_officials = True
        overview.budgets = [
            (budget, budget.phase, ballot_count(budget) if budget.phase == BudgetPhase.VOTING else None)
            for budget in list_budgets()
            if budget.phase != BudgetPhase.IMPLEMENTATION
        ][:SHOWN]
    if can(actor, "petition.moderate"):
        overview.for_moderators = True
        overview.to_moderate = moderation_queue()
        overview.hidden_comments = recently_hidden(limit=20)
    if can(actor, "report.review"):
        overview.for_moderators = True
        overview.reported = open_reports_by_item(actor, limit=SHOWN)
    if can(actor, "consultation.moderate_statements"):
        overview.statements, overview.statements_total = pending_statements(limit=SHOWN)
        overview.for_moderators = overview.for_moderators or bool(overview.statements_total)
    return overview


# What the staff navigation counts: a committed change to one of these forgets the kept counts.
COUNTED_MODELS = (Report, Petition, Statement, Proposal, Comment)


def waiting_counts(actor):
    """{"petitions": n, "statements": n, "proposals": n, "reports": n, "held": n} waiting for this member
    of staff (the staff navigation shows them on every staff page): once per request, and kept per
    process `CIVIC_STAFF_COUNTS_SECONDS` for everyone who may see the same counts. A commit in this
    process that changes what they count forgets them; another process's change shows within those
    seconds (the reports' count at once, pushed live by moderation.services.reports.push_report_counts)."""
    counts = g.get("civic_staff_counts")
    if counts is not None:
        return counts
    shown = tuple(
        name
        for name, rule in (
            ("petitions", "petition.moderate"),
            ("statements", "consultation.moderate_statements"),
            ("proposals", "proposal.answer"),
            ("reports", "report.review"),
            ("held", "held.review"),
        )
        if can(actor, rule)
    )
    kept = _kept_counts()
    seconds = current_app.config.get("CIVIC_STAFF_COUNTS_SECONDS", 0)
    found = kept.get(shown)
    if found is not None and time.monotonic() - found[0] < seconds:
        counts = found[1]
    else:
        counting = {
            "petitions": count_moderation_queue,
            "statements": count_pending_statements,
            "proposals": count_waiting_for_an_answer,
            "reports": count_open_items,
            "held": count_held,
        }
        counts = {name: counting[name]() for name in shown}
        if seconds > 0:
            kept[shown] = (time.monotonic(), counts)
    g.civic_staff_counts = counts
    return counts


def _kept_counts():
    return current_app.extensions.setdefault("civic_staff_counts", {})


def _note_counted_change(session, _flush_context):
    if any(isinstance(row, COUNTED_MODELS) for row in (*session.new, *session.dirty, *session.deleted)):
        session.info["civic_staff_counts_stale"] = True


def _forget_kept_counts(session):
    if session.info.pop("civic_staff_counts_stale", False) and has_app_context():
        _kept_counts().clear()


def _forget_note(session):
    session.info.pop("civic_staff_counts_stale", None)


def listen_for_counted_changes():
    """Once per process (from create_app): a commit that changed what the counts count forgets them."""
    if not event.contains(Session, "after_flush", _note_counted_change):
        event.listen(Session, "after_flush", _note_counted_change)
        event.listen(Session, "after_commit", _forget_kept_counts)
        event.listen(Session, "after_rollback", _forget_note)
