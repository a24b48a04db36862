"""Petition tables: petitions, their signatures, official responses and debates, the rules
that invalidate fraudulent signatures, and mailings to signers."""

import enum
from datetime import date, datetime

from flask_babel import lazy_pgettext
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.common import clock
from civic.common.models import TimestampMixin, UTCDateTime, utcnow
from civic.extensions import db

TITLE_MAX_LENGTH = 80
BACKGROUND_MAX_LENGTH = 300
DETAILS_MAX_LENGTH = 800
NAME_MAX_LENGTH = 100
COMMENT_MAX_LENGTH = 1_000
RESPONSE_SUMMARY_MAX_LENGTH = 500
RESPONSE_DETAILS_MAX_LENGTH = 10_000
URL_MAX_LENGTH = 500


class PetitionState(str, enum.Enum):
    """Where a petition is; it moves only through `move_petition` in petitions.services.lifecycle."""

    DRAFT = "draft"  # the creator is collecting sponsors
    PENDING = "pending"  # enough sponsors: waiting for a moderator
    FLAGGED = "flagged"  # a moderator asked for a second opinion
    OPEN = "open"  # taking signatures until closes_at
    CLOSED = "closed"
    REJECTED = "rejected"  # shown with its reason
    HIDDEN = "hidden"  # rejected and not shown (offensive, or contains personal data)


S = PetitionState
TRANSITIONS = {
    S.DRAFT: frozenset({S.PENDING}),
    S.PENDING: frozenset({S.OPEN, S.REJECTED, S.HIDDEN, S.FLAGGED}),
    S.FLAGGED: frozenset({S.OPEN, S.REJECTED, S.HIDDEN}),
    # Readers' reports may hide a published petition pending review (moderation.kinds); a moderator
    # who dismisses the reports shows it again (petitions.services.moderation.show_petition_again:
    # only a petition the reports hid, never one a moderator rejected and hid).
    S.OPEN: frozenset({S.CLOSED, S.HIDDEN}),
    S.CLOSED: frozenset({S.HIDDEN}),
    S.REJECTED: frozenset(),
    S.HIDDEN: frozenset({S.OPEN, S.CLOSED}),
}
COLLECTING_SPONSORS = frozenset({S.DRAFT})  # its creator may still change the text
SPONSORABLE = frozenset({S.DRAFT, S.PENDING})  # sponsors may still sign while it waits for moderation
SIGNABLE = frozenset({S.OPEN})
MODERATABLE = frozenset({S.PENDING, S.FLAGGED})
PUBLIC = frozenset({S.OPEN, S.CLOSED, S.REJECTED})  # listed and shown to everyone
PUBLISHED = frozenset({S.OPEN, S.CLOSED})  # went through moderation and took signatures
RESPONDABLE = PUBLISHED
REJECTED_STATES = frozenset({S.REJECTED, S.HIDDEN})  # turned down by a moderator: shown with the reason, or hidden
SIMILAR_CANDIDATES = PUBLIC  # what a new petition is compared with
HIDEABLE_BY_REPORTS = PUBLISHED  # readers may report it; enough reports hide it (HIDDEN) pending review

STATE_LABELS = {
    "draft": lazy_pgettext("petition state", "Collecting sponsors"),
    "pending": lazy_pgettext("petition state", "Awaiting moderation"),
    "flagged": lazy_pgettext("petition state", "Awaiting moderation"),
    "open": lazy_pgettext("petition state", "Open"),
    "closed": lazy_pgettext("petition state", "Closed"),
    "rejected": lazy_pgettext("petition state", "Rejected"),
    "hidden": lazy_pgettext("petition state", "Rejected"),
}


class RejectionReason(str, enum.Enum):
    DUPLICATE = "duplicate"
    NOT_OUR_RESPONSIBILITY = "not_responsibility"
    NO_CLEAR_ACTION = "no_action"
    OFFENSIVE = "offensive"
    PERSONAL_DATA = "personal_data"
    ALREADY_DOING = "already_doing"
    FALSE_OR_DEFAMATORY = "defamatory"
    HONOURS_OR_APPOINTMENTS = "honours"
    IRRELEVANT = "irrelevant"


