"""The development outbox at /dev/mail (never registered in production)."""

from flask import Blueprint, abort, current_app, render_template

from civic.mail.backends import OutboxBackend

bp = Blueprint("mail", __name__, url_prefix="/dev/mail")


def _outbox():
    backend = current_app.extensions["civic_mail"]
    if not isinstance(backend, OutboxBackend) or not current_app.config["CIVIC_DEV_MAIL_PAGE"]:
        abort(404)
    return backend


@bp.get("/")
def outbox():
    messages = _outbox().messages()[:100]
    return render_template("dev/outbox.html", messages=messages)


@bp.get("/<message_id>")
def show_message(message_id):
    message = _outbox().read(message_id)
    if message is None:
        abort(404)
    body = message.get_body(("plain",))
    return render_template("dev/message.html", message=message, text=body.get_content() if body else "")
