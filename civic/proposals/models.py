"""Proposal tables: proposals, their supports (one per account), followers, and supports per day
(for the trending score); the states with their named sets and transition table."""

import enum
from datetime import date, datetime

from flask_babel import lazy_pgettext
from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.common import clock
from civic.common.models import TimestampMixin, UTCDateTime, utcnow
from civic.extensions import db

TITLE_MAX_LENGTH = 120
SUMMARY_MAX_LENGTH = 200
BODY_MAX_LENGTH = 10_000
TOPIC_MAX_LENGTH = 80
AREA_MAX_LENGTH = 80
URL_MAX_LENGTH = 500
ALT_TEXT_MAX_LENGTH = 300
NAME_MAX_LENGTH = 100
EXPLANATION_MAX_LENGTH = 10_000


class ProposalState(str, enum.Enum):
    """Where a proposal is; it moves only through `move_proposal` in proposals.services.lifecycle."""

    OPEN = "open"  # collecting supports until its deadline
    UNDER_REVIEW = "review"  # reached its supports in time: officials are looking at it
    EXPIRED = "expired"  # the deadline passed without enough supports (still readable)
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ALREADY_PLANNED = "planned"
    NOT_COMPETENT = "not_ours"  # not something the council is responsible for
    MORE_INFORMATION = "more_info"  # the council needs more information
    IMPLEMENTED = "implemented"  # an accepted proposal that has been carried out
    WITHDRAWN = "withdrawn"  # by its author (still readable, marked)
    DUPLICATE = "duplicate"  # merged into another proposal, which took its supports


S = ProposalState
ANSWERS = frozenset({S.ACCEPTED, S.REJECTED, S.ALREADY_PLANNED, S.NOT_COMPETENT, S.MORE_INFORMATION})
WAITING = frozenset({S.OPEN, S.UNDER_REVIEW, S.EXPIRED})  # no answer yet
TRANSITIONS = {
    S.OPEN: frozenset({S.UNDER_REVIEW, S.EXPIRED, S.WITHDRAWN, S.DUPLICATE} | ANSWERS),
    S.UNDER_REVIEW: frozenset({S.DUPLICATE} | ANSWERS),
    S.EXPIRED: frozenset({S.DUPLICATE} | ANSWERS),
    # An answer may be revised (more information arrived, a plan changed).
    **{answer: frozenset((ANSWERS - {answer}) | {S.DUPLICATE}) for answer in ANSWERS},
    S.IMPLEMENTED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.DUPLICATE: frozenset(),
}
TRANSITIONS[S.ACCEPTED] = TRANSITIONS[S.ACCEPTED] | {S.IMPLEMENTED}

SUPPORTABLE = frozenset({S.OPEN})
EDITABLE = frozenset({S.OPEN})  # and no support yet (Proposal.is_editable)
WITHDRAWABLE = frozenset({S.OPEN})
ANSWERABLE = WAITING | ANSWERS  # officials answer any proposal not withdrawn, merged or done
MERGEABLE = WAITING | ANSWERS  # may be marked a duplicate of another
MERGE_TARGETS = WAITING | ANSWERS | {S.IMPLEMENTED}  # may take another's supports
LISTED = frozenset(set(S) - {S.WITHDRAWN, S.DUPLICATE})  # the list shows these unless asked
SIMILAR_CANDIDATES = MERGE_TARGETS  # what a new proposal is compared with
FOLLOWABLE = frozenset(S) - {S.DUPLICATE}

STATE_LABELS = {
    "open": lazy_pgettext("proposal state", "Collecting supports"),
    "review": lazy_pgettext("proposal state", "Under review"),
    "expired": lazy_pgettext("proposal state", "Expired"),
    "accepted": lazy_pgettext("proposal state", "Accepted"),
    "rejected": lazy_pgettext("proposal state", "Rejected"),
    "planned": lazy_pgettext("proposal state", "Already planned"),
    "not_ours": lazy_pgettext("proposal state", "Not the council's responsibility"),
    "more_info": lazy_pgettext("proposal state", "Needs more information"),
    "implemented": lazy_pgettext("proposal state", "Implemented"),
    "withdrawn": lazy_pgettext("proposal state", "Withdrawn by its author"),
    "duplicate": lazy_pgettext("proposal state", "Merged into another proposal"),
}


def state_of(proposal, now=None):
    """The proposal's state now: an open proposal past its deadline reads as expired, one with
    enough supports as under review (the periodic task and the support itself write that down,
    but nobody has to wait for them). `Proposal.current_state`."""
    state = S(proposal.state)
    if state is S.OPEN:
        if proposal.total_supports >= (proposal.supports_needed or 0):
            return S.UNDER_REVIEW
        if proposal.deadline is not None and proposal.deadline <= (now or clock.now()):
            return S.EXPIRED
    return state