HIDING_REASONS = frozenset(
    {RejectionReason.OFFENSIVE, RejectionReason.PERSONAL_DATA, RejectionReason.FALSE_OR_DEFAMATORY}
)

REJECTION_LABELS = {
    "duplicate": lazy_pgettext("rejection", "There's already a petition about this"),
    "not_responsibility": lazy_pgettext("rejection", "It's about something the council is not responsible for"),
    "no_action": lazy_pgettext("rejection", "It did not ask for a clear action"),
    "offensive": lazy_pgettext("rejection", "It was offensive, nonsense, a joke, or an advert"),
    "personal_data": lazy_pgettext("rejection", "It included information about a particular person"),
    "already_doing": lazy_pgettext("rejection", "The council is already doing what it asks"),
    "defamatory": lazy_pgettext(
        "rejection", "It included potentially confidential, libellous, false or defamatory information"
    ),
    "honours": lazy_pgettext("rejection", "It was about honours or appointments"),
    "irrelevant": lazy_pgettext("rejection", "It was not a petition (a question, an FOI request, or a complaint)"),
}


def state_of(petition, now=None):
    """The petition's state now; an open petition past its closing time reads as closed (the
    periodic task writes that down, but nobody has to wait for it). `Petition.current_state`."""
    state = S(petition.state)
    if state is S.OPEN and petition.closes_at is not None and petition.closes_at <= (now or clock.now()):
        return S.CLOSED
    return state


class Petition(TimestampMixin, db.Model):
    """A petition. Ask it where it is (`current_state`) and what its state allows (`is_signable`,
    `is_public`...): each question reads one of the named sets above."""

    __tablename__ = "petition"
    # The list's default order (most signatures first within a state) read from an index, not
    # sorted per request, and its count read from the index alone (50,000 open petitions: the
    # count went from 15 ms to 4 ms, the first page's rows from a sort to 0.1 ms on PostgreSQL).
    __table_args__ = (
        Index("ix_petition_state_signature_count_id", "state", "signature_count", "id"),
        Index("ix_petition_state_closes_at", "state", "closes_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH), nullable=False)
    background: Mapped[str] = mapped_column(String(BACKGROUND_MAX_LENGTH), nullable=False)
    details: Mapped[str] = mapped_column(Text, nullable=False, default="")
    topic: Mapped[str] = mapped_column(String(80), nullable=False, default="", index=True)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=S.DRAFT.value, index=True)
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    creator_name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), nullable=False)
    creator_anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The secret part of the link the creator shares with sponsors.
    sponsor_token: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    sponsor_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Moderation
    moderation_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    flag_note: Mapped[str] = mapped_column(String(COMMENT_MAX_LENGTH), nullable=False, default="")
    rejection_reason: Mapped[str | None] = mapped_column(String(20))
    rejection_comment: Mapped[str] = mapped_column(String(COMMENT_MAX_LENGTH), nullable=False, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("petition.id", ondelete="SET NULL"))
    # Life while open
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signature_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, index=True)
    last_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    response_threshold_reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    debate_threshold_reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The official response and the debate
    response_summary: Mapped[str] = mapped_column(String(RESPONSE_SUMMARY_MAX_LENGTH), nullable=False, default="")
    response_details_markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    response_details_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    debate_scheduled_on: Mapped[date | None] = mapped_column(Date)
    debated_on: Mapped[date | None] = mapped_column(Date, index=True)
    debate_overview_markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    debate_overview_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    debate_transcript_url: Mapped[str] = mapped_column(String(URL_MAX_LENGTH), nullable=False, default="")
    debate_video_url: Mapped[str] = mapped_column(String(URL_MAX_LENGTH), nullable=False, default="")
    discussion_id: Mapped[int | None] = mapped_column(ForeignKey("discussion.id", ondelete="SET NULL"))

    creator = relationship("User", foreign_keys=[creator_id])
    duplicate_of = relationship("Petition", remote_side=[id], foreign_keys=[duplicate_of_id])

    @property
    def current_state(self):
        return state_of(self)

    def may_become(self, target):
        """Does the transition table allow the move from the current state to `target`?"""
        return target in TRANSITIONS[self.current_state]

    @property
    def is_collecting_sponsors(self):
        return self.current_state in COLLECTING_SPONSORS

    @property
    def is_sponsorable(self):
        return self.current_state in SPONSORABLE

    @property
    def is_signable(self):
        return self.current_state in SIGNABLE

    @property
    def is_moderatable(self):
        return self.current_state in MODERATABLE

    @property
    def is_flaggable(self):
        """A moderator may still ask for a second opinion (not twice)."""
        return self.may_become(S.FLAGGED)

    @property
    def is_public(self):
        return self.current_state in PUBLIC

    @property
    def is_published(self):
        return self.current_state in PUBLISHED

    @property
    def is_respondable(self):
        return self.current_state in RESPONDABLE

    @property
    def is_rejected(self):
        return self.current_state in REJECTED_STATES

    @property
    def is_hideable_by_reports(self):
        return self.current_state in HIDEABLE_BY_REPORTS

    @property
    def is_hidden_pending_review(self):
        """HIDDEN by readers' reports (a published petition, no rejection reason), not by a moderator."""
        return self.current_state is S.HIDDEN and self.rejection_reason is None and self.opened_at is not None


