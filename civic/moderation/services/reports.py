"""Reports: a signed-in reader reports an item of any kind in civic.moderation.kinds with a reason;
enough weighty reports hide it pending review; the reporter
 follows their reports; moderators dismiss them."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from civic.accounts.models import User, UserRole
from civic.common.models import utcnow
from civic.common.ratelimit import seconds_until_allowed
from civic.common.validation import clean_text
from civic.errors import Conflict, InvalidInput, NotFound, RateLimited
from civic.extensions import db
from civic.moderation.kinds import COMMENT, kind_named
from civic.moderation.models import NOTE_MAX_LENGTH, Report, ReportReason, ReportState
from civic.moderation.services import decisions
from civic.permissions import RULES, ensure_can
from civic.realtime import publish, room_for

# The reason shown in place of an item that readers' reports hid until a moderator looks at it.
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


def parse_reason(value):
    try:
        return ReportReason(value)
    except ValueError:
        raise InvalidInput(_("Choose a reason for the report."), field="reason") from None


def report_comment(actor, comment, *, reason, note=""):
    """Report a comment (report_item for the comment kind)."""
    return report_item(actor, COMMENT.name, comment.id, reason=reason, note=note)


def get_reported_item(viewer, kind_name, content_id):
    """(kind, item) for the report page: a kind in the table and an item `viewer` may read."""
    kind = kind_named(kind_name)
    item = kind.load(content_id) if kind is not None else None
    if item is None or not kind.may_view(viewer, item):
        raise NotFound(_("There is no such content."))
    return kind, item


def report_item(actor, kind_name, content_id, *, reason, note=""):
    """Report an item of any moderated kind; returns the report. Refused, with a reason, for one's own
    item, a second report, an item already hidden or deleted, or too many reports in a short time.
    Enough weighty reports hide the item pending review, through its kind's `hide`."""
    kind, item = get_reported_item(actor, kind_name, content_id)
    if kind.is_removed(item):
        raise Conflict(_("This content has been hidden or deleted already; there is nothing to report."))
    ensure_can(actor, f"{kind.name}.report", item)
    if kind.author_id(item) == actor.id:
        # A Conflict, not NotAllowed: the page offered the link, so the refusal is shown on the report
        # page itself.
        raise Conflict(str(kind.own_item_refusal))
    reason = parse_reason(reason)
    note = clean_text(note, field="note", max_length=NOTE_MAX_LENGTH)
    if _find(actor, kind.name, content_id) is not None:
        raise Conflict(_ALREADY_REPORTED())
    _count_against_report_limit(actor)
    report = Report(
        reporter_id=actor.id,
        content_kind=kind.name,
        content_id=content_id,
        reason=reason,
        note=note or None,
        state=ReportState.OPEN,
        created_at=utcnow(),
    )
    db.session.add(report)
    try:
        db.session.flush()
        decision = _hide_if_reported_enough(kind, item)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_ALREADY_REPORTED()) from None
    if decision is not None:
        kind.announce(item)
        decisions.tell_subject(decision, "decision")
    push_report_counts()
    return report


def _ALREADY_REPORTED():  # noqa: N802 - a message, translated when raised
    return _("You have reported this already. You can follow it under “My reports”.")


def _find(actor, kind, content_id):
    return db.session.scalar(
        select(Report).where(
            Report.reporter_id == actor.id, Report.content_kind == kind, Report.content_id == content_id
        )
    )


def _hide_if_reported_enough(kind, item):
    open_reports = db.session.execute(
        select(Report.reporter_id, Report.reason).where(
            Report.content_kind == kind.name,
            Report.content_id == item.id,
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
    return decisions.record_automatic_hide(kind.name, item, most_given, reason)


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


@dataclass
class ReportedItem:
    """A reported item as moderation pages show it: `item` is None when it no longer exists."""

    kind: Any
    content_id: int
    item: Any
    reports: list = field(default_factory=list)

    @property
    def url(self):
        return self.kind.url(self.item) if self.item is not None else None

    @property
    def excerpt(self):
        return self.kind.excerpt(self.item) if self.item is not None else ""

    @property
    def is_hidden(self):
        return self.item is not None and self.kind.is_hidden(self.item)


def _load_items(pairs):
    """{(kind name, id): item or None} for these pairs (unknown kinds: None)."""
    found = {}
    for kind_name, content_id in pairs:
        kind = kind_named(kind_name)
        found[kind_name, content_id] = kind.load(content_id) if kind is not None else None
    return found


def my_reports(actor):
    """The reporter's reports, newest first: [(report, ReportedItem)] (its item None if gone)."""
    reports = list(
        db.session.scalars(select(Report).where(Report.reporter_id == actor.id).order_by(Report.created_at.desc()))
    )
    items = _load_items({(r.content_kind, r.content_id) for r in reports})
    return [
        (r, ReportedItem(kind_named(r.content_kind) or COMMENT, r.content_id, items[r.content_kind, r.content_id]))
        for r in reports
    ]


def count_open_items():
    """How many reported items wait for a moderator (the staff navigation's count)."""
    items = select(Report.content_kind, Report.content_id).where(Report.state == ReportState.OPEN).distinct()
    return db.session.scalar(select(func.count()).select_from(items.subquery()))


def push_report_counts():
    """After a commit that made or decided reports: every moderator's open pages show the new count
    of reported items (the staff navigation; static/js/staff_counts.js)."""
    moderators = db.session.scalars(
        select(UserRole.user_id).where(UserRole.role.in_(sorted(RULES["report.review"].roles))).distinct()
    ).all()
    if not moderators:
        return
    count = count_open_items()
    for user_id in moderators:
        publish(room_for("user", user_id), "staff_counts", {"reports": count})


def open_reports_by_item(actor, *, limit=50):
    """Open reports grouped by reported item, most reported first: [ReportedItem], every kind."""
    ensure_can(actor, "report.review")
    reports = list(
        db.session.scalars(select(Report).where(Report.state == ReportState.OPEN).order_by(Report.created_at))
    )
    grouped = {}
    for report in reports:
        if kind_named(report.content_kind) is not None:
            grouped.setdefault((report.content_kind, report.content_id), []).append(report)
    ranked = sorted(grouped.items(), key=lambda entry: -len(entry[1]))[:limit]
    items = _load_items(key for key, _reports in ranked)
    return [ReportedItem(kind_named(name), cid, items[name, cid], item_reports) for (name, cid), item_reports in ranked]
