"""Reports: a signed-in reader reports a comment with a reason; enough weighty reports hide it pending
review; the reporter follows their reports; moderators dismiss them."""

from collections import Counter
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from civic.accounts.models import User
from civic.audit.models import AuditEntry
from civic.audit.services import record_staff_action
from civic.common.models import utcnow
from civic.common.ratelimit import seconds_until_allowed
from civic.common.validation import clean_text
from civic.discussions.models import Comment, Discussion
from civic.discussions.services import comments as comment_services
from civic.discussions.services.discussions import get_discussion
from civic.errors import Conflict, InvalidInput, NotFound, RateLimited
from civic.extensions import db
from civic.moderation.models import NOTE_MAX_LENGTH, Report, ReportedKind, ReportReason, ReportState
from civic.moderation.services import decisions
from civic.permissions import ensure_can

# The reason shown in place of a comment that readers' reports hid until a moderator looks at it.
HIDDEN_PENDING_REVIEW = _l("pending review, after readers' reports")

# How much one report weighs towards hiding an item before review (CIVIC_REPORTS_TO_HIDE is the sum
# that hides it). The weights live here and nowhere else:
#  - an account younger than NEW_ACCOUNT_AGE weighs NEW_ACCOUNT_WEIGHT, whatever its history;
#  - a reporter with at least TRUST_AFTER_DECIDED decided reports, most of them upheld, is trusted;
#    most of them dismissed, distrusted;
#  - everyone else weighs 1.
# Reports that weigh less than 1 cannot hide an item alone: at least one report weighing 1 or more
# is needed, so that a flood of new or distrusted accounts does not hide anything by itself.
NEW_ACCOUNT_AGE = timedelta(days=1)
NEW_ACCOUNT_WEIGHT = 0.5
TRUSTED_WEIGHT = 1.5
DISTRUSTED_WEIGHT = 0.5
TRUST_AFTER_DECIDED = 2


def reporter_weight(reporter, *, now=None):
    """What one report by this person weighs towards hiding an item (see the weights above)."""
    now = now or utcnow()
    if reporter.created_at is not None and now - reporter.created_at < NEW_ACCOUNT_AGE:
        return NEW_ACCOUNT_WEIGHT
    decided = dict(
        db.session.execute(
            select(Report.state, func.count())
            .where(Report.reporter_id == reporter.id, Report.state != ReportState.OPEN)
            .group_by(Report.state)
        ).all()
    )
    upheld, dismissed = decided.get(ReportState.UPHELD, 0), decided.get(ReportState.DISMISSED, 0)
    if upheld + dismissed >= TRUST_AFTER_DECIDED:
        if upheld > dismissed:
            return TRUSTED_WEIGHT
        if dismissed > upheld:
            return DISTRUSTED_WEIGHT
    return 1.0


def reports_hide(weights, threshold):
    """Whether open reports of these weights hide their item pending review."""
    return sum(weights) >= threshold and any(weight >= 1 for weight in weights)


