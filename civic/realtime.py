"""Socket.IO plumbing shared by every domain: rooms, publishing, presence, tallies, "live updates paused".

Room names are spelled in room_for only; publish and publish_tally push after the commit.

Sockets only push: every write goes over HTTP. A client joins a room only if
can(user, "<kind>.view", obj) allows it; domains register how to find their objects."""

import logging
import threading
import time

import redis
from flask import current_app, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, emit, join_room, leave_room, rooms

from civic.common.inputs import row_id
from civic.extensions import db, socketio
from civic.permissions import can

log = logging.getLogger(__name__)

# kind -> function(object_id) returning the object or None; registered by each domain.
ROOM_KINDS = {}
PRESENCE_TTL_SECONDS = 75  # clients refresh every 25 s; a crashed process's entries fade out


def room_for(kind, object_id=None):
    """The one place room names are spelled."""
    return kind if object_id is None else f"{kind}:{object_id}"


def tally_room(kind, object_id):
    return room_for(f"tally:{kind}", object_id)


def register_room_kind(kind, loader):
    """Let clients join rooms for objects of this kind, after can(user, "<kind>.view", obj)."""
    ROOM_KINDS[kind] = loader


def publish(room, event, payload):
    """Push an event to a room, on every server process (through Redis when configured).

    Called after the commit. A message queue that is down must not undo or fail the write:
    the failure is logged and readers are told that live updates are paused."""
    if current_app.config["CIVIC_ASYNC_MODE"] == "gevent" and not current_app.config["CIVIC_SOCKETIO_MESSAGE_QUEUE"]:
        # Without a queue this process writes to every socket in the room itself: in a greenlet
        # of its own, so that the request that caused the event answers first (with a queue,
        # emit only hands the message to Redis and each process's listener does the writing).
        socketio.start_background_task(_emit, event, payload, room)
    else:
        _emit(event, payload, room)


def _emit(event, payload, room):
    try:
        socketio.emit(event, payload, to=room)
    except Exception:  # noqa: BLE001 - publishing is best effort; the data is safely stored
        log.exception("Could not publish %s to %s", event, room)


def publish_tally(kind, object_id, counts):
    """Counters that later features show live (signatures, supports, responses, comments)."""
    publish(tally_room(kind, object_id), "tally", {"kind": kind, "id": object_id, "counts": counts})


# --- presence: how many people have a room open now ----------------------------------------


class MemoryPresence:
    """Presence for one process (no Redis)."""

    def __init__(self):
        self._rooms = {}
        self._lock = threading.Lock()

    def touch(self, room, sid, now=None):
        with self._lock:
            self._rooms.setdefault(room, {})[sid] = now if now is not None else time.time()

    def leave(self, room, sid):
        with self._lock:
            self._rooms.get(room, {}).pop(sid, None)

    def count(self, room, now=None):
        cutoff = (now if now is not None else time.time()) - PRESENCE_TTL_SECONDS
        with self._lock:
            members = self._rooms.get(room, {})
            for sid in [s for s, seen in members.items() if seen < cutoff]:
                del members[sid]
            return len(members)


class RedisPresence:
    """Presence shared by every process: a sorted set per room, scored by last-seen time."""

    def __init__(self, url, prefix="civic:presence:"):
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.prefix = prefix

    def touch(self, room, sid, now=None):
        key = self.prefix + room
        self.redis.zadd(key, {sid: now if now is not None else time.time()})
        self.redis.expire(key, PRESENCE_TTL_SECONDS * 2)

    def leave(self, room, sid):
        self.redis.zrem(self.prefix + room, sid)

    def count(self, room, now=None):
        key = self.prefix + room
        cutoff = (now if now is not None else time.time()) - PRESENCE_TTL_SECONDS
        self.redis.zremrangebyscore(key, "-inf", cutoff)
        return int(self.redis.zcard(key))


def presence_store():
    store = current_app.extensions.get("civic_presence")
    if store is None:
        url = current_app.config.get("REDIS_URL")
        prefix = f"{current_app.config['CIVIC_REDIS_KEY_PREFIX']}:presence:"
        store = RedisPresence(url, prefix=prefix) if url else MemoryPresence()
        current_app.extensions["civic_presence"] = store
    return store


# Joins and leaves are announced to the room at most once a second: announcing each one to
# everyone would send n^2 messages as an audience of n gathers (bench/fanout.py).
PRESENCE_ANNOUNCE_DELAY = 1.0
_presence_pending = set()
_presence_lock = threading.Lock()


