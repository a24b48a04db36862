"""The notification table: one row per person told about something."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.common.models import UTCDateTime, utcnow
from civic.extensions import db


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)  # mention, reply, followed_comment
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    discussion_id: Mapped[int | None] = mapped_column(ForeignKey("discussion.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    implementation_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("implementation_record.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    actor = relationship("User", foreign_keys=[actor_id], lazy="joined")
    discussion = relationship("Discussion", lazy="joined")
    comment = relationship("Comment", lazy="joined")
    consultation = relationship("Consultation", lazy="joined")
    proposal = relationship("Proposal", lazy="joined")
    implementation_record = relationship("ImplementationRecord", lazy="joined")
