"""One contract for every mail backend: the outbox and SMTP (a real aiosmtpd server on loopback)."""

import email
import email.policy
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler

from civic import create_app
from civic.errors import ServiceUnavailable
from civic.mail.backends import OutboxBackend, SMTPBackend, backend_from_config
from civic.mail.services import send_mail
from tests.support.apps import base_config


class Collector(MessageHandler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        # re-read with the modern policy so that both backends are compared the same way
        self.messages.append(email.message_from_bytes(message.as_bytes(), policy=email.policy.default))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture(params=["outbox", "smtp"])
def mail_app(request, app, tmp_path):
    """The app wired to one backend, with a way to read back what was delivered."""
    if request.param == "outbox":
        backend = OutboxBackend(tmp_path / "contract-outbox", echo=False)

        def delivered():
            return [message for _id, message in reversed(backend.messages())]
    else:
        controller, handler = request.getfixturevalue("smtp_server")
        backend = SMTPBackend(controller.hostname, controller.port, use_tls=False)

        def delivered():
            deadline = time.time() + 5
            while not handler.messages and time.time() < deadline:
                time.sleep(0.02)
            return handler.messages

    app.extensions["civic_mail"] = backend
    return app, delivered


def test_a_message_is_delivered_with_its_headers_and_text(mail_app):
    app, delivered = mail_app
    with app.test_request_context():
        send_mail("María <maria@example.org>", "Señal de prueba", "email_taken", language="en")
    [message] = delivered()
    assert "maria@example.org" in message["To"]
    assert message["Subject"] == "[Civic] Señal de prueba"
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert message["Message-ID"] and message["Date"]
    body = message.get_body(("plain",)).get_content()
    assert "already belongs to an account" in body


def test_the_subject_is_translated_in_the_recipients_language(mail_app):
    app, delivered = mail_app
    from flask_babel import gettext as _

    with app.test_request_context():
        send_mail("a@example.org", lambda: _("Reset your password"), "email_taken", language="es")
    [message] = delivered()
    assert message["Subject"].startswith("[Civic] ") and "password" not in message["Subject"]
    assert message["Content-Language"] == "es"


def test_smtp_is_chosen_when_mail_server_is_set():
    assert isinstance(backend_from_config({"MAIL_SERVER": "smtp.example.org", "MAIL_PORT": 587}), SMTPBackend)
    assert isinstance(backend_from_config({"MAIL_SERVER": None, "CIVIC_OUTBOX_PATH": "/tmp/x"}), OutboxBackend)


def test_an_unreachable_smtp_server_is_a_clear_error(app):
    app.extensions["civic_mail"] = SMTPBackend("127.0.0.1", free_port(), use_tls=False, timeout=2)
    with app.test_request_context(), pytest.raises(ServiceUnavailable):
        send_mail("a@example.org", "Hello", "email_taken")


def test_registration_mail_goes_through_a_real_smtp_server(app, web, smtp_server):
    controller, handler = smtp_server
    app.extensions["civic_mail"] = SMTPBackend(controller.hostname, controller.port, use_tls=False)
    web.post(
        "/register",
        {
            "display_name": "Lucía",
            "email": "lucia@example.org",
            "password": "violet harbour lantern",
            "confirm": "violet harbour lantern",
            "accept_privacy": "y",
        },
    )
    deadline = time.time() + 5
    while not handler.messages and time.time() < deadline:
        time.sleep(0.02)
    [message] = handler.messages
    assert message["To"] == "lucia@example.org"
    assert "/verify/" in message.get_body(("plain",)).get_content()


def test_outbox_page_lists_and_shows_messages(app, web, outbox):
    with app.test_request_context():
        send_mail("reader@example.org", "Readable subject", "email_taken")
    listing = web.get("/dev/mail/").get_data(as_text=True)
    assert "Readable subject" in listing and "reader@example.org" in listing
    [(message_id, _message)] = outbox.messages()
    page = web.get(f"/dev/mail/{message_id}")
    assert page.status_code == 200 and "already belongs to an account" in page.get_data(as_text=True)
    assert web.get("/dev/mail/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert web.get("/dev/mail/nothing-here").status_code == 404


def test_outbox_page_does_not_exist_when_turned_off(app, tmp_path):
    other = create_app(base_config(tmp_path, CIVIC_DEV_MAIL_PAGE=False))
    assert other.test_client().get("/dev/mail/").status_code == 404
