"""Socket.IO: the connection uses the signed-in person's session; rooms are named in one place."""

import contextvars

import pytest

from civic.config import load_config
from civic.extensions import socketio
from civic.realtime import room_for


def connect(app, **kwargs):
    """Connect outside the test's app context, as a real server would (fresh `g`, fresh user)."""
    return contextvars.Context().run(socketio.test_client, app, **kwargs)


def test_room_names_are_built_in_one_place():
    assert room_for("discussion", 7) == "discussion:7"
    assert room_for("tallies") == "tallies"


def test_anonymous_visitors_can_connect(app):
    client = connect(app)
    assert client.is_connected()
    client.disconnect()


def test_signed_in_person_joins_their_own_room(app, make_user, web):
    user = make_user()
    web.sign_in(user.email)
    client = connect(app, flask_test_client=web.client)
    assert client.is_connected()
    socketio.emit("notice", {"text": "hello"}, to=room_for("user", user.id))
    received = client.get_received()
    assert [m["args"][0]["text"] for m in received if m["name"] == "notice"] == ["hello"]
    other = connect(app)
    socketio.emit("notice", {"text": "private"}, to=room_for("user", user.id))
    assert other.get_received() == []
    client.disconnect()
    other.disconnect()


@pytest.mark.app_config(CIVIC_MAX_LIVE_CONNECTIONS=2)
def test_past_the_limit_new_live_connections_are_refused_and_healthz_reports_them(app, web):
    first, second = connect(app), connect(app)
    assert first.is_connected() and second.is_connected()
    third = connect(app)
    assert not third.is_connected()  # refused politely: the page falls back to "refresh for updates"
    live = web.client.get("/healthz").get_json()["live"]
    assert (live["connections"], live["limit"]) == (2, 2)

    first.disconnect()
    assert web.client.get("/healthz").get_json()["live"]["connections"] == 1
    fourth = connect(app)
    assert fourth.is_connected()  # a freed place is taken again
    second.disconnect()
    fourth.disconnect()
    assert web.client.get("/healthz").get_json()["live"] == {"connections": 0, "limit": 2, "async_mode": "threading"}


def test_the_live_limit_leaves_worker_connections_for_http():
    assert load_config({})["CIVIC_MAX_LIVE_CONNECTIONS"] == 800  # gunicorn's default 1,000 workers' connections
    config = load_config({"CIVIC_WORKER_CONNECTIONS": "5000"})
    assert config["CIVIC_MAX_LIVE_CONNECTIONS"] == 4000
    assert load_config({"CIVIC_MAX_LIVE_CONNECTIONS": "10"})["CIVIC_MAX_LIVE_CONNECTIONS"] == 10


def test_without_a_queue_gevent_writes_to_the_sockets_after_the_request_not_in_it(app, monkeypatch):
    """Under gevent with no message queue, this process writes to every socket of the room itself:
    publish() hands that to a greenlet, so the request that caused the event answers first."""
    from civic import realtime

    started, emitted = [], []
    monkeypatch.setattr(socketio, "start_background_task", lambda target, *args: started.append((target, args)))
    monkeypatch.setattr(socketio, "emit", lambda event, payload, to: emitted.append((event, payload, to)))
    app.config.update(CIVIC_ASYNC_MODE="gevent", CIVIC_SOCKETIO_MESSAGE_QUEUE=None)
    realtime.publish("discussion:7", "comment_posted", {"id": 1})
    assert emitted == [] and len(started) == 1
    target, args = started[0]
    target(*args)
    assert emitted == [("comment_posted", {"id": 1}, "discussion:7")]

    started.clear()
    emitted.clear()
    for mode, queue in (("threading", None), ("gevent", "redis://127.0.0.1:6379/0")):
        app.config.update(CIVIC_ASYNC_MODE=mode, CIVIC_SOCKETIO_MESSAGE_QUEUE=queue)
        realtime.publish("discussion:7", "comment_posted", {"id": 2})
    assert started == [] and len(emitted) == 2


@pytest.mark.parametrize(
    "payload",
    [
        "discussion",
        ["discussion", 1],
        42,
        {"kind": ["discussion"], "id": 1},
        {"kind": "discussion", "id": 2**31},
        {"kind": "discussion", "id": 10**30},
        {"kind": "petition", "id": True},
        {"kind": "consultation", "id": 1.5},
    ],
)
def test_a_room_request_that_is_not_one_is_answered_not_a_traceback(app, payload):
    client = connect(app)
    for event in ("join", "watch_tally"):
        assert client.emit(event, payload, callback=True) == {"ok": False, "error": "not_allowed"}
    assert client.emit("still_here", payload, callback=True) == {"ok": False}
    client.emit("leave", payload)
    assert client.is_connected()
    client.disconnect()


def test_a_socket_handler_that_fails_answers_the_client(app, monkeypatch):
    from civic import realtime

    def broken(_object_id):
        raise RuntimeError("the loader broke")

    monkeypatch.setitem(realtime.ROOM_KINDS, "discussion", broken)
    client = connect(app)
    assert client.emit("join", {"kind": "discussion", "id": 1}, callback=True) == {
        "ok": False,
        "error": "internal_error",
    }
    client.disconnect()
