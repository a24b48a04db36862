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
