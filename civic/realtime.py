"""Socket.IO plumbing shared by every domain: room names and the connection rules.

Sockets only push: every write goes over HTTP. A client joins a room only if can(user, "view", obj)."""
from flask_login import current_user
from flask_socketio import join_room

from civic.extensions import socketio


def room_for(kind, object_id=None):
    """The one place room names are spelled."""
    return kind if object_id is None else f"{kind}:{object_id}"


def register_socket_handlers(app):
    @socketio.on("connect")
    def on_connect(auth=None):
        # The connection carries the Flask session cookie, so current_user is the signed-in person.
        if current_user.is_authenticated:
            join_room(room_for("user", current_user.id))
        return True
