"""What moderators do from the queue, on one item or thousands: dismiss the reports, hide with a
standard reason, show again, edit personal data out, hide everything an author wrote.

Through the table of kinds only. Many items go in batches of BATCH_SIZE, one transaction each: a
batch is applied whole or not at all, its audit entries commit with it, and its changes are
pushed live (kind.announce) after its commit, before the next batch starts."""

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from civic.audit.models import AuditEntry
from civic.audit.services import record_staff_action
from civic.common.db import commit
from civic.common.models import utcnow
from civic.common.validation import clean_text
from civic.errors import Conflict, NotFound
from civic.extensions import db
from civic.moderation.kinds import KINDS, load_items
from civic.moderation.models import EXPLANATION_MAX_LENGTH, Report, ReportReason, ReportState
from civic.moderation.services import decisions
from civic.moderation.services.queue import kind_or_not_found
from civic.moderation.services.reports import parse_reason, push_report_counts
from civic.permissions import ensure_can

BATCH_SIZE = 200


@dataclass
class BulkResult:
    """What a bulk action did: items changed, items it left as they were (gone, or already so)."""

    done: int = 0
    unchanged: int = 0
    batches: int = 0
    reports: int = 0  # reports decided
    decisions: list = field(default_factory=list)  # the decisions of this batch, told after its commit

    def add(self, other):
        self.done += other.done
        self.unchanged += other.unchanged
        self.batches += other.batches
        self.reports += other.reports


class BatchFailed(Conflict):
    """A batch failed and was rolled back whole; the batches before it stand (`done` items)."""

    def __init__(self, message, done):
        super().__init__(message)
        self.done = done


def _batches(ids):
    ids = sorted(set(ids))
    for start in range(0, len(ids), BATCH_SIZE):
        yield ids[start : start + BATCH_SIZE]


def _in_batches(actor, kind, ids, apply_batch):
    """apply_batch(items {id: item}, ids, now, result) -> (items to announce, done, unchanged), in the
    session (it may count `result.reports`); one commit per batch, then the changed items are announced."""
    result = BulkResult()
    for batch in _batches(ids):
        try:
            decided = BulkResult()
            changed, done, unchanged = apply_batch(load_items(kind, batch), batch, utcnow(), decided)
            commit()
        except Exception:
            db.session.rollback()
            current_app.logger.exception("A moderation batch failed and was rolled back")
            raise BatchFailed(
                _("Something went wrong; %(num)d items were done before it, the rest are unchanged.", num=result.done),
                result.done,
            ) from None
        decisions.tell_subjects(decided.decisions)
        if changed and kind.announce_many is not None:
            kind.announce_many(changed)
        else:
            for item in changed:
                kind.announce(item)
        result.done += done
        result.unchanged += unchanged
        result.reports += decided.reports
        result.batches += 1
    push_report_counts()
    return result


def _open_reports(kind, ids):
    found = {}
    reports = db.session.scalars(
        select(Report).where(
            Report.content_kind == kind.name, Report.content_id.in_(ids), Report.state == ReportState.OPEN
        )
    )
    for report in reports:
        found.setdefault(report.content_id, []).append(report)
    return found


def _decide(reports, state, now):
    for report in reports:
        report.state, report.decided_at = state, now


def _label(item_kind, content_id):
    return f"{item_kind.name} #{content_id}"


def _hidden_by_reports(kind, ids):
    """The ids whose last hiding was by readers' reports (no actor), not by a moderator."""
    last = (
        select(AuditEntry.target_id, func.max(AuditEntry.id).label("last"))
        .where(
            AuditEntry.action == f"{kind.name}.hide",
            AuditEntry.target_type == kind.name,
            AuditEntry.target_id.in_(ids),
        )
        .group_by(AuditEntry.target_id)
        .subquery()
    )
    return set(
        db.session.scalars(
            select(AuditEntry.target_id).join(last, AuditEntry.id == last.c.last).where(AuditEntry.actor_id.is_(None))
        )
    )


def dismiss_items(actor, kind_name, ids):
    """Nothing wrong: the items' open reports are dismissed (audited `report.dismiss` per item). An
    item that reports hid pending review is shown again; one a moderator hid stays hidden."""
    ensure_can(actor, "moderation.queue")
    kind = kind_or_not_found(kind_name)

    def apply_batch(items, batch, now, decided):
        reports = _open_reports(kind, batch)
        by_reports = _hidden_by_reports(kind, list(reports))
        changed = []
        for content_id, item_reports in reports.items():
            _decide(item_reports, ReportState.DISMISSED, now)
            decided.reports += len(item_reports)
            item = items.get(content_id)
            shown_again = bool(
                item is not None and content_id in by_reports and kind.is_hidden(item) and kind.show_again(item)
            )
            if shown_again:
                changed.append(item)
            record_staff_action(
                actor,
                "report.dismiss",
                kind.name,
                content_id,
                _label(kind, content_id),
                details={"reports": len(item_reports), "shown_again": shown_again},
            )
        return changed, len(reports), len(batch) - len(reports)

    return _in_batches(actor, kind, ids, apply_batch)


