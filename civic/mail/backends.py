"""Mail backends behind one small interface: send(EmailMessage). Contract-tested in tests/mail."""

import email
import email.policy
import re
import smtplib
import ssl
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path


class MailBackend:
    def send(self, message):  # pragma: no cover - interface
        raise NotImplementedError


class SMTPBackend(MailBackend):
    """Sends through an SMTP server; STARTTLS or implicit TLS as configured."""

    def __init__(self, host, port, *, username=None, password=None, use_tls=True, use_ssl=False, timeout=20):
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.use_tls, self.use_ssl, self.timeout = use_tls, use_ssl, timeout

    def send(self, message):
        context = ssl.create_default_context()
        if self.use_ssl:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.use_tls and not self.use_ssl:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


class OutboxBackend(MailBackend):
    """Development mail: each message is written to a folder as .eml, read at /dev/mail,
    and printed to the console so that a newcomer can follow their links."""

    def __init__(self, directory, *, echo=True):
        self.directory = Path(directory)
        self.echo = echo

    def send(self, message):
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        (self.directory / name).write_bytes(message.as_bytes(policy=email.policy.SMTP))
        if self.echo:
            body = message.get_body(("plain",))
            text = body.get_content() if body is not None else ""
            print(
                f"\n----- mail to {message['To']}: {message['Subject']} -----\n{text}\n"
                f"----- (also at /dev/mail) -----\n",
                file=sys.stderr,
                flush=True,
            )

    def messages(self):
        """Messages newest first, as (id, EmailMessage)."""
        if not self.directory.is_dir():
            return []
        names = sorted((p.name for p in self.directory.glob("*.eml")), reverse=True)
        return [(name[:-4], self.read(name[:-4])) for name in names]

    def read(self, message_id):
        # Only names this backend writes: anything else (a path, a name too long for the file
        # system) is no message, not an error.
        if not _MESSAGE_ID.fullmatch(message_id or ""):
            return None
        path = self.directory / f"{message_id}.eml"
        if not path.is_file():
            return None
        return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)

    def clear(self):
        for path in self.directory.glob("*.eml"):
            path.unlink()


_MESSAGE_ID = re.compile(r"[0-9A-Za-z_-]{1,80}")


def backend_from_config(config):
    if config.get("MAIL_SERVER"):
        return SMTPBackend(
            config["MAIL_SERVER"],
            config["MAIL_PORT"],
            username=config.get("MAIL_USERNAME"),
            password=config.get("MAIL_PASSWORD"),
            use_tls=config.get("MAIL_USE_TLS", True),
            use_ssl=config.get("MAIL_USE_SSL", False),
            timeout=config.get("MAIL_TIMEOUT", 20),
        )
    return OutboxBackend(config["CIVIC_OUTBOX_PATH"], echo=not config.get("TESTING"))
