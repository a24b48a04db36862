"""The audit log table, shared by every domain's staff actions."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.common.models import UTCDateTime, utcnow
from civic.extensions import db


class AuditEntry(db.Model):
    """Append-only: entries are never updated or deleted, and each carries the hash of the one
    before it (civic/audit/chain.py; `flask civic verify-audit` checks the chain)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
    # Null actor: the system or the command line did it.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    target_type: Mapped[str] = mapped_column(String(40), nullable=False)
    target_id: Mapped[int | None] = mapped_column(Integer)
    target_label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    # The hash chain: the entry's place (1, 2, 3... with no gaps), the previous entry's hash
    # and this entry's hash, hex SHA-256.
    chain_index: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    previous_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False)

    actor = relationship("User", foreign_keys=[actor_id])
