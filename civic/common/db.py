"""Transaction helpers shared by every domain's services, and the end of each request's session."""

import logging

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