class Signature(db.Model):
    """One person's signature. `email_key` (common.emails.mailbox_key) is unique per petition,
    so that one mailbox signs once however it is spelled. It counts while `validated_at` is set
    and `invalidated_at` is not."""

    __tablename__ = "petition_signature"
    __table_args__ = (
        UniqueConstraint("petition_id", "email_key", name="uq_petition_signature_petition_id_email_key"),
        Index("ix_petition_signature_petition_id_created_at", "petition_id", "created_at"),
        Index("ix_petition_signature_petition_id_area", "petition_id", "area"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False)  # as typed, to write to
    email_key: Mapped[str] = mapped_column(String(320), nullable=False)
    email_domain: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    area: Mapped[str] = mapped_column(String(80), nullable=False)
    notify: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sponsor: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    ip_address: Mapped[str] = mapped_column(String(45), nullable=False, default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    # A random value in the emailed links; changes when a new confirmation link is sent.
    token: Mapped[str] = mapped_column(String(40), nullable=False)
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invalidated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invalidation_id: Mapped[int | None] = mapped_column(
        ForeignKey("petition_invalidation.id", ondelete="SET NULL"), index=True
    )

    petition: Mapped[Petition] = relationship()

    @hybrid_property
    def counts(self):
        """Confirmed and not invalidated (also usable in a query: `where(Signature.counts)`)."""
        return self.validated_at is not None and self.invalidated_at is None

    @counts.inplace.expression
    @classmethod
    def _counts_expression(cls):
        return and_(cls.validated_at.isnot(None), cls.invalidated_at.is_(None))


class Invalidation(db.Model):
    """A rule that invalidated signatures in bulk (address range, email domain, time window),
    with its reason; reverting it restores them."""

    __tablename__ = "petition_invalidation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"), nullable=False, index=True)
    ip_range: Mapped[str] = mapped_column(String(50), nullable=False, default="")  # CIDR, e.g. 203.0.113.0/24
    email_domain: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    signed_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(COMMENT_MAX_LENGTH), nullable=False)
    matched_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reverted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revert_reason: Mapped[str] = mapped_column(String(COMMENT_MAX_LENGTH), nullable=False, default="")

    created_by = relationship("User", foreign_keys=[created_by_id])
    reverted_by = relationship("User", foreign_keys=[reverted_by_id])


class AreaTally(db.Model):
    """Counted signatures of a petition per area, kept with each signature, so that a petition
    page never counts a million rows."""

    __tablename__ = "petition_area_tally"

    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"), primary_key=True)
    area: Mapped[str] = mapped_column(String(80), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class HourTally(db.Model):
    """Counted signatures of a petition per hour (UTC) of confirmation, for "signatures over time"
    in any time zone."""

    __tablename__ = "petition_hour_tally"

    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
