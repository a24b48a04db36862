"""Signed-in sessions kept on the server: started at sign-in, checked on every request with the
user's own load, listed in the security settings, and ended by signing out (one, the others, or
all of them on a password change, a reset or a revoked role)."""

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import joinedload

from civic.accounts.models import DEVICE_MAX_LENGTH, User, UserSession
from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.db import is_lost_connection, roll_back
from civic.common.ratelimit import network_of
from civic.errors import NotFound
from civic.extensions import db
from civic.notifications.models import Notification
from civic.permissions import ensure_can

# How stale "last seen" may be: a signed-in page writes at most once a minute, not every time.
LAST_SEEN_EVERY = timedelta(minutes=1)
SESSION_KEY_MAX_LENGTH = 100

# (pattern in the user agent, name shown), first match wins: Edge and Opera say "Chrome" too.
_BROWSERS = (
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
)
_SYSTEMS = (
    (r"iPhone", "iPhone"),
    (r"iPad", "iPad"),
    (r"Android", "Android"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux", "Linux"),
)


def describe_device(user_agent):
    """'Firefox · Windows' from a user agent: enough to recognise a session, nothing more kept."""
    user_agent = user_agent or ""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent)), "")
    return " · ".join(part for part in (browser, system) if part)[:DEVICE_MAX_LENGTH]


def _hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def _idle_limit():
    """A session unseen for longer than its longest-lived cookie is over, whatever a copy says
    (Flask-Login's remember cookie is checked by nobody else)."""
    remember = current_app.config.get("REMEMBER_COOKIE_DURATION", 0)
    remember = remember if isinstance(remember, timedelta) else timedelta(seconds=remember)
    return max(remember, current_app.permanent_session_lifetime)


def _live(now):
    return UserSession.last_seen_at > now - _idle_limit()


def start_session(user, *, user_agent="", client=""):
    """Record a new signed-in session for `user` (who has just proved who they are) and return
    its key, which user.get_id() now gives Flask-Login for the cookies."""
    key = secrets.token_urlsafe(32)
    now = clock.now()
    network = network_of(client) if client else ""
    db.session.execute(  # the person's sessions that have run out, pruned as they start another
        delete(UserSession)
        .where(UserSession.user_id == user.id, ~_live(now))
        .execution_options(synchronize_session=False)
    )
    db.session.add(
        UserSession(
            user_id=user.id,
            key_hash=_hash(key),
            device=describe_device(user_agent),
            network=network,
            created_at=now,
            last_seen_at=now,
        )
    )
    user.last_sign_in_at = now
    user.last_sign_in_network = network or user.last_sign_in_network
    _commit()
    user.session_key = key
    return key


def _session_user_statement():
    """The one query behind every signed-in request: the live session, its person, their roles
    and their unread count, in one statement (a signed-in page's cost is mostly this fixed part:
    bench/README.md, issue 10). Built once: constructing it per request cost as much as running it."""
    unread = (
        select(func.count())
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )
    return (
        select(UserSession, User, unread)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.key_hash == bindparam("key_hash"), UserSession.last_seen_at > bindparam("seen_after"))
        .options(joinedload(User.roles))
    )


_SESSION_USER = _session_user_statement()


def load_user_for_session(session_key):
    """Flask-Login's loader: the user of a live session, with their roles, or None."""
    if not session_key or len(session_key) > SESSION_KEY_MAX_LENGTH:
        return None
    parameters = {"key_hash": _hash(session_key), "seen_after": clock.now() - _idle_limit()}
    try:
        row = db.session.execute(_SESSION_USER, parameters).unique().first()
    except DBAPIError as error:
        # The request's first statement, on a pooled connection that died in use (common.db,
        # ping_after_idle): nothing was done yet, so once more on a new connection.
        if not is_lost_connection(error):
            raise
        roll_back()
        row = db.session.execute(_SESSION_USER, parameters).unique().first()
    if row is None or not row.User.is_active:
        return None
    user_session, user, user.unread_at_load = row
    user.session_key = session_key
    user.session_id = user_session.id
    _note_seen(user_session)
    return user


def _note_seen(user_session):
    """Move the session's "last seen" on, at most once a minute, in the request's own transaction
    and on its own connection: asking the pool for a second one while holding the first deadlocks
    a busy process (every request holds one and waits for another, until the pool's timeout).

    The session is committed at once with nothing expired, which is safe only while it holds no
    change of the request's own: then the write waits for the next request (it is only a hint)."""
    now = clock.now()
    if now - user_session.last_seen_at < LAST_SEEN_EVERY:
        return
    session = db.session()
    if session.new or session.dirty or session.deleted:
        return
    try:
        session.execute(
            update(UserSession)
            .where(UserSession.id == user_session.id, UserSession.last_seen_at < now - LAST_SEEN_EVERY)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
        expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire_on_commit
    except SQLAlchemyError:
        session.rollback()
        current_app.logger.warning("could not note when session %s was last seen", user_session.id)


def live_session_ids(session_ids):
    """Which of these sessions are still live (the check behind open live connections)."""
    if not session_ids:
        return set()
    now = clock.now()
    return set(db.session.scalars(select(UserSession.id).where(UserSession.id.in_(session_ids), _live(now))))


def list_sessions(user):
    """The person's signed-in sessions, the most recently seen first."""
    ensure_can(user, "account.edit", user)
    return db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, _live(clock.now()))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()


def forget_sessions(user, *, keep=None):
    """Delete every session of `user` but the one with key `keep`, in the caller's transaction."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        statement = statement.where(UserSession.key_hash != _hash(keep))
    db.session.execute(statement.execution_options(synchronize_session=False))


def end_session(user, session_key):
    """Sign out this session: every copy of its cookies stops working."""
    if session_key:
        db.session.execute(
            delete(UserSession)
            .where(UserSession.user_id == user.id, UserSession.key_hash == _hash(session_key))
            .execution_options(synchronize_session=False)
        )
        _commit()


def end_session_by_id(user, session_id):
    """Sign out one of the person's own sessions from the list."""
    ensure_can(user, "account.edit", user)
    result = db.session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user.id, UserSession.id == session_id)
        .execution_options(synchronize_session=False)
    )
    _commit()
    if result.rowcount == 0:
        raise NotFound(_("That session has ended already."))


def end_other_sessions(user, session_key):
    """Sign out everywhere else: every session but this one."""
    ensure_can(user, "account.edit", user)
    forget_sessions(user, keep=session_key)
    _commit()