def get_reported_comment(viewer, comment_id):
    """The comment, if there is one and `viewer` may read its discussion."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(_("There is no such comment."))
    get_discussion(comment.discussion_id, viewer)
    return comment


def parse_reason(value):
    try:
        return ReportReason(value)
    except ValueError:
        raise InvalidInput(_("Choose a reason for the report."), field="reason") from None


def report_comment(actor, comment, *, reason, note=""):
    """Report a comment; returns the report. Refused, with a reason, for one's own comment, a second
    report, a comment already hidden or deleted, or too many reports in a short time."""
    if comment.is_removed:
        raise Conflict(_("This comment has been hidden or deleted already; there is nothing to report."))
    ensure_can(actor, "comment.report", comment)
    if comment.author_id == actor.id:
        # A Conflict, not NotAllowed: the card offered the link (it is the same for every reader), so
        # the refusal is shown on the report page itself.
        raise Conflict(_("You cannot report your own comment. You can edit or delete it instead."))
    reason = parse_reason(reason)
    note = clean_text(note, field="note", max_length=NOTE_MAX_LENGTH)
    if _find(actor, ReportedKind.COMMENT, comment.id) is not None:
        raise Conflict(_("You have reported this comment already. You can follow it under “My reports”."))
    _count_against_report_limit(actor)
    report = Report(
        reporter_id=actor.id,
        content_kind=ReportedKind.COMMENT,
        content_id=comment.id,
        reason=reason,
        note=note or None,
        state=ReportState.OPEN,
        created_at=utcnow(),
    )
    db.session.add(report)
    try:
        db.session.flush()
        decision = _hide_if_reported_enough(comment)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("You have reported this comment already. You can follow it under “My reports”.")) from None
    if decision is not None:
        comment_services.announce_hidden(comment)
        decisions.tell_subject(decision, "decision")
    return report


def _find(actor, kind, content_id):
    return db.session.scalar(
        select(Report).where(
            Report.reporter_id == actor.id, Report.content_kind == kind, Report.content_id == content_id
        )
    )


def _hide_if_reported_enough(comment):
    open_reports = db.session.execute(
        select(Report.reporter_id, Report.reason).where(
            Report.content_kind == ReportedKind.COMMENT,
            Report.content_id == comment.id,
            Report.state == ReportState.OPEN,
        )
    ).all()
    reporters = [reporter_id for reporter_id, _reason in open_reports]
    now = utcnow()
    users = db.session.scalars(select(User).where(User.id.in_(reporters)))
    weights = [reporter_weight(user, now=now) for user in users]
    if not reports_hide(weights, current_app.config["CIVIC_REPORTS_TO_HIDE"]):
        return None
    # Stored once for every reader: in the site's language, not the reporter's.
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        reason = str(HIDDEN_PENDING_REVIEW)
    # Recorded as an automatic decision (its author may appeal), for the reason most reporters gave.
    most_given = Counter(code for _reporter, code in open_reports).most_common(1)[0][0]
    return decisions.record_automatic_hide(ReportedKind.COMMENT, comment, most_given, reason)


def _count_against_report_limit(actor):
    wait = seconds_until_allowed("report", actor.id, current_app.config["CIVIC_LIMIT_REPORT"])
    if not wait:
        return
    minutes = -(-wait // 60)
    raise RateLimited(
        ngettext(
            "You have sent many reports in a short time. You can report again in %(num)d minute.",
            "You have sent many reports in a short time. You can report again in %(num)d minutes.",
            minutes,
        ),
        retry_after=wait,
    )


def my_reports(actor):
    """The reporter's reports, newest first, each with the comment and its discussion (None if gone)."""
    reports = list(
        db.session.scalars(select(Report).where(Report.reporter_id == actor.id).order_by(Report.created_at.desc()))
    )
    comments = _comments_by_id({r.content_id for r in reports if r.content_kind == ReportedKind.COMMENT})
    return [(report, comments.get(report.content_id)) for report in reports]


def _comments_by_id(ids):
    if not ids:
        return {}
    rows = db.session.execute(
        select(Comment, Discussion).join(Discussion, Discussion.id == Comment.discussion_id).where(Comment.id.in_(ids))
    ).all()
    return {comment.id: (comment, discussion) for comment, discussion in rows}


def count_open_items():
    """How many reported items wait for a moderator (the staff navigation's count)."""
    items = select(Report.content_kind, Report.content_id).where(Report.state == ReportState.OPEN).distinct()
    return db.session.scalar(select(func.count()).select_from(items.subquery()))


def open_reports_by_item(actor, *, limit=50):
    """Open reports grouped by reported item, most reported first: [(comment, discussion, [report])]."""
    ensure_can(actor, "report.review")
    reports = list(
        db.session.scalars(select(Report).where(Report.state == ReportState.OPEN).order_by(Report.created_at))
    )
    grouped = {}
    for report in reports:
        grouped.setdefault((report.content_kind, report.content_id), []).append(report)
    comments = _comments_by_id({cid for kind, cid in grouped if kind == ReportedKind.COMMENT})
    items = [
        (*comments.get(cid, (None, None)), item_reports)
        for (kind, cid), item_reports in grouped.items()
        if kind == ReportedKind.COMMENT
    ]
    items.sort(key=lambda item: -len(item[2]))
    return items[:limit]


def dismiss_reports(actor, kind, content_id):
    """A moderator finds nothing wrong: the item's open reports are dismissed (audited)."""
    ensure_can(actor, "report.review")
    if kind != ReportedKind.COMMENT:
        raise NotFound(_("There is no such reported item."))
    reports = list(
        db.session.scalars(
            select(Report).where(
                Report.content_kind == kind, Report.content_id == content_id, Report.state == ReportState.OPEN
            )
        )
    )
    if not reports:
        raise Conflict(_("These reports have been decided already."))
    now = utcnow()
    for report in reports:
        report.state, report.decided_at = ReportState.DISMISSED, now
    # Reports that hid the comment pending review no longer stand: it is shown again. A comment a
    # moderator hid stays hidden.
    comment = db.session.get(Comment, content_id)
    shown_again = (
        comment is not None and _hidden_by_reports(comment) and comment_services.show_again_after_review(comment)
    )
    record_staff_action(
        actor,
        "report.dismiss",
        kind,
        content_id,
        f"{kind} #{content_id}",
        details={"reports": len(reports), "shown_again": shown_again},
    )
    db.session.commit()
    if shown_again:
        comment_services.announce_shown_again(comment)
    return len(reports)


def _hidden_by_reports(comment):
    """Was the comment's hiding the reports' (no moderator's), and is it still hidden?"""
    if not comment.is_hidden:
        return False
    last_hide = db.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == "comment.hide",
            AuditEntry.target_type == "comment",
            AuditEntry.target_id == comment.id,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    return last_hide is not None and last_hide.actor_id is None
