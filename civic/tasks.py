"""Periodic tasks: what happens because time passes, and work done in batches.

A consultation or a petition closing is announced, and mailings to many people (a petition's
signers, a consultation's respondents) go out a batch at a time."""

import logging

from civic.consultations.services.follows import notify_closed_consultations
from civic.extensions import socketio
from civic.mail.mailings import send_mailings
from civic.petitions.services.lifecycle import close_due_petitions

log = logging.getLogger(__name__)
TICK_SECONDS = 60


def run_periodic_tasks():
    closed = notify_closed_consultations()
    petitions = close_due_petitions()
    mails = send_mailings()
    return [
        f"consultations closed and announced: {closed}",
        f"petitions closed: {petitions}",
        f"emails sent by mailings: {mails}",
    ]


def run_forever(app):
    """For the development server (`make run`): run the periodic tasks every minute in the background."""
    while True:
        try:
            with app.app_context():
                run_periodic_tasks()
        except Exception:  # noqa: BLE001 - a failed run is retried at the next tick
            log.exception("periodic tasks failed")
        socketio.sleep(TICK_SECONDS)
