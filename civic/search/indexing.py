"""Keeping the search index in step with the database: the registry through which each domain says
how an item of its kind becomes a SearchDocument, the outbox rows written in the same transaction
as a change to a registered model (a session listener, so no service has to remember), applying
them after the commit, when a process starts, by the periodic task, and the rebuild and check
behind `flask search reindex` / `flask search check`."""

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import delete, event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

from civic.extensions import db
from civic.search.models import SearchOutboxEntry
from civic.search.postgres_backend import PostgresBackend
from civic.search.whoosh_backend import WhooshBackend

log = logging.getLogger(__name__)
BATCH = 500
EXTENSION = "civic_search"


@dataclass(frozen=True)
class SearchKind:
    """One kind of searchable item. `document_of(item)` builds its SearchDocument (public=False when
    the public may not see it); a change to a `watched` column (all columns when None) re-indexes it;
    `dependents(item)` names the (kind, id) whose documents depend on it (a discussion's comments)."""

    kind: str
    model: type
    document_of: object
    watched: frozenset | None = None
    dependents: object = None


KINDS = {}
_BY_MODEL = {}
_PARTS = {}  # model -> function(row) naming the (kind, id) whose document shows the row


def register_search_part(model, owner_of):
    """Rows shown inside another item's document (a consultation's documents): a change to one
    re-indexes that item."""
    _PARTS[model] = owner_of
    _listen_for_changes()


def register_search_kind(kind, model, document_of, *, watched=None, dependents=None):
    entry = SearchKind(kind, model, document_of, frozenset(watched) if watched else None, dependents)
    KINDS[kind] = entry
    _BY_MODEL[model] = entry
    _listen_for_changes()


# --- the engine ----------------------------------------------------------------------------------


def backend_name(app):
    chosen = app.config.get("SEARCH_BACKEND", "auto")
    if chosen == "auto":
        return "postgres" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "whoosh"
    return chosen


def init_search(app):
    """Attach the engine the configuration chooses to the app (created lazily on first use)."""
    app.extensions[EXTENSION] = {"backend": None, "lock": threading.Lock()}
    app.after_request(_apply_committed_after_request)


def apply_pending_at_start(app):
    """What a crash between a commit and its indexing left in the outbox, applied when a process
    starts (before any request, so no page pays for it). A database without the outbox yet (about
    to be migrated) or out of reach is left to the periodic task."""
    with app.app_context():
        try:
            if inspect(db.engine).has_table(SearchOutboxEntry.__tablename__):
                apply_outbox()
        except Exception:  # noqa: BLE001 - starting must not fail for the index; the periodic task retries
            log.exception("search: applying pending outbox entries at start-up failed")
            db.session.rollback()
        finally:
            db.session.remove()


def search_backend(app=None):
    app = app or current_app._get_current_object()
    state = app.extensions[EXTENSION]
    if state["backend"] is None:
        with state["lock"]:
            if state["backend"] is None:
                if backend_name(app) == "postgres":
                    state["backend"] = PostgresBackend(db.engine)
                else:
                    directory = app.config.get("SEARCH_INDEX_PATH") or str(Path(app.instance_path) / "search-index")
                    state["backend"] = WhooshBackend(directory)
    return state["backend"]


# --- recording changes in the outbox, in the same transaction -------------------------------------


def _listen_for_changes():
    # Once per process, on every Session.
    if not event.contains(Session, "after_flush", _record_changes):
        event.listen(Session, "after_flush", _record_changes)
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_rollback", _rolled_back)
        event.listen(Session, "do_orm_execute", _record_statement)


def _record_changes(session, _flush_context):
    recorded = session.info.setdefault("civic_search_recorded", set())
    dirty = session.dirty
    keys = set()
    for row in (*session.new, *dirty, *session.deleted):
        owner_of = _PARTS.get(type(row))
        if owner_of is not None:
            owner = owner_of(row)
            if owner is not None and owner[1] is not None:
                keys.add(owner)
            continue
        entry = _BY_MODEL.get(type(row))
        if entry is None or getattr(row, "id", None) is None:
            continue
        if row in dirty and entry.watched is not None and not (_changed_columns(row) & entry.watched):
            continue
        keys.add((entry.kind, row.id))
    keys -= recorded
    if keys:
        session.connection().execute(
            SearchOutboxEntry.__table__.insert(), [{"kind": kind, "item_id": item_id} for kind, item_id in sorted(keys)]
        )
        recorded |= keys


def _record_statement(execute_state):
    """UPDATE and DELETE statements on a registered model (state moves are written so, guarded by
    the state they expect): the rows they name by id are recorded like flushed changes. A
    statement naming no id (the periodic task's bulk moves between two visible states) records
    nothing; `flask search check` shows what such a move leaves out of date."""
    if not (execute_state.is_update or execute_state.is_delete):
        return
    mapper = execute_state.bind_mapper
    entry = _BY_MODEL.get(mapper.class_) if mapper is not None else None
    if entry is None:
        return
    statement = execute_state.statement
    if execute_state.is_update and entry.watched is not None:
        written = {getattr(column, "key", column) for column in (getattr(statement, "_values", None) or {})}
        if written and not (written & entry.watched):
            return
    ids = _ids_named(statement.whereclause, mapper.local_table)
    session = execute_state.session
    recorded = session.info.setdefault("civic_search_recorded", set())
    keys = {(entry.kind, item_id) for item_id in ids} - recorded
    if keys:
        session.execute(
            SearchOutboxEntry.__table__.insert(), [{"kind": kind, "item_id": item_id} for kind, item_id in sorted(keys)]
        )
        recorded |= keys


