"""The public moderation log (issue 14, transparency): every moderation decision, published
without personal data, with monthly totals and a CSV.

What is published of an audit entry is decided here, in one table (PUBLISHED_DETAILS), never by a
template: the day, the kind of content, the action, and for some actions a standard reason code
from `details`. Never published: who acted (actor), the content's id or label (a title, a
comment's discussion, a statement's text: `target_id`, `target_label`), the free text a moderator
typed (`reason`, which may quote what was hidden or name someone), nor any other detail (the IP
ranges and email domains of invalidated signatures, ids of other petitions...).

Appeals (civic.moderation): whether a decision was appealed and the appeal's outcome (upheld,
reversed) fill two columns, read through the function moderation registers (register_appeal_states),
so that audit imports no domain."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import select

from civic.audit.labels import MODERATION_ACTIONS
from civic.audit.models import AuditEntry
from civic.common import clock
from civic.common.pagination import paginate
from civic.extensions import db

PER_PAGE = 50
MONTHS_OF_TOTALS = 12

# The one table of what is published of each moderation action besides its day, kind and action:
# the key of `details` holding a standard reason code (chosen from a list, never typed), or None.
# Everything else stays private. The reason codes an action may publish, with their labels, are
# registered by the domain that owns them (register_reasons, from create_app), so that a value
# not in that list is never shown. tests/audit/test_public_log.py checks every moderation action
# is named here.
PUBLISHED_DETAILS = {
    "budget_project.hide": None,  # hidden pending review after reports; label: the title (private)
    "comment.hide": None,  # reason: typed by the moderator (private); label: the discussion's title
    "comment.pin": None,
    "comment.unpin": None,
    "discussion.hide": None,  # reason: typed, or the reports' standard one (private); label: the title
    "discussion.lock": None,  # reason: typed (private)
    "discussion.unlock": None,  # reason: typed (private)
    "petition.approve": None,
    "petition.hide": None,  # hidden pending review after reports; label: the title (private)
    "proposal.hide": None,  # the same
    "profile.hide": None,  # the same; label: the person's name (private)
    "statement.hide": None,  # the same; label: the statement's text (private)
    "petition.flag": None,  # reason: the note to a second moderator (private)
    # reason: the moderator's optional comment (private); details "hidden" and "duplicate_of"
    # (another petition's id) private; details "reason", the standard rejection reason, published.
    "petition.reject": "reason",
    "petition.invalidate": None,  # reason typed; details: IP range, email domain, counts (private)
    "petition.revert_invalidation": None,  # reason typed (private)
    "statement.approve": None,
    "statement.reject": None,  # reason typed (private); label: the statement's text (private)
    "report.dismiss": None,  # details: how many reports (published nowhere: who reported is private)
    # Automatic pre-moderation (civic.premoderation): details "rule", the rule that fired
    # (a standard code), published; details "matched" (the word or link) private.
    "premoderation.block": "rule",
    "premoderation.hold": "rule",
    "premoderation.approve": "rule",
    "premoderation.reject": "rule",  # reason typed by the moderator (private)
    "report.uphold": "reason",  # details "reason": the standard reason code (ReportReason), published
    "content.hide_all_of_user": "reason",  # label: the person's name (private); details "hidden" private
    "comment.redact": None,  # the text before and after stay private
    # Moderation decisions (civic.moderation): details "reason", a ReportReason code, published;
    # reason typed by the moderator (private); label: an excerpt or the person's name (private).
    "content.restore": "reason",
    "user.warn": "reason",
    "user.suspend": "reason",  # details "days" private
    "user.ban": "reason",
    "appeal.uphold": None,  # reason typed (private); label: the decided content's kind and id (private)
    "appeal.reverse": None,
}

_REASON_LABELS = {}  # action code -> {reason code: label}


def register_reasons(action, labels):
    """The standard reason codes `action` may publish (PUBLISHED_DETAILS names where it keeps
    them), each with its readable label."""
    _REASON_LABELS[action] = dict(labels)


def reason_label(action, code):
    label = _REASON_LABELS.get(action, {}).get(code)
    return str(label) if label is not None else ""


# What each moderation action is called in the public log's table.
PUBLIC_ACTION_LABELS = {
    "comment.hide": _l("Comment hidden"),
    "comment.pin": _l("Comment pinned"),
    "comment.unpin": _l("Comment unpinned"),
    "discussion.hide": _l("Discussion hidden"),
    "discussion.lock": _l("Discussion locked"),
    "discussion.unlock": _l("Discussion reopened"),
    "petition.approve": _l("Petition approved"),
    "petition.flag": _l("Second opinion asked"),
    "petition.reject": _l("Petition rejected"),
    "petition.hide": _l("Petition hidden"),
    "budget_project.hide": _l("Budget project hidden"),
    "proposal.hide": _l("Proposal hidden"),
    "profile.hide": _l("Profile hidden"),
    "statement.hide": _l("Statement hidden"),
    "petition.invalidate": _l("Signatures invalidated"),
    "petition.revert_invalidation": _l("Invalidation of signatures reverted"),
    "statement.approve": _l("Statement approved"),
    "statement.reject": _l("Statement rejected"),
    "report.dismiss": _l("Reports dismissed"),
    "premoderation.block": _l("Refused automatically"),
    "premoderation.hold": _l("Held for review automatically"),
    "premoderation.approve": _l("Held content approved"),
    "premoderation.reject": _l("Held content rejected"),
    "report.uphold": _l("Reports upheld"),
    "content.hide_all_of_user": _l("All of a person's content hidden"),
    "comment.redact": _l("Personal data edited out"),
    "content.restore": _l("Content shown again"),
    "user.warn": _l("Person warned"),
    "user.suspend": _l("Person suspended"),
    "user.ban": _l("Person banned"),
    "appeal.uphold": _l("Appeal: decision upheld"),
    "appeal.reverse": _l("Appeal: decision reversed"),
}

APPEAL_OUTCOME_LABELS = {
    "upheld": _l("Upheld"),
    "reversed": _l("Reversed"),
    None: _l("Pending"),
}

_appeal_states = []  # the one function that answers {entry id: (appealed, outcome)}


def register_appeal_states(lookup):
    """`lookup(entry_ids)` -> {entry id: (appealed, outcome code or None)} for the entries that
    record an appealable decision (civic.moderation registers it from create_app)."""
    _appeal_states[:] = [lookup]


def _appeals_of(entry_ids):
    return _appeal_states[0](entry_ids) if _appeal_states else {}


KIND_LABELS = {
    "comment": lazy_pgettext("kind of content", "Comment"),
    "discussion": lazy_pgettext("kind of content", "Discussion"),
    "petition": lazy_pgettext("kind of content", "Petition"),
    "statement": lazy_pgettext("kind of content", "Statement"),
    "proposal": lazy_pgettext("kind of content", "Proposal"),
    "profile": lazy_pgettext("kind of content", "Profile"),
    "budget_project": lazy_pgettext("kind of content", "Budget project"),
    "user": lazy_pgettext("kind of content", "Person"),
    "decision": lazy_pgettext("kind of content", "Moderation decision"),
}


@dataclass(frozen=True)
class PublicDecision:
    """One moderation decision as the public may see it."""

    day: date  # in the site's time zone
    kind: str  # the target's type: comment, discussion, petition, statement
    action: str  # the action code
    reason: str | None  # a standard reason code, or None
    appealed: bool = False
    appeal_outcome: str | None = None  # "upheld", "reversed", or None (not appealed, or pending)

    @property
    def kind_label(self):
        label = KIND_LABELS.get(self.kind)
        return str(label) if label is not None else self.kind

    @property
    def action_label(self):
        label = PUBLIC_ACTION_LABELS.get(self.action)
        return str(label) if label is not None else self.action

    @property
    def reason_label(self):
        return reason_label(self.action, self.reason) if self.reason else ""

    @property
    def appealed_label(self):
        return str(_l("Yes")) if self.appealed else ""

    @property
    def appeal_outcome_label(self):
        return str(APPEAL_OUTCOME_LABELS.get(self.appeal_outcome, "")) if self.appealed else ""


def published_reason(action, details):
    """The standard reason code an entry may publish, or None."""
    key = PUBLISHED_DETAILS.get(action)
    value = (details or {}).get(key) if key else None
    return value if isinstance(value, str) and value in _REASON_LABELS.get(action, {}) else None


def _public(created_at, action, target_type, details, appeal=(False, None)):
    day = clock.utc_to_local(created_at).date()
    return PublicDecision(day, target_type, action, published_reason(action, details), *appeal)


_COLUMNS = (AuditEntry.created_at, AuditEntry.action, AuditEntry.target_type, AuditEntry.details)


def _with_appeals(rows):
    """(id, created_at, action, target_type, details) rows -> PublicDecision, appeals filled in."""
    rows = list(rows)
    appeals = _appeals_of([row[0] for row in rows])
    return [_public(*row[1:], appeals.get(row[0], (False, None))) for row in rows]


def _moderation_query():
    return (
        select(AuditEntry)
        .where(AuditEntry.action.in_(sorted(MODERATION_ACTIONS)))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )


def public_decisions(page=1, per_page=PER_PAGE):
    """One page of decisions, newest first: a Pagination whose items are PublicDecision."""
    entries = paginate(_moderation_query(), page=page, per_page=per_page)
    entries.items = _with_appeals((e.id, e.created_at, e.action, e.target_type, e.details) for e in entries.items)
    return entries


def all_public_decisions():
    """Every decision, newest first, read in batches (the CSV)."""
    rows = db.session.execute(
        select(AuditEntry.id, *_COLUMNS)
        .where(AuditEntry.action.in_(sorted(MODERATION_ACTIONS)))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .execution_options(yield_per=500)
    )
    for batch in rows.partitions(500):
        yield from _with_appeals(batch)


@dataclass
class MonthTotals:
    month: date  # the first day of the month, in the site's time zone
    by_action: list  # [(action's label, count)], most first
    by_reason: list  # [(reason's label, count)], most first; decisions without a standard reason left out
    total: int


def csv_rows(decisions):
    """The CSV's header and rows: the same columns as the page."""
    header = ["date", "kind", "action", "reason", "appealed", "appeal_outcome"]
    rows = (
        [d.day.isoformat(), d.kind_label, d.action_label, d.reason_label, d.appealed_label, d.appeal_outcome_label]
        for d in decisions
    )
    return header, rows


def _months_back(today, count):
    year, month = today.year, today.month - (count - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def monthly_totals(months=MONTHS_OF_TOTALS):
    """The decisions of the last `months` months (this one included) counted by action and by
    standard reason, newest month first; months without a decision left out."""
    zone = clock.site_zone()
    first = _months_back(clock.utc_to_local(clock.now(), zone).date(), months)
    since = clock.local_to_utc(datetime(first.year, first.month, first.day)) or clock.now()
    rows = db.session.execute(
        select(*_COLUMNS).where(AuditEntry.action.in_(sorted(MODERATION_ACTIONS)), AuditEntry.created_at >= since)
    )
    actions, reasons, totals = {}, {}, Counter()
    for created_at, action, target_type, details in rows:
        decision = _public(created_at, action, target_type, details)
        month = decision.day.replace(day=1)
        totals[month] += 1
        actions.setdefault(month, Counter())[decision.action_label] += 1
        if decision.reason:
            reasons.setdefault(month, Counter())[decision.reason_label] += 1
    return [
        MonthTotals(month, _most_first(actions[month]), _most_first(reasons.get(month, Counter())), totals[month])
        for month in sorted(totals, reverse=True)
    ]


def _most_first(counter):
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))
