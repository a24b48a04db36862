"""Implementation records (one per accepted proposal or funded budget project), their dated
milestones and followers; the statuses with their named sets and transition table."""

import enum
from datetime import date, datetime

from flask_babel import lazy_pgettext
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.common.models import TimestampMixin, UTCDateTime, utcnow
from civic.extensions import db

TITLE_MAX_LENGTH = 150  # the longer of a proposal's and a project's title
AREA_MAX_LENGTH = 80
MILESTONE_MAX_LENGTH = 5_000
ALT_TEXT_MAX_LENGTH = 300
CURRENCY_LENGTH = 3
MAX_AMOUNT = 10**15  # as budgets: a sum above a thousand billion is a typing mistake


class Status(str, enum.Enum):
    """Where the work is; it moves only through `change_record` in accountability.services.records."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class Kind(str, enum.Enum):
    PROPOSAL = "proposal"
    PROJECT = "project"


S = Status
TRANSITIONS = {
    S.PLANNED: frozenset({S.IN_PROGRESS, S.DONE, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.PLANNED, S.DONE, S.CANCELLED}),
    # Done is final: a done proposal is "implemented", which the proposals never take back.
    S.DONE: frozenset(),
    S.CANCELLED: frozenset({S.PLANNED, S.IN_PROGRESS}),
}
CHANGEABLE = frozenset({S.PLANNED, S.IN_PROGRESS, S.CANCELLED})  # status, progress and money
TAKING_MILESTONES = frozenset({S.PLANNED, S.IN_PROGRESS, S.DONE})  # an opening may follow the work

STATUS_LABELS = {
    "planned": lazy_pgettext("implementation status", "Planned"),
    "in_progress": lazy_pgettext("implementation status", "In progress"),
    "done": lazy_pgettext("implementation status", "Done"),
    "cancelled": lazy_pgettext("implementation status", "Cancelled"),
}
KIND_LABELS = {
    "proposal": lazy_pgettext("implementation kind", "Citizen proposal"),
    "project": lazy_pgettext("implementation kind", "Budget project"),
}


class ImplementationRecord(TimestampMixin, db.Model):
    """How one accepted proposal or one funded budget project is being carried out. Its title and
    area are copied from what it records (neither changes once accepted or funded) so that the
    public list filters and sorts on this table alone."""

    __tablename__ = "implementation_record"
    __table_args__ = (
        CheckConstraint("(proposal_id IS NULL) <> (project_id IS NULL)", name="one_subject"),
        Index("ix_implementation_record_status_id", "status", "id"),
        Index("ix_implementation_record_area_id", "area", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), unique=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("budget_project.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH), nullable=False)
    area: Mapped[str] = mapped_column(String(AREA_MAX_LENGTH), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=S.PLANNED.value)
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # per cent, 0 to 100
    spent: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # whole units of the currency
    currency: Mapped[str] = mapped_column(String(CURRENCY_LENGTH), nullable=False, default="EUR")
    milestone_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    proposal = relationship("Proposal")
    project = relationship("Project")
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="record",
        order_by="(Milestone.happened_on.desc(), Milestone.id.desc())",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def kind(self):
        return Kind.PROPOSAL if self.proposal_id is not None else Kind.PROJECT

    @property
    def current_status(self):
        return Status(self.status)

    def may_become(self, target):
        return target is self.current_status or target in TRANSITIONS[self.current_status]

    @property
    def is_changeable(self):
        return self.current_status in CHANGEABLE

    @property
    def takes_milestones(self):
        return self.current_status in TAKING_MILESTONES


class Milestone(db.Model):
    """A dated step of the work, with its text (a sanitised Markdown subset) and an optional photo."""

    __tablename__ = "implementation_milestone"
    __table_args__ = (Index("ix_implementation_milestone_record_day", "record_id", "happened_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("implementation_record.id", ondelete="CASCADE"), nullable=False)
    happened_on: Mapped[date] = mapped_column(Date, nullable=False)
    text_markdown: Mapped[str] = mapped_column(Text, nullable=False)
    text_html: Mapped[str] = mapped_column(Text, nullable=False)
    # The photo, checked by its bytes (common.uploads) and stored beside the uploads.
    photo_stored_name: Mapped[str | None] = mapped_column(String(64))
    photo_content_type: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    photo_alt: Mapped[str] = mapped_column(String(ALT_TEXT_MAX_LENGTH), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    record: Mapped[ImplementationRecord] = relationship(back_populates="milestones")


class RecordFollow(db.Model):
    __tablename__ = "implementation_follow"
    __table_args__ = (UniqueConstraint("record_id", "user_id", name="uq_implementation_follow_record_id_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("implementation_record.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class RecordedBudget(db.Model):
    """A budget whose funded projects got their records (once its results were out): the periodic
    task looks at each budget once."""

    __tablename__ = "implementation_recorded_budget"

    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="CASCADE"), primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
