"""Moderation tables: one report per person per reported item."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civic.common.models import UTCDateTime, utcnow
from civic.extensions import db

NOTE_MAX_LENGTH = 1000


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    HATE = "hate"
    PERSONAL_DATA = "personal_data"
    OFF_TOPIC = "off_topic"
    MISINFORMATION = "misinformation"
    ILLEGAL = "illegal"
    OTHER = "other"


REASON_LABELS = {
    ReportReason.SPAM: _l("Spam or advertising"),
    ReportReason.ABUSE: _l("Abuse or harassment"),
    ReportReason.HATE: _l("Hate speech"),
    ReportReason.PERSONAL_DATA: _l("Someone's personal data"),
    ReportReason.OFF_TOPIC: _l("Off-topic"),
    ReportReason.MISINFORMATION: _l("Misinformation"),
    ReportReason.ILLEGAL: _l("Illegal content"),
    ReportReason.OTHER: _l("Something else"),
}


class ReportState(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


STATE_LABELS = {
    ReportState.OPEN: _l("Waiting for a moderator"),
    ReportState.UPHELD: _l("Upheld: the content was moderated"),
    ReportState.DISMISSED: _l("Dismissed: no action was needed"),
}

# A decision moves a report out of OPEN, once.
TRANSITIONS = {ReportState.OPEN: {ReportState.UPHELD, ReportState.DISMISSED}}


class ReportedKind(enum.StrEnum):
    """Kept for older callers: the kinds of content that can be reported are those registered in
    civic.moderation.kinds (`KINDS`), whose names are what `Report.content_kind` holds."""

    COMMENT = "comment"


class Report(db.Model):
    __tablename__ = "report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    content_kind: Mapped[str] = mapped_column(String(40), nullable=False)
    content_id: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=ReportState.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("reporter_id", "content_kind", "content_id", name="uq_report_reporter_content"),
        Index("ix_report_content", "content_kind", "content_id"),
        Index("ix_report_state", "state"),
        # The moderation queue groups the open reports by item and sorts by the first one.
        Index("ix_report_state_content", "state", "content_kind", "content_id", "created_at"),
    )

    @property
    def reason_label(self):
        return REASON_LABELS.get(self.reason, self.reason)

    @property
    def state_label(self):
        return STATE_LABELS.get(self.state, self.state)


class ReportDigest(db.Model):
    """A digest of new reports mailed to the moderators: it covers the reports up to
    `up_to_report_id`, so the next one starts after it. The unique key means that two ticks (two
    machines) claiming the same digest cannot both send it."""

    __tablename__ = "report_digest"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    up_to_report_id: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    reports: Mapped[int] = mapped_column(Integer, nullable=False)  # new reports it told about
    recipients: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


APPEAL_MAX_LENGTH = 2000
EXPLANATION_MAX_LENGTH = 2000
SUSPENSION_MAX_DAYS = 365


class DecisionAction(enum.StrEnum):
    """What a moderation decision did: to content (hide, restore; hide pending review is automatic)
    or to a person (warn, suspend for a period, ban)."""

    HIDE = "hide"
    REJECT = "reject"  # a petition or a statement not accepted (it stays visible, or never appears)
    HIDE_PENDING_REVIEW = "hide_pending_review"
    RESTORE = "restore"
    WARN = "warn"
    SUSPEND = "suspend"
    BAN = "ban"


ACTION_LABELS = {
    DecisionAction.HIDE: _l("Hidden by a moderator"),
    DecisionAction.HIDE_PENDING_REVIEW: _l("Hidden pending review after reports"),
    DecisionAction.REJECT: _l("Not accepted"),
    DecisionAction.RESTORE: _l("Shown again"),
    DecisionAction.WARN: _l("Warning"),
    DecisionAction.SUSPEND: _l("Suspension"),
    DecisionAction.BAN: _l("Ban"),
}

CONTENT_ACTIONS = frozenset({DecisionAction.HIDE, DecisionAction.HIDE_PENDING_REVIEW, DecisionAction.RESTORE})
SANCTIONS = frozenset({DecisionAction.WARN, DecisionAction.SUSPEND, DecisionAction.BAN})
# What the person concerned may appeal: what went against them.
APPEALABLE = frozenset({DecisionAction.HIDE, DecisionAction.HIDE_PENDING_REVIEW, DecisionAction.REJECT}) | SANCTIONS
# The kind name a decision about a person stores (content decisions store their kind's name).
USER_KIND = "user"


# What a decision is about, named on the person's own pages when its kind is not (yet) in the kind table.
SUBJECT_LABELS = {
    "comment": _l("A comment"),
    "petition": _l("A petition"),
    "statement": _l("A statement"),
    USER_KIND: _l("Your account"),
}

# A kind of content decided with its own domain's standard reasons (petitions' rejection reasons)
# registers their labels here (from create_app); every other decision uses ReportReason.
_KIND_REASON_LABELS = {}


def register_reason_labels(kind_name, labels):
    _KIND_REASON_LABELS[kind_name] = dict(labels)


class AppealOutcome(enum.StrEnum):
    UPHELD = "upheld"
    REVERSED = "reversed"


APPEAL_OUTCOME_LABELS = {
    AppealOutcome.UPHELD: _l("Upheld: the decision stands"),
    AppealOutcome.REVERSED: _l("Reversed: the decision was undone"),
}


class ModerationDecision(db.Model):
    """One moderation decision (a statement of reasons, DSA art. 17): what was decided, about which
    content or person, why (a ReportReason code and the moderator's words), by whom (None:
    automatic), when, until when for a suspension; and its one appeal, if any."""

    __tablename__ = "moderation_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    content_kind: Mapped[str] = mapped_column(String(40), nullable=False)  # a kind's name, or "user"
    content_id: Mapped[int] = mapped_column(Integer, nullable=False)
    # The person the decision is about: the content's author, or the person warned, suspended, banned.
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(20), nullable=False)
    explanation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    audit_entry_id: Mapped[int | None] = mapped_column(Integer)  # the audit entry that records it
    appeal_text: Mapped[str | None] = mapped_column(Text)
    appealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    appeal_outcome: Mapped[str | None] = mapped_column(String(20))
    appeal_explanation: Mapped[str | None] = mapped_column(Text)
    appeal_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    appeal_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_moderation_decision_subject", "subject_id"),
        Index("ix_moderation_decision_content", "content_kind", "content_id"),
        Index("ix_moderation_decision_audit_entry", "audit_entry_id"),
    )

    @property
    def reason_label(self):
        labels = _KIND_REASON_LABELS.get(self.content_kind, REASON_LABELS)
        return labels.get(self.reason, self.reason)

    @property
    def subject_label(self):
        return SUBJECT_LABELS.get(self.content_kind, self.content_kind)

    @property
    def action_label(self):
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def appeal_outcome_label(self):
        return APPEAL_OUTCOME_LABELS.get(self.appeal_outcome, self.appeal_outcome or "")

    @property
    def is_about_a_person(self):
        return self.content_kind == USER_KIND

    @property
    def appeal_is_open(self):
        return self.appealed_at is not None and self.appeal_outcome is None
