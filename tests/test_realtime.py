"""Socket.IO: the connection uses the signed-in person's session; rooms are named in one place."""

import contextvars

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
