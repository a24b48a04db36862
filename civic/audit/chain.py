"""The audit log's hash chain: each entry carries the hash of the one before it, so that an entry
changed or deleted afterwards (by hand, in the database) shows up when the chain is checked.

An entry's hash is the SHA-256 of a canonical JSON serialisation (sorted keys, UTC ISO times) of
every column that says what happened, plus its place in the chain and the previous entry's hash.
Appending takes a lock held until the transaction ends, so that two transactions appending at
once cannot both chain to the same entry."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import select, text

from civic.audit.models import AuditEntry

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key for appending to the audit log (any fixed 64-bit number).
APPEND_LOCK_KEY = 0x61756469745F6C67  # "audit_lg"
VERIFY_BATCH = 1000

HASHED_FIELDS = (
    "chain_index",
    "created_at",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "reason",
    "details",
    "previous_hash",
)


def entry_hash(values):
    """values: a mapping (or an object with attributes) holding HASHED_FIELDS."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    payload = {name: get(name) for name in HASHED_FIELDS}
    payload["created_at"] = payload["created_at"].astimezone(UTC).isoformat()
    for name in ("chain_index", "actor_id", "target_id"):  # as the database gives them back
        payload[name] = None if payload[name] is None else int(payload[name])
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def lock_for_append(session):
    """Hold the audit log's append lock until the session's transaction ends."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
    elif dialect == "sqlite":
        # SQLite has one writer at a time, but a transaction only becomes the writer at its first
        # write: a write that changes nothing makes it the writer now (waiting for any other),
        # before it reads the last entry.
        session.execute(text("UPDATE audit_entry SET id = id WHERE 0 = 1"))


def chain_head(session):
    """(chain_index, entry_hash) of the last entry, or (0, GENESIS_HASH) for an empty log."""
    last = session.execute(
        select(AuditEntry.chain_index, AuditEntry.entry_hash).order_by(AuditEntry.chain_index.desc()).limit(1)
    ).first()
    return (last.chain_index, last.entry_hash) if last else (0, GENESIS_HASH)


def seal(session, entry):
    """Give a new entry its place in the chain and its hash. Call before adding it."""
    lock_for_append(session)
    index, previous = chain_head(session)
    entry.chain_index = index + 1
    entry.previous_hash = previous
    entry.entry_hash = entry_hash(entry)


@dataclass(frozen=True)
class Verdict:
    count: int
    head_hash: str
    broken_id: int | None = None
    problem: str = ""  # "changed", "missing", "previous"
    explanation: str = ""

    @property
    def intact(self):
        return self.broken_id is None


def verify_chain(session, batch=VERIFY_BATCH):
    """Walk the whole chain in order, a batch at a time; stop at the first broken entry. Reads
    columns, not entities: the session's cached objects could hide a change made in the database."""
    columns = [AuditEntry.id, AuditEntry.entry_hash] + [getattr(AuditEntry, name) for name in HASHED_FIELDS]
    count, index, previous = 0, 0, GENESIS_HASH
    while True:
        rows = session.execute(
            select(*columns).where(AuditEntry.chain_index > index).order_by(AuditEntry.chain_index).limit(batch)
        ).all()
        if not rows:
            return Verdict(count, previous)
        for row in rows:
            if row.chain_index != index + 1:
                return Verdict(count, previous, row.id, "missing", _missing(index + 1, row.chain_index - 1))
            if entry_hash(row) != row.entry_hash:
                return Verdict(count, previous, row.id, "changed", "its content no longer matches its hash")
            if row.previous_hash != previous:
                return Verdict(
                    count, previous, row.id, "previous", "its previous hash is not the hash of the entry before it"
                )
            count, index, previous = count + 1, row.chain_index, row.entry_hash


def _missing(first, last):
    if first == last:
        return f"entry {first} of the chain, just before it, is missing (deleted)"
    return f"entries {first} to {last} of the chain, just before it, are missing (deleted)"
