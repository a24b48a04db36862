"""Mail to many people: `start_mailing()` records a Mailing in the caller's transaction (so the
change and the promise to tell people commit together), and `send_mailings()`, run by the periodic
task, sends the next batch of each. A request never sends mail to more than one person.

A domain registers each kind of mailing it starts (`register_mailing_kind`): who receives it, in
an increasing key order that serves as the cursor, and what the mail says. This module imports no
domain."""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from civic.common import clock
from civic.common.db import commit
from civic.errors import ServiceUnavailable
from civic.extensions import db
from civic.mail.models import Mailing
from civic.mail.services import send_mail

DEFAULT_BATCH = 200


@dataclass(frozen=True)
class Recipient:
    key: int  # increasing within a mailing: once this one is sent, the cursor moves past it
    email: str
    language: str | None = None
    context: dict = field(default_factory=dict)  # what this person's copy adds (their name, a link of theirs)


@dataclass(frozen=True)
class Message:
    subject: Callable[[], str]  # called in the recipient's language
    template: str  # templates/mail/<template>.txt
    context: dict


@dataclass(frozen=True)
class MailingKind:
    name: str
    recipients: Callable[[Mailing, int, int], list]  # (mailing, after_key, limit) -> [Recipient], by key
    message: Callable[[Mailing], "Message | None"]  # None: the object is gone, nothing to send


_KINDS = {}


def register_mailing_kind(name, *, recipients, message):
    _KINDS[name] = MailingKind(name, recipients, message)


def start_mailing(kind, about_type, about_id):
    """Record a mailing to send; the caller commits it with the change that causes it."""
    if kind not in _KINDS:
        raise KeyError(f"unknown mailing kind {kind!r}: register it with register_mailing_kind")
    mailing = Mailing(kind=kind, about_type=about_type, about_id=about_id)
    db.session.add(mailing)
    return mailing


def mailings_about(about_type, about_id):
    return list(
        db.session.scalars(
            select(Mailing).where(Mailing.about_type == about_type, Mailing.about_id == about_id).order_by(Mailing.id)
        )
    )


def send_mailings(batch=DEFAULT_BATCH):
    """Send the next batch of each unfinished mailing; returns the number of emails sent. A mail
    server that is down stops the batch where it is: the next run carries on from there."""
    sent = 0
    unfinished = select(Mailing).where(Mailing.finished_at.is_(None)).order_by(Mailing.id)
    for mailing in list(db.session.scalars(unfinished)):
        sent += _send_batch(mailing, batch)
        commit()
    return sent


def _send_batch(mailing, batch):
    kind = _KINDS.get(mailing.kind)
    message = kind.message(mailing) if kind else None
    if message is None:  # an unknown kind or a deleted object: nothing will ever be sent
        mailing.finished_at = clock.now()
        return 0
    recipients = kind.recipients(mailing, mailing.last_key, batch)
    sent = 0
    for recipient in recipients:
        try:
            send_mail(
                recipient.email,
                message.subject,
                message.template,
                language=recipient.language,
                **message.context,
                **recipient.context,
            )
        except ServiceUnavailable:
            return sent
        mailing.last_key = recipient.key
        mailing.sent_count += 1
        sent += 1
    if len(recipients) < batch:
        mailing.finished_at = clock.now()
    return sent