def announce_presence(room):
    app = current_app._get_current_object()
    key = (id(app), room)
    with _presence_lock:
        if key in _presence_pending:
            return
        _presence_pending.add(key)
    kind, _sep, object_id = room.partition(":")

    def announce():
        socketio.sleep(PRESENCE_ANNOUNCE_DELAY)
        with _presence_lock:
            _presence_pending.discard(key)
        with app.app_context():
            try:
                count = presence_store().count(room)
            except Exception:  # noqa: BLE001 - Redis down: presence is a nicety
                return
            socketio.emit("presence", {"kind": kind, "id": int(object_id), "count": count}, to=room)

    socketio.start_background_task(announce)


# --- the "live updates paused" signal ------------------------------------------------------


class QueueMonitor:
    """Watches the message queue from each process and tells that process's clients when live
    updates pause (Redis unreachable) and resume. Started on the first socket connection."""

    def __init__(self, url, interval=2.0):
        self.url, self.interval = url, interval
        self.healthy = True
        self.started = False
        self._lock = threading.Lock()

    def start(self):
        with self._lock:
            if self.started:
                return
            self.started = True
        socketio.start_background_task(self._run)

    def check(self):
        try:
            redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1).ping()
            return True
        except Exception:  # noqa: BLE001
            return False

    def _run(self):
        while True:
            healthy = self.check()
            if healthy != self.healthy:
                self.healthy = healthy
                # Local delivery only: the queue is what is down.
                socketio.server.manager.emit("live_status", {"paused": not healthy}, namespace="/", ignore_queue=True)
            socketio.sleep(self.interval)


def _queue_monitor():
    url = current_app.config.get("CIVIC_SOCKETIO_MESSAGE_QUEUE")
    if not url:
        return None
    monitor = current_app.extensions.get("civic_queue_monitor")
    if monitor is None:
        monitor = current_app.extensions["civic_queue_monitor"] = QueueMonitor(url)
    return monitor


# --- the live connection limit -------------------------------------------------------------

# The reason a refused client receives (static/js/civic.js shows "live updates are off").
LIVE_CONNECTIONS_FULL = "live_connections_full"


class LiveConnections:
    """The Socket.IO connections this process holds, against CIVIC_MAX_LIVE_CONNECTIONS: past
    the limit new ones are refused, so that open pages never take every worker connection and
    the process keeps answering HTTP."""

    def __init__(self, limit):
        self.limit = limit
        self.count = 0
        self._lock = threading.Lock()

    def try_open(self):
        with self._lock:
            if self.count >= self.limit:
                return False
            self.count += 1
            return True

    def close(self):
        with self._lock:
            self.count = max(0, self.count - 1)


def live_connections(app=None):
    app = app or current_app._get_current_object()
    live = app.extensions.get("civic_live_connections")
    if live is None:
        live = app.extensions["civic_live_connections"] = LiveConnections(app.config["CIVIC_MAX_LIVE_CONNECTIONS"])
    return live


# --- signed-in connections end with their session -----------------------------------------


class SignedInSockets:
    """The signed-in sockets of this process and the session each was opened with. A session ended
    on the server (sign-out anywhere, a password change, a revoked role: civic.accounts) ends its
    open connections here within CIVIC_LIVE_SESSION_CHECK_SECONDS, on every process alike: each
    asks the database about its own sockets, so nothing has to travel between processes."""

    def __init__(self, interval):
        self.interval = interval
        self.session_of = {}  # sid -> session id
        self.started = self.stopped = False
        self._lock = threading.Lock()

    def opened(self, sid, session_id):
        self.session_of[sid] = session_id

    def closed(self, sid):
        self.session_of.pop(sid, None)

    def start(self, app):
        with self._lock:
            if self.started or self.interval <= 0:
                return
            self.started = True
        socketio.start_background_task(self._run, app)

    def sweep(self):
        """Disconnect the sockets whose session has ended; returns how many. Needs an app context."""
        if not self.session_of or _live_sessions is None:
            return 0
        watched = dict(self.session_of)
        try:
            alive = _live_sessions(set(watched.values()))
        finally:
            db.session.remove()
        ended = [sid for sid, session_id in watched.items() if session_id not in alive]
        for sid in ended:
            self.closed(sid)
            socketio.server.disconnect(sid, namespace="/")
        return len(ended)

    def stop(self):
        self.stopped = True

    def _run(self, app):
        while not self.stopped:
            socketio.sleep(self.interval)
            try:
                with app.app_context():
                    self.sweep()
            except Exception:  # noqa: BLE001 - a database hiccup: try again next time
                log.exception("Could not check the sessions of open live connections")


