"""Discussion tables: categories, discussions, comments (a materialised-path tree), votes, revisions, follows."""

import enum
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.common.models import TimestampMixin, UTCDateTime, utcnow
from civic.discussions.contexts import context_of
from civic.extensions import db

TITLE_MAX_LENGTH = 150
BODY_MAX_LENGTH = 10_000
COMMENT_MAX_LENGTH = 10_000
CATEGORY_NAME_MAX_LENGTH = 80
CATEGORY_DESCRIPTION_MAX_LENGTH = 500
REASON_MAX_LENGTH = 500  # a lock's, or a hidden comment's, stated reason
PATH_SEGMENT_WIDTH = 10  # zero-padded ids: sorting paths as text sorts the tree depth-first


class Stance(str, enum.Enum):
    IN_FAVOUR = "in_favour"
    AGAINST = "against"
    NEUTRAL = "neutral"


STANCE_LABELS = {
    Stance.IN_FAVOUR.value: _l("In favour"),
    Stance.AGAINST.value: _l("Against"),
    Stance.NEUTRAL.value: _l("Neutral"),
}


class Category(db.Model):
    __tablename__ = "discussion_category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(CATEGORY_NAME_MAX_LENGTH), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(CATEGORY_NAME_MAX_LENGTH), nullable=False)
    description: Mapped[str] = mapped_column(String(CATEGORY_DESCRIPTION_MAX_LENGTH), nullable=False, default="")
    citizens_may_start: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class Discussion(TimestampMixin, db.Model):
    __tablename__ = "discussion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussion_category.id", ondelete="SET NULL"), index=True
    )
    # What the discussion is attached to, when it is not a topic of its own ("consultation", 4).
    context_type: Mapped[str | None] = mapped_column(String(40))
    context_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH), nullable=False)
    body_markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lock_reason: Mapped[str] = mapped_column(String(REASON_MAX_LENGTH), nullable=False, default="")
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why moderation hid it (a topic readers reported): shown in its place to everyone but its starter
    # and moderators.
    hidden_reason: Mapped[str] = mapped_column(String(REASON_MAX_LENGTH), nullable=False, default="", server_default="")
    # Counters kept with each change, so that pages never count thousands of rows.
    comment_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    top_level_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    in_favour_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    against_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    neutral_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)

    category = relationship(Category)
    author = relationship("User", foreign_keys=[author_id])

    __table_args__ = (Index("ix_discussion_context", "context_type", "context_id"),)

    @property
    def is_locked(self):
        return self.locked_at is not None

    @property
    def is_hidden(self):
        return self.hidden_at is not None

    @property
    def is_topic(self):
        return self.context_type is None

    @property
    def why_closed(self):
        """Why the discussion takes no comments now, or None when it takes them: the object it is
        attached to does not (a draft text before its consultation opens), or a moderator locked it."""
        about = context_of(self)
        if about is not None and not about.accepts_comments:
            return about.closed_message
        if self.is_locked:
            return _("This discussion is locked: %(reason)s", reason=self.lock_reason)
        return None

    @property
    def takes_comments(self):
        return self.why_closed is None


class Comment(db.Model):
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussion.id", ondelete="CASCADE"), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    root_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the top-level ancestor (itself at the top)
    depth: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)
    path: Mapped[str] = mapped_column(String(700), nullable=False, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    body_markdown: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False)
    stance: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str] = mapped_column(String(REASON_MAX_LENGTH), nullable=False, default="")
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    upvotes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    downvotes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    best_score: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    controversy: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    reply_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # all descendants
    # Held by automatic pre-moderation (civic.premoderation): stored, shown only to its
    # author and moderators, in no count, until a moderator approves it (held_at back to None) or
    # rejects it (hidden_at set, with the reason, and held_at kept: it never appears).
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    held_rule: Mapped[str] = mapped_column(String(20), nullable=False, default="")  # the rule that fired
    held_matched: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # what it matched

    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    discussion = relationship(Discussion)

    __table_args__ = (
        Index("ix_comment_discussion_path", "discussion_id", "path"),
        Index("ix_comment_top_best", "discussion_id", "depth", "best_score"),
        Index("ix_comment_top_created", "discussion_id", "depth", "created_at"),
        Index("ix_comment_root_depth", "root_id", "depth"),
        Index("ix_comment_created_at", "created_at"),  # the texts of the last minutes (bursts)
    )

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    @property
    def is_hidden(self):
        return self.hidden_at is not None

    @property
    def is_held(self):
        """Waiting for a moderator's review (or rejected after it): never shown publicly."""
        return self.held_at is not None

    @property
    def is_removed(self):
        return self.deleted_at is not None or self.hidden_at is not None or self.held_at is not None

    @property
    def score(self):
        return self.upvotes - self.downvotes


class CommentRevision(db.Model):
    """An earlier text of an edited comment, kept for moderators."""

    __tablename__ = "comment_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), nullable=False, index=True)
    body_markdown: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)  # when this text was written
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class CommentVote(db.Model):
    __tablename__ = "comment_vote"
    __table_args__ = (UniqueConstraint("comment_id", "user_id", name="uq_comment_vote_comment_id_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    value: Mapped[int] = mapped_column(SmallInteger, nullable=False)  # +1 or -1
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class DiscussionFollow(db.Model):
    __tablename__ = "discussion_follow"
    __table_args__ = (UniqueConstraint("discussion_id", "user_id", name="uq_discussion_follow_discussion_id_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussion.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
