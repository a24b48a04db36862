"""The search outbox: which items' index entries must be rebuilt, written in the same transaction
as the change to the item and deleted once the index has it (civic.search.indexing)."""

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civic.common.models import UTCDateTime, utcnow
from civic.extensions import db

KIND_MAX_LENGTH = 40


class SearchOutboxEntry(db.Model):
    """An item whose index entry is out of date: indexed again (or removed) after the commit."""

    __tablename__ = "search_outbox"
    __table_args__ = (Index("ix_search_outbox_kind_item", "kind", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(KIND_MAX_LENGTH), nullable=False)
    item_id: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