_live_sessions = None  # (session ids) -> the ids still live; registered by civic.accounts


def register_session_check(live_session_ids):
    global _live_sessions
    _live_sessions = live_session_ids


def signed_in_sockets(app=None):
    app = app or current_app._get_current_object()
    found = app.extensions.get("civic_signed_in_sockets")
    if found is None:
        found = app.extensions["civic_signed_in_sockets"] = SignedInSockets(
            app.config["CIVIC_LIVE_SESSION_CHECK_SECONDS"]
        )
    return found


# --- socket handlers -----------------------------------------------------------------------


def _room_asked(data):
    """(kind, id) from a client's {"kind": ..., "id": ...}, or (None, None) for anything else (a
    list, a string, an id beyond the database's range): a client may send any JSON at all."""
    if not isinstance(data, dict):
        return None, None
    kind, object_id = data.get("kind"), data.get("id")
    if not isinstance(kind, str) or kind not in ROOM_KINDS or not isinstance(object_id, int):
        return None, None
    try:
        return kind, row_id(object_id)
    except ValueError:
        return None, None


def _load(kind, object_id):
    if kind is None:
        return None
    return ROOM_KINDS[kind](object_id)


def register_socket_handlers(app):
    @socketio.on("connect")
    def on_connect(auth=None):
        live = live_connections()
        if not live.try_open():
            raise ConnectionRefusedError(LIVE_CONNECTIONS_FULL)
        try:
            # The connection carries the Flask session cookie, so current_user is the signed-in person.
            if current_user.is_authenticated:
                join_room(room_for("user", current_user.id))
                sockets = signed_in_sockets()
                sockets.opened(request.sid, current_user.session_id)
                sockets.start(current_app._get_current_object())
        except Exception:
            live.close()  # a refused connection gets no disconnect event
            raise
        monitor = _queue_monitor()
        if monitor is not None:
            monitor.start()
            if not monitor.healthy:
                emit("live_status", {"paused": True})
        return True

    @socketio.on_error_default
    def on_error(error):
        """A handler that fails answers the client's acknowledgement, instead of leaving it waiting."""
        log.exception("Unhandled error in socket event %s", request.event.get("message"))
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the database may be the thing that failed
            pass
        return {"ok": False, "error": "internal_error"}

    @socketio.on("join")
    def on_join(data):
        """{"kind": "discussion", "id": 4} -> join that room if the person may view it."""
        kind, object_id = _room_asked(data)
        obj = _load(kind, object_id)
        if obj is None or not can(current_user, f"{kind}.view", obj):
            return {"ok": False, "error": "not_allowed"}
        room = room_for(kind, object_id)
        join_room(room)
        presence = None
        try:
            presence_store().touch(room, request.sid)
            presence = presence_store().count(room)
            announce_presence(room)
        except Exception:  # noqa: BLE001
            log.warning("presence unavailable for %s", room)
        return {"ok": True, "presence": presence}

    @socketio.on("watch_tally")
    def on_watch_tally(data):
        kind, object_id = _room_asked(data)
        obj = _load(kind, object_id)
        if obj is None or not can(current_user, f"{kind}.view", obj):
            return {"ok": False, "error": "not_allowed"}
        join_room(tally_room(kind, object_id))
        return {"ok": True}

    @socketio.on("still_here")
    def on_still_here(data):
        kind, object_id = _room_asked(data)
        room = room_for(kind, object_id) if kind else None
        if room and room in rooms():
            try:
                presence_store().touch(room, request.sid)
                return {"ok": True, "presence": presence_store().count(room)}
            except Exception:  # noqa: BLE001
                return {"ok": False}
        return {"ok": False}

    @socketio.on("leave")
    def on_leave(data):
        kind, object_id = _room_asked(data)
        if kind is None:
            return
        room = room_for(kind, object_id)
        leave_room(room)
        _leave_presence(room, request.sid)

    @socketio.on("disconnect")
    def on_disconnect(reason=None):
        live_connections().close()
        signed_in_sockets().closed(request.sid)
        for room in rooms():
            if ":" in room and not room.startswith(("user:", "tally:")):
                _leave_presence(room, request.sid)


def _leave_presence(room, sid):
    try:
        presence_store().leave(room, sid)
        announce_presence(room)
    except Exception:  # noqa: BLE001
        pass
