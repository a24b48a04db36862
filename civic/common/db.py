"""Transaction helpers shared by every domain's services, and what a request does when the
database connection under it is lost."""

import functools
import logging
import time

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session

from civic.extensions import db

log = logging.getLogger(__name__)


# Work that follows every committed unit of work (the search index applying its outbox), in a new
# transaction; registered at start-up by the parts that need it, so that common imports none.
_AFTER_COMMIT = []


def after_every_commit(callback):
    """Run `callback()` after each commit() that succeeds; its failure is logged, never raised
    (the change is committed; the callback must be able to catch up later)."""
    if callback not in _AFTER_COMMIT:
        _AFTER_COMMIT.append(callback)


def commit():
    """Commit the unit of work, or roll it back entirely: a failed write never half-happens."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for callback in _AFTER_COMMIT:
        try:
            callback()
        except Exception:  # noqa: BLE001 - committed already: the callback catches up later
            log.exception("after-commit work failed")


def roll_back():
    """Roll the session back whatever became of its connection. One the server closed (PostgreSQL
    restarted, the backend terminated) cannot even roll back: it is invalidated instead, so that
    the pool opens a new one rather than handing the dead one to the next request."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; nothing was committed on it
        log.warning("database connection lost; discarding it", exc_info=True)
        _invalidate()


def end_request_session(_error=None):
    """Teardown of every request: remove the session, and if its connection died after the last
    query (found only now, by the rollback that ends it), drop it instead of failing the response
    that was already made."""
    try:
        db.session.remove()
    except Exception:  # noqa: BLE001
        log.warning("database connection lost at the end of a request; discarding it", exc_info=True)
        _invalidate()
        db.session.remove()


def _invalidate():
    try:
        db.session.invalidate()
    except Exception:  # noqa: BLE001 - invalidating a dead connection can only fail the same way
        pass


def ping_after_idle(engine, seconds):
    """Check a pooled connection before use only when it has been idle `seconds` or more, instead of
    SQLAlchemy's pool_pre_ping, which costs every request one more round trip to the database. A
    connection that died while idle (PostgreSQL restarted at night) is replaced before anyone uses
    it; one that dies while in busy use fails its next statement, and then a read runs once more on
    a new connection (retry_reads_once, and the session's user is loaded again), a write answers
    503 with Retry-After."""
    pool = engine.pool
    event.listen(pool, "connect", _note_idle)
    event.listen(pool, "checkin", _note_idle)
    event.listen(pool, "checkout", functools.partial(_ping_if_idle, engine.dialect, seconds))


def _note_idle(_dbapi_connection, record):
    record.info["civic_idle_since"] = time.monotonic()


def _ping_if_idle(dialect, seconds, dbapi_connection, record, _proxy):
    since = record.info.get("civic_idle_since")
    if since is not None and time.monotonic() - since < seconds:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as error:
        raise DisconnectionError("the pooled connection was closed while idle") from error  # the pool opens another


def is_lost_connection(error):
    """Whether a database error means the connection under the session is gone."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


# Methods that change nothing, so running the view again is what the person would do themselves.
SAFE_METHODS = {"GET", "HEAD"}


def retry_reads_once(app):
    """Every view of a read (GET, HEAD) runs once more, on a fresh connection, when the database
    dropped its connection under it (a restart, a terminated backend), provided nothing was committed
    yet. Writes are never repeated: they get the 503 with Retry-After (civic.common.http)."""
    if not event.contains(Session, "after_commit", _note_commit):
        event.listen(Session, "after_commit", _note_commit)
    for endpoint, view in app.view_functions.items():
        if not getattr(view, "retries_reads", False):  # routes added later are wrapped by a new call
            app.view_functions[endpoint] = _retrying(view)


def _note_commit(_session):
    if has_request_context():
        g.civic_committed = True


def _retrying(view):
    @functools.wraps(view)
    def run(**kwargs):
        try:
            return view(**kwargs)
        except DBAPIError as error:
            if not is_lost_connection(error) or request.method not in SAFE_METHODS or g.get("civic_committed"):
                raise
            log.warning("database connection lost during %s %s; trying once more", request.method, request.path)
            roll_back()
            return view(**kwargs)

    run.retries_reads = True
    return run