def dismiss_reports(actor, kind_name, content_id):
    """One item's reports dismissed (the staff start page's button); returns how many."""
    result = dismiss_items(actor, kind_name, [content_id])
    if not result.reports:
        raise Conflict(_("These reports have been decided already."))
    return result.reports


def hide_reason(reason_code, explanation):
    """(the standard reason's code, the moderator's explanation for the authors), checked. The public
    reads only the reason's label (decisions.public_reason_text); the explanation goes into each
    author's statement of reasons."""
    code = parse_reason(reason_code)
    explanation = clean_text(explanation or "", field="explanation", max_length=EXPLANATION_MAX_LENGTH)
    return code, explanation


def hide_items(actor, kind_name, ids, reason_code, explanation=""):
    """Hide these items with a standard reason (ReportReason) and the moderator's explanation; their
    open reports are upheld (audited `report.uphold` with the reason code, besides the kind's own
    hiding entry). An item that reports hid pending review is hidden again with this reason; one a
    moderator hid keeps its hiding, its reports upheld too. Each hiding is a moderation decision
    (decisions.hide_in_transaction): its author is sent the statement of reasons after the batch's
    commit. This is the one way the queue hides."""
    ensure_can(actor, "moderation.queue")
    kind = kind_or_not_found(kind_name)
    code, explanation = hide_reason(reason_code, explanation)

    def apply_batch(items, batch, now, decided):
        reports = _open_reports(kind, batch)
        # Hidden by readers' reports pending review: the moderator's decision replaces that hiding,
        # so its reason is the one shown and a later dismissal does not show the item again.
        pending = _hidden_by_reports(kind, [i for i, item in items.items() if kind.is_hidden(item)])
        changed = []
        for content_id in batch:
            item = items.get(content_id)
            if item is not None and content_id in pending:
                kind.show_again(item)
            decision = None
            if item is not None and not kind.is_removed(item):
                decision = decisions.hide_in_transaction(actor, kind, item, code, explanation)
            if decision is not None:
                decided.decisions.append(decision)
                changed.append(item)
            if content_id in reports:
                decided.reports += decisions.uphold_reports(actor, kind, content_id, code, reports[content_id])
        return changed, len(changed), len(batch) - len(changed)

    return _in_batches(actor, kind, ids, apply_batch)


def show_items_again(actor, kind_name, ids):
    """Undo hidings: each is a RESTORE decision (decisions.restore_in_transaction, audited
    `content.restore`) with the reason of the item's latest hiding, its author told after the
    batch's commit, as a decision made from the decision page is."""
    ensure_can(actor, "moderation.queue")
    kind = kind_or_not_found(kind_name)

    def apply_batch(items, batch, now, decided):
        reasons = decisions.hiding_reasons(kind.name, [i for i, item in items.items() if kind.is_hidden(item)])
        changed = []
        for content_id, item in items.items():
            reason = reasons.get(content_id, ReportReason.OTHER)
            decision = decisions.restore_in_transaction(actor, kind, item, reason)
            if decision is not None:
                decided.decisions.append(decision)
                changed.append(item)
        return changed, len(changed), len(batch) - len(changed)

    return _in_batches(actor, kind, ids, apply_batch)


def edit_out_personal_data(actor, kind_name, content_id, text):
    """A moderator's edit of the item's text (the original kept for moderators and the audit)."""
    ensure_can(actor, "moderation.queue")
    kind = kind_or_not_found(kind_name)
    item = kind.load(content_id) if kind.redact is not None else None
    if item is None:
        raise NotFound(_("There is no such item to edit."))
    changed = kind.redact(item, actor, text)
    commit()
    if changed:
        kind.announce(item)
    return changed


def hide_all_of_author(actor, author, reason_code, explanation=""):
    """Hide everything `author` wrote that is still visible, of every registered kind, in batches;
    one `content.hide_all_of_user` entry says who asked and how many items were hidden."""
    ensure_can(actor, "moderation.queue")
    hide_reason(reason_code, explanation)  # refused before anything is hidden
    result = BulkResult()
    for kind in list(KINDS.values()):
        result.add(hide_items(actor, kind.name, kind.visible_ids_by_author(author.id), reason_code, explanation))
    record_staff_action(
        actor,
        "content.hide_all_of_user",
        "user",
        author.id,
        author.display_name,
        details={"reason": str(ReportReason(reason_code)), "hidden": result.done},
    )
    commit()
    return result
