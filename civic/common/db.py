"""Transaction helpers shared by every domain's services, and what a request does when the
database connection under it is lost."""

import functools
import logging

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from civic.extensions import db

log = logging.getLogger(__name__)


def commit():
    """Commit the unit of work, or roll it back entirely: a failed write never half-happens."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


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
            if not error.connection_invalidated or request.method not in SAFE_METHODS or g.get("civic_committed"):
                raise
            log.warning("database connection lost during %s %s; trying once more", request.method, request.path)
            roll_back()
            return view(**kwargs)

    run.retries_reads = True
    return run
