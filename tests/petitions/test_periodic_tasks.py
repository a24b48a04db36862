"""Two `flask civic tick` runs at once close a petition and tell its creator once."""

from tests.support.mail import mail_to
from tests.test_tasks import run_together


def test_two_ticks_at_once_tell_the_creator_once(app, open_petition, outbox, frozen, creator):
    frozen.set(open_petition.closes_at)
    before = len(mail_to(outbox, creator.email))
    results = run_together(app, runs=3)
    assert sum("petitions closed: 1" in line for result in results for line in result) == 1
    closed = [m for m in mail_to(outbox, creator.email)[before:] if "has closed" in m["Subject"]]
    assert len(closed) == 1