def _ids_named(whereclause, table):
    """The ids an `id == x` or `id IN (...)` condition of the statement names."""
    ids = set()
    if whereclause is None:
        return ids
    for clause in visitors.iterate(whereclause):
        if not isinstance(clause, BinaryExpression) or not isinstance(clause.right, BindParameter):
            continue
        left = clause.left
        if getattr(left, "name", None) != "id" or getattr(getattr(left, "table", None), "name", None) != table.name:
            continue
        value = clause.right.effective_value
        if clause.operator is operators.eq and isinstance(value, int):
            ids.add(value)
        elif clause.operator is operators.in_op and isinstance(value, list | tuple):
            ids.update(v for v in value if isinstance(v, int))
    return ids


def _changed_columns(row):
    state = inspect(row)
    return {attr.key for attr in state.mapper.column_attrs if state.attrs[attr.key].history.has_changes()}


def _committed(session):
    recorded = session.info.pop("civic_search_recorded", None)
    if recorded:
        session.info.setdefault("civic_search_committed", set()).update(recorded)


def _rolled_back(session):
    session.info.pop("civic_search_recorded", None)


# --- applying the outbox -----------------------------------------------------------------------------


def apply_committed_changes():
    """After a commit (common.db.commit calls it): index what the committed transaction changed.
    A failure leaves the outbox rows for the next run; it never fails the caller."""
    if not has_app_context() or EXTENSION not in current_app.extensions:
        return 0
    committed = db.session.info.pop("civic_search_committed", None)
    if not committed:
        return 0
    try:
        return apply_outbox(only=committed)
    except Exception:  # noqa: BLE001 - the outbox keeps the rows; start-up and the periodic task retry
        log.exception("search: applying the outbox after a commit failed; the rows stay for a retry")
        db.session.rollback()
        return 0


def _apply_committed_after_request(response):
    # For writes committed without common.db.commit (db.session.commit() directly).
    apply_committed_changes()
    return response


def apply_outbox(only=None):
    """Index (or remove) the items named in the outbox, then delete those rows: all of them, or the
    rows of the `only` keys. Returns the number of items applied."""
    applied = 0
    last_id = 0
    while True:
        statement = select(SearchOutboxEntry).where(SearchOutboxEntry.id > last_id).order_by(SearchOutboxEntry.id)
        if only is not None:
            kinds = {kind for kind, _id in only}
            ids = {item_id for _kind, item_id in only}
            statement = statement.where(SearchOutboxEntry.kind.in_(kinds), SearchOutboxEntry.item_id.in_(ids))
        rows = db.session.scalars(statement.limit(BATCH)).all()
        if not rows:
            break
        last_id = rows[-1].id
        keys = {(row.kind, row.item_id) for row in rows if only is None or (row.kind, row.item_id) in only}
        refresh(keys)
        applied += len(keys)
        db.session.execute(delete(SearchOutboxEntry).where(SearchOutboxEntry.id.in_([row.id for row in rows])))
        db.session.commit()
    return applied


def refresh(keys):
    """Bring the index entries of these (kind, id) keys, and of the items depending on them, up to date."""
    backend = search_backend()
    seen, pending = set(), list(keys)
    documents, removed = [], []
    while pending:
        key = pending.pop()
        if key in seen:
            continue
        seen.add(key)
        entry = KINDS.get(key[0])
        item = db.session.get(entry.model, key[1]) if entry else None
        if item is None:
            removed.append(key)
            continue
        documents.append(entry.document_of(item))
        if entry.dependents is not None:
            pending.extend(entry.dependents(item))
    backend.remove(removed)
    backend.index(documents)


# --- rebuilding and checking ------------------------------------------------------------------------


def _items(entry):
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(entry.model).where(entry.model.id > last_id).order_by(entry.model.id).limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def count_items():
    return sum(db.session.scalar(select(db.func.count()).select_from(entry.model)) for entry in KINDS.values())


def public_documents():
    """Every registered item's document that the public may see, as a stream."""
    for entry in KINDS.values():
        for item in _items(entry):
            document = entry.document_of(item)
            if document.public:
                yield document


def reindex(progress=None):
    """Empty the index and build it again from the database; `progress(n)` after each n items read.
    Outbox rows written meanwhile are applied afterwards, so nothing changed during the rebuild is lost."""
    backend = search_backend()
    started_at_outbox = db.session.scalar(select(db.func.max(SearchOutboxEntry.id))) or 0
    backend.clear()
    batch, indexed = [], 0
    for entry in KINDS.values():
        for item in _items(entry):
            batch.append(entry.document_of(item))
            if len(batch) >= BATCH:
                indexed += _index_public(backend, batch)
                if progress:
                    progress(len(batch))
                batch = []
    if batch:
        indexed += _index_public(backend, batch)
        if progress:
            progress(len(batch))
    db.session.execute(delete(SearchOutboxEntry).where(SearchOutboxEntry.id <= started_at_outbox))
    db.session.commit()
    apply_outbox()
    return indexed


def _index_public(backend, documents):
    public = [document for document in documents if document.public]
    backend.index(public)
    return len(public)


@dataclass
class IndexCheck:
    missing: list
    extra: list

    @property
    def in_step(self):
        return not self.missing and not self.extra


def check_index():
    """What the index lacks (public items not found in it) and what it has too many (items gone or no
    longer public)."""
    expected = {document.key for document in public_documents()}
    actual = search_backend().keys()
    return IndexCheck(missing=sorted(expected - actual), extra=sorted(actual - expected))
