"""Consultation tables: the consultation (with its phase and the named sets of what each phase
allows), its public timeline, its public list of corrections, questions, responses, statements,
documents and draft text."""

import enum
from datetime import date, datetime

from flask_babel import lazy_pgettext
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.common import clock
from civic.common.models import TimestampMixin, UTCDateTime, utcnow
from civic.consultations.questionnaire import QuestionSpec
from civic.extensions import db

TITLE_MAX_LENGTH = 150
SUMMARY_MAX_LENGTH = 500
BODY_MAX_LENGTH = 50_000
LABEL_MAX_LENGTH = 80
CONTACT_MAX_LENGTH = 300


class Phase(str, enum.Enum):
    """Where a consultation is in its life; derived from its publication and dates (Consultation.phase)."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    OUTCOME_PUBLISHED = "outcome_published"


PHASE_LABELS = {
    "draft": lazy_pgettext("consultation phase", "Draft"),
    "scheduled": lazy_pgettext("consultation phase", "Upcoming"),
    "open": lazy_pgettext("consultation phase", "Open"),
    "closed": lazy_pgettext("consultation phase", "Closed"),
    "outcome_published": lazy_pgettext("consultation phase", "Outcome published"),
}

ACCEPTING_RESPONSES = frozenset({Phase.OPEN})  # responses, statements and votes on them
PUBLISHABLE = frozenset({Phase.DRAFT})
DELETABLE = frozenset({Phase.DRAFT})
FREELY_EDITABLE = frozenset({Phase.DRAFT})  # later edits are corrections, listed publicly
CHANGEABLE = frozenset({Phase.DRAFT, Phase.SCHEDULED, Phase.OPEN, Phase.CLOSED})  # not once the outcome is out
ENDED = frozenset({Phase.CLOSED, Phase.OUTCOME_PUBLISHED})
OUTCOME_ALLOWED = ENDED
CLOSABLE_EARLY = frozenset({Phase.OPEN})
TEXT_COMMENTABLE = frozenset({Phase.OPEN})  # the draft text's passages take comments


class Consultation(TimestampMixin, db.Model):
    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH), nullable=False)
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX_LENGTH), nullable=False, default="")
    body_markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    topic: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH), nullable=False, default="", index=True)
    area: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH), nullable=False, default="", index=True)
    contact: Mapped[str] = mapped_column(String(CONTACT_MAX_LENGTH), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Publication and dates decide the phase; nobody has to press a button at opening or closing.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    closed_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_early_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    outcome_markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    outcome_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    outcome_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    discussion_id: Mapped[int | None] = mapped_column(ForeignKey("discussion.id", ondelete="SET NULL"))
    response_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # When followers and respondents were told that it closed (set by the periodic task).
    closed_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    statements_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Citizens' statements wait for a moderator before anyone votes on them.
    statements_premoderated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # People without an account may respond; an emailed link makes their response count.
    anonymous_responses: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The draft text put up for comment, as the official wrote it; split into DraftSection rows.
    draft_text_markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")

    created_by = relationship("User", foreign_keys=[created_by_id])
    timeline: Mapped[list["TimelinePhase"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="TimelinePhase.position"
    )
    questions: Mapped[list["Question"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="Question.position"
    )
    corrections: Mapped[list["Correction"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="Correction.created_at.desc()"
    )
    documents: Mapped[list["Document"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="Document.position"
    )
    outcome_items: Mapped[list["OutcomeItem"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="OutcomeItem.position"
    )

    def phase_at(self, now):
        if self.published_at is None:
            return Phase.DRAFT
        if self.outcome_published_at is not None:
            return Phase.OUTCOME_PUBLISHED
        if self.opens_at and now < self.opens_at:
            return Phase.SCHEDULED
        if self.closes_at and now >= self.closes_at:
            return Phase.CLOSED
        return Phase.OPEN

    @property
    def phase(self):
        """The phase now: it opens and closes on time without anyone pressing a button."""
        return self.phase_at(clock.now())

    @property
    def is_published(self):
        return self.published_at is not None

    @property
    def changes_are_corrections(self):
        """Is each change now a correction, listed publicly with its date?"""
        return self.phase not in FREELY_EDITABLE

    @property
    def accepts_responses(self):
        return self.phase in ACCEPTING_RESPONSES

    @property
    def takes_anonymous_responses(self):
        return self.anonymous_responses and self.accepts_responses

    @property
    def takes_statement_votes(self):
        return bool(self.statements_enabled) and self.accepts_responses

    @property
    def text_takes_comments(self):
        return self.phase in TEXT_COMMENTABLE

    @property
    def has_ended(self):
        return self.phase in ENDED

    @property
    def days_left(self):
        """Whole days (rounded up) until it closes, while it is open; None otherwise."""
        now = clock.now()
        if self.phase_at(now) is not Phase.OPEN:
            return None
        seconds = (self.closes_at - now).total_seconds()
        return max(0, int(-(-seconds // 86400)))


class TimelinePhase(db.Model):
    """A stage shown to the public ("Information", "Consultation", "Analysis", "Outcome")."""

    __tablename__ = "consultation_timeline_phase"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    name: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH), nullable=False)
    description: Mapped[str] = mapped_column(String(SUMMARY_MAX_LENGTH), nullable=False, default="")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    consultation: Mapped[Consultation] = relationship(back_populates="timeline")


class Correction(db.Model):
    """A change to a published consultation, listed publicly with its date."""

    __tablename__ = "consultation_correction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), nullable=False)
    fields: Mapped[str] = mapped_column(String(300), nullable=False, default="")

    consultation: Mapped[Consultation] = relationship(back_populates="corrections")


class Question(db.Model):
    """One question of a consultation's questionnaire; `section` starts a new headed section."""

    __tablename__ = "consultation_question"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    section: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH), nullable=False, default="")
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    prompt: Mapped[str] = mapped_column(String(500), nullable=False)
    help_text: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    options: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    allow_other: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    scale_min: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    scale_max: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    scale_min_label: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH), nullable=False, default="")
    scale_max_label: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH), nullable=False, default="")

    consultation: Mapped[Consultation] = relationship(back_populates="questions")

    def spec(self):
        return QuestionSpec(
            kind=self.kind,
            required=self.required,
            options=tuple(self.options or ()),
            allow_other=self.allow_other,
            scale_min=self.scale_min,
            scale_max=self.scale_max,
        )


