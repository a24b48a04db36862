"""Periodic tasks: what happens because time passes, and work done in batches.

A consultation or a petition closing is announced, proposals move on time (under review, expired)
and their trending scores are refreshed, the projects of a budget whose results are out get their
implementation records, moderators get the digest of new reports, and mailings to many people (a petition's
signers, a consultation's respondents) go out a batch at a time.

Several machines may run `flask civic tick` at the same minute: one run at a time does the work
(tick_lock), the others find the lock taken and do nothing, so nothing is announced or sent twice."""

import fcntl
import hashlib
import logging
import threading
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from civic.accountability.services.records import record_funded_projects
from civic.consultations.services.follows import notify_closed_consultations
from civic.extensions import db, socketio
from civic.mail.mailings import send_mailings
from civic.moderation.services.digest import send_report_digest
from civic.petitions.services.lifecycle import close_due_petitions
from civic.proposals.services.lifecycle import move_due_proposals
from civic.proposals.services.supporting import refresh_trending
from civic.search.indexing import apply_outbox

log = logging.getLogger(__name__)
TICK_SECONDS = 60
TICK_LOCK_NAME = "civic:tick"
ANOTHER_RUN = "another run of the periodic tasks is in progress: nothing done"
_memory_lock = threading.Lock()  # an in-memory SQLite database lives in one process


def run_periodic_tasks():
    with tick_lock() as acquired:
        if not acquired:
            return [ANOTHER_RUN]
        closed = notify_closed_consultations()
        petitions = close_due_petitions()
        reviewed, expired = move_due_proposals()
        refresh_trending()
        recorded = record_funded_projects()
        mails = send_mailings()
        indexed = apply_outbox()
        digests = send_report_digest()
    return [
        f"consultations closed and announced: {closed}",
        f"petitions closed: {petitions}",
        f"proposals under review: {reviewed}, expired: {expired}",
        f"implementation records opened for funded projects: {recorded}",
        f"emails sent by mailings: {mails}",
        f"search index entries brought up to date: {indexed}",
        f"report digests sent to moderators: {digests}",
    ]


@contextmanager
def tick_lock(name=TICK_LOCK_NAME):
    """Yield True to the one caller, among every process and machine, that holds the lock; False
    at once (no waiting) to the others."""
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        with _postgres_lock(name) as acquired:
            yield acquired
    elif url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        with _file_lock(Path(url.database).with_name(Path(url.database).name + ".tick-lock")) as acquired:
            yield acquired
    else:
        acquired = _memory_lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                _memory_lock.release()


@contextmanager
def _postgres_lock(name):
    # A transaction-level advisory lock on a connection of its own, held open for the whole run:
    # the tasks commit as they go on the session's connection, and a transaction-level lock is
    # what PgBouncer in transaction mode allows (a session-level lock could outlive the run on a
    # server connection that PgBouncer then hands to someone else).
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    with db.engine.connect() as connection:
        try:
            yield bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}).scalar())
        finally:
            connection.rollback()  # ends the transaction, and with it the lock


@contextmanager
def _file_lock(path):
    # SQLite is a file on this machine, so every process that writes it is here too.
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_forever(app):
    """For the development server (`make run`): run the periodic tasks every minute in the background."""
    while True:
        try:
            with app.app_context():
                run_periodic_tasks()
        except Exception:  # noqa: BLE001 - a failed run is retried at the next tick
            log.exception("periodic tasks failed")
        socketio.sleep(TICK_SECONDS)
