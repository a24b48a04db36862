"""The staff's start page: what waits for this person, by their roles, with the next action for
each; and the counts the staff navigation shows."""

from dataclasses import dataclass, field

from flask import g

from civic.budgets.models import Phase as BudgetPhase
from civic.budgets.services.ballots import ballot_count
from civic.budgets.services.budgets import list_budgets
from civic.consultations.services.lifecycle import list_consultations
from civic.consultations.services.statements import count_pending_statements, pending_statements
from civic.discussions.services.comments import recently_hidden
from civic.moderation.services.held import count_held
from civic.moderation.services.reports import count_open_items, open_reports_by_item
from civic.permissions import can, ensure_can
from civic.petitions.services.queries import count_moderation_queue, list_petitions, moderation_queue
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


def waiting_counts(actor):
    """{"petitions": n, "statements": n, "proposals": n, "reports": n, "held": n} waiting for this member of staff,
    once per request (the staff navigation shows them on every staff page)."""
    counts = g.get("civic_staff_counts")
    if counts is None:
        counts = {}
        if can(actor, "petition.moderate"):
            counts["petitions"] = count_moderation_queue()
        if can(actor, "consultation.moderate_statements"):
            counts["statements"] = count_pending_statements()
        if can(actor, "proposal.answer"):
            counts["proposals"] = count_waiting_for_an_answer()
        if can(actor, "report.review"):
            counts["reports"] = count_open_items()
        if can(actor, "held.review"):
            counts["held"] = count_held()
        g.civic_staff_counts = counts
    return counts
