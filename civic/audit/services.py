"""Writing and reading the audit log.

record_staff_action never commits: the caller's change and its audit entry commit together or not at all.
Entries are only ever appended, each sealed into the hash chain (civic/audit/chain.py)."""

import json

from sqlalchemy import select

from civic.audit.chain import seal
from civic.audit.models import AuditEntry
from civic.common.models import utcnow
from civic.common.pagination import paginate
from civic.extensions import db

REASON_MAX_LENGTH = 2000

_LISTENERS = {}  # action code -> functions called with each new entry of that action


def register_listener(action, listener):
    """`listener(entry)` runs in the same transaction each time an entry of `action` is recorded
    (civic.moderation records petitions' and statements' rejections as appealable decisions), so
    that audit imports no domain."""
    listeners = _LISTENERS.setdefault(action, [])
    if listener not in listeners:  # create_app runs once per app, and tests make many
        listeners.append(listener)


def record_staff_action(actor, action, target_type, target_id=None, target_label="", reason="", details=None):
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=(target_label or "")[:200],
        reason=(reason or "")[:REASON_MAX_LENGTH],
        # As the JSON column will give it back (tuples become lists...), so that the hash matches.
        details=json.loads(json.dumps(details or {})),
    )
    seal(db.session, entry)
    db.session.add(entry)
    for listener in _LISTENERS.get(action, ()):
        listener(entry)
    return entry


def list_audit_entries(*, action=None, actions=None, target_type=None, target_id=None, page=1, per_page=50):
    """actions: only entries whose action is one of these (the moderation log)."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if actions is not None:
        query = query.where(AuditEntry.action.in_(sorted(actions)))
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    return paginate(query, page=page, per_page=per_page)
