"""Mailing: one email to many people, recorded with the change that causes it and sent in batches."""

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civic.common.models import UTCDateTime, utcnow
from civic.extensions import db


class Mailing(db.Model):
    """An email to everyone a kind of mailing names (a petition's signers who asked for news, a
    consultation's followers and respondents...), sent by the periodic task (`flask civic tick`)
    in batches; `last_key` is the cursor (the recipients' increasing key) it has got to."""

    __tablename__ = "mailing"
    __table_args__ = (Index("ix_mailing_about", "about_type", "about_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    about_type: Mapped[str] = mapped_column(String(30), nullable=False)
    about_id: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_key: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sent_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
