"""One generic batched mailing: recorded with the change, sent in batches by the periodic task,
resumed after a mail server outage, finished when everyone has it."""

from types import SimpleNamespace

import pytest

from civic.errors import ServiceUnavailable
from civic.extensions import db
from civic.mail import mailings
from civic.mail.mailings import Message, Recipient, register_mailing_kind, send_mailings, start_mailing
from civic.mail.models import Mailing

PEOPLE = [Recipient(key=k, email=f"p{k}@example.org", context={"name": f"P{k}"}) for k in (3, 5, 8, 13, 21)]


@pytest.fixture
def test_kind(app):
    register_mailing_kind(
        "test_news",
        recipients=lambda mailing, after, limit: [p for p in PEOPLE if p.key > after][:limit],
        message=lambda mailing: Message(
            lambda: "News",
            "verify_email",
            {"url": "http://x/", "hours": 1, "user": SimpleNamespace(display_name="Reader")},
        ),
    )
    yield "test_news"
    mailings._KINDS.pop("test_news", None)


def test_a_mailing_reaches_everyone_once_in_batches(app, outbox, test_kind):
    start_mailing(test_kind, "thing", 1)
    db.session.commit()
    assert send_mailings(batch=2) == 2 and send_mailings(batch=2) == 2
    assert db.session.scalar(db.select(Mailing)).finished_at is None
    assert send_mailings(batch=2) == 1
    mailing = db.session.scalar(db.select(Mailing))
    assert mailing.finished_at is not None and mailing.sent_count == 5 and mailing.last_key == 21
    assert send_mailings(batch=2) == 0
    assert sorted(m["To"] for _id, m in outbox.messages()) == sorted(p.email for p in PEOPLE)


def test_a_mail_server_outage_resumes_where_it_stopped(app, outbox, test_kind, monkeypatch):
    start_mailing(test_kind, "thing", 1)
    db.session.commit()
    real_send, calls = mailings.send_mail, {"n": 0}

    def flaky(to, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ServiceUnavailable("down")
        return real_send(to, *args, **kwargs)

    monkeypatch.setattr(mailings, "send_mail", flaky)
    assert send_mailings(batch=10) == 2
    assert send_mailings(batch=10) == 3
    assert [m["To"] for _id, m in reversed(outbox.messages())] == [
        p.email for p in PEOPLE
    ]  # nobody twice, nobody left out


def test_a_mailing_about_something_gone_finishes_without_sending(app, outbox):
    register_mailing_kind("test_gone", recipients=lambda mailing, after, limit: PEOPLE, message=lambda m: None)
    try:
        start_mailing("test_gone", "thing", 1)
        db.session.commit()
        assert send_mailings() == 0
        assert db.session.scalar(db.select(Mailing)).finished_at is not None and not outbox.messages()
    finally:
        mailings._KINDS.pop("test_gone", None)


def test_an_unknown_kind_is_refused_when_started(app):
    with pytest.raises(KeyError):
        start_mailing("no_such_kind", "thing", 1)