class Proposal(TimestampMixin, db.Model):
    """A citizen's proposal. Ask it where it is (`current_state`) and what its state allows
    (`is_supportable`, `is_answerable`...): each question reads one of the named sets above."""

    __tablename__ = "proposal"
    # Each list order read from an index within a state (50,000 proposals: the first page reads
    # twenty index entries, not a sort of every row).
    __table_args__ = (
        Index("ix_proposal_state_support_count_id", "state", "support_count", "id"),
        Index("ix_proposal_state_published_at_id", "state", "published_at", "id"),
        Index("ix_proposal_state_trending_score_id", "state", "trending_score", "id"),
        Index("ix_proposal_state_deadline_id", "state", "deadline", "id"),
        # The default list (every state but two rare ones) reads these in order and skips the few.
        Index("ix_proposal_support_count_id", "support_count", "id"),
        Index("ix_proposal_published_at_id", "published_at", "id"),
        Index("ix_proposal_trending_score_id", "trending_score", "id"),
        # A topic or an area with a status: "collecting supports" is state = 'open' AND deadline > now,
        # so the filtered list's count reads these alone; the topics list steps down the first.
        Index("ix_proposal_topic_state_deadline", "topic", "state", "deadline"),
        Index("ix_proposal_area_state_deadline", "area", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH), nullable=False)
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX_LENGTH), nullable=False)
    body_markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    topic: Mapped[str] = mapped_column(String(TOPIC_MAX_LENGTH), nullable=False, default="")
    area: Mapped[str] = mapped_column(String(AREA_MAX_LENGTH), nullable=False, default="")
    external_url: Mapped[str] = mapped_column(String(URL_MAX_LENGTH), nullable=False, default="")
    # The image, checked by its bytes (common.uploads) and stored beside the uploads.
    image_stored_name: Mapped[str | None] = mapped_column(String(64))
    image_content_type: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    image_alt: Mapped[str] = mapped_column(String(ALT_TEXT_MAX_LENGTH), nullable=False, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    author_name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default=S.OPEN.value)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # The threshold as it was when the proposal was published: a later change of the setting
    # does not move proposals already collecting.
    supports_needed: Mapped[int] = mapped_column(Integer, nullable=False)
    support_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Supports counted elsewhere before the import (CONSUL): a figure, never accounts.
    imported_support_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    imported_from: Mapped[str | None] = mapped_column(String(60), unique=True)
    last_supported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Recent supports, each halving in weight every few days; refreshed by the periodic task.
    trending_score: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    review_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    answer_markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    answer_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    discussion_id: Mapped[int | None] = mapped_column(ForeignKey("discussion.id", ondelete="SET NULL"))
    # Hidden by moderation (readers reported it), whatever its state: out of every public list, count
    # and export; its page shows everyone but its author and moderators only the reason.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="", server_default="")

    author = relationship("User", foreign_keys=[author_id])
    merged_into = relationship("Proposal", remote_side=[id], foreign_keys=[merged_into_id])

    @property
    def is_hidden(self):
        return self.hidden_at is not None

    @property
    def total_supports(self):
        return (self.support_count or 0) + (self.imported_support_count or 0)

    @property
    def current_state(self):
        return state_of(self)

    def may_become(self, target):
        return target in TRANSITIONS[self.current_state]

    @property
    def is_supportable(self):
        return self.current_state in SUPPORTABLE

    @property
    def is_editable(self):
        """Its author may change it until the first support arrives."""
        return self.current_state in EDITABLE and not self.support_count

    @property
    def is_withdrawable(self):
        return self.current_state in WITHDRAWABLE

    @property
    def is_answerable(self):
        return self.current_state in ANSWERABLE

    @property
    def is_mergeable(self):
        return self.current_state in MERGEABLE

    @property
    def is_followable(self):
        return self.current_state in FOLLOWABLE

    @property
    def is_answered(self):
        return self.current_state in ANSWERS or self.current_state is S.IMPLEMENTED


class Support(db.Model):
    """One account's support of a proposal; the unique key makes it one however many tabs race."""

    __tablename__ = "proposal_support"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id", name="uq_proposal_support_proposal_id_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class ProposalFollow(db.Model):
    __tablename__ = "proposal_follow"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id", name="uq_proposal_follow_proposal_id_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class SupportDay(db.Model):
    """Supports of a proposal per day (UTC), kept with each support: the trending score reads the
    last days of these, never the supports themselves."""

    __tablename__ = "proposal_support_day"
    __table_args__ = (Index("ix_proposal_support_day_day", "day"),)

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