class Response(db.Model):
    """One person's response to a consultation: saved as they go, counted once submitted.

    A response without an account carries a normalised `email` instead of a user and counts
    (gets `submitted_at`) only when the emailed link is followed; `confirmation_nonce` changes
    whenever its answers are replaced, so an older link stops working."""

    __tablename__ = "consultation_response"
    __table_args__ = (
        UniqueConstraint("consultation_id", "user_id", name="uq_consultation_response_consultation_id_user_id"),
        UniqueConstraint("consultation_id", "email", name="uq_consultation_response_consultation_id_email"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email: Mapped[str | None] = mapped_column(String(320))
    confirmation_nonce: Mapped[str | None] = mapped_column(String(32))
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    answers: Mapped[list["Answer"]] = relationship(
        back_populates="response", cascade="all, delete-orphan", lazy="selectin"
    )


class Answer(db.Model):
    __tablename__ = "consultation_answer"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id", name="uq_consultation_answer_response_id_question_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_response.id", ondelete="CASCADE"), nullable=False, index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_question.id", ondelete="CASCADE"), nullable=False, index=True
    )
    value: Mapped[object] = mapped_column(JSON, nullable=True)
    other_text: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    response: Mapped[Response] = relationship(back_populates="answers")


class ConsultationFollow(db.Model):
    __tablename__ = "consultation_follow"
    __table_args__ = (
        UniqueConstraint("consultation_id", "user_id", name="uq_consultation_follow_consultation_id_user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


STATEMENT_MAX_LENGTH = 280


class StatementStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


VOTABLE_STATEMENTS = frozenset({StatementStatus.APPROVED})
# Shown to everyone: readers may report it, and enough reports move it to REJECTED pending review
# (a moderator who dismisses the reports moves it back: consultations.services.statements).
HIDEABLE_STATEMENTS = frozenset({StatementStatus.APPROVED})


class Statement(db.Model):
    """A short statement that participants vote on one at a time (agree, disagree, pass)."""

    __tablename__ = "consultation_statement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    text: Mapped[str] = mapped_column(String(STATEMENT_MAX_LENGTH), nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    seeded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=StatementStatus.PENDING.value)
    external_id: Mapped[int | None] = mapped_column(Integer)  # its id in an imported Pol.is export
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
    # The rule of automatic pre-moderation that held it PENDING (civic.premoderation), and
    # what it matched; empty when nothing fired.
    held_rule: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    held_matched: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    agree_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    disagree_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    pass_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    author = relationship("User", foreign_keys=[author_id])
    consultation = relationship("Consultation", foreign_keys=[consultation_id], viewonly=True)

    @property
    def is_hideable_by_reports(self):
        return StatementStatus(self.status) in HIDEABLE_STATEMENTS


class StatementVote(db.Model):
    """A participant's current vote on a statement (the last one they cast)."""

    __tablename__ = "consultation_statement_vote"
    __table_args__ = (
        UniqueConstraint("statement_id", "participant", name="uq_consultation_statement_vote_statement_id_participant"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_statement.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # "user:<id>" for Civic accounts, "polis:<id>" for participants of an imported conversation.
    participant: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    value: Mapped[int] = mapped_column(SmallInteger, nullable=False)  # 1 agree, -1 disagree, 0 pass
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class StatementVoteEvent(db.Model):
    """Every vote ever cast, in order; the last per participant and statement counts."""

    __tablename__ = "consultation_statement_vote_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_statement.id", ondelete="CASCADE"), nullable=False, index=True
    )
    participant: Mapped[str] = mapped_column(String(40), nullable=False)
    value: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


DOCUMENT_TITLE_MAX_LENGTH = 150
ALT_TEXT_MAX_LENGTH = 300


class DocumentRole(str, enum.Enum):
    DOCUMENT = "document"  # an attached document people read before answering
    COVER = "cover"  # the optional cover image (at most one)


class Document(db.Model):
    """A file attached to a consultation, stored under instance/uploads by a random name."""

    __tablename__ = "consultation_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(10), nullable=False, default=DocumentRole.DOCUMENT.value)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    title: Mapped[str] = mapped_column(String(DOCUMENT_TITLE_MAX_LENGTH), nullable=False, default="")
    alt_text: Mapped[str] = mapped_column(String(ALT_TEXT_MAX_LENGTH), nullable=False, default="")
    filename: Mapped[str] = mapped_column(String(200), nullable=False)  # the name offered on download
    stored_name: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    consultation: Mapped[Consultation] = relationship(back_populates="documents")


class DraftSection(db.Model):
    """One commentable block of a consultation's draft text (a heading or a paragraph, list,
    quote or table), with its own discussion. When the text is replaced, a block whose text
    is unchanged keeps its discussion; a block that went away is kept with `retired_at` so its
    comments stay readable."""

    __tablename__ = "consultation_draft_section"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)  # heading, paragraph, list, quote, table, code
    level: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)  # heading level, 0 otherwise
    markdown: Mapped[str] = mapped_column(Text, nullable=False)
    html: Mapped[str] = mapped_column(Text, nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    discussion_id: Mapped[int | None] = mapped_column(ForeignKey("discussion.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    discussion = relationship("Discussion", foreign_keys=[discussion_id])


OUTCOME_ITEM_MAX_LENGTH = 2_000


class OutcomeItem(db.Model):
    """One "you said / we did" pair of a published outcome, linked to a question or a theme."""

    __tablename__ = "consultation_outcome_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("consultation_question.id", ondelete="SET NULL"))
    theme: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH), nullable=False, default="")
    you_said: Mapped[str] = mapped_column(Text, nullable=False)
    we_did: Mapped[str] = mapped_column(Text, nullable=False)

    consultation: Mapped[Consultation] = relationship(back_populates="outcome_items")
    question = relationship("Question")
