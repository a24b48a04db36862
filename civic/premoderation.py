"""Automatic pre-moderation where people post (issue 14): the Judge of civic.insights.premoderation
with the site's configuration, fed with the texts the database holds of the last minutes (so that
bursts are seen across processes), and each automatic decision logged.

Posting services (comments, statements) call `judge_text` before they store a text, `refuse_blocked`
to turn a BLOCK into a refusal that names the rule, and `record_decision` in their own transaction for
a HOLD. This module imports no domain's services, so that every domain may call it."""

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic.audit.services import record_staff_action
from civic.common.db import commit
from civic.common.models import utcnow
from civic.errors import InvalidInput
from civic.insights.premoderation import (
    ALLOWED,
    BLOCK,
    BLOCK_WORD,
    BURST,
    HOLD,
    HOLD_WORD,
    NEW_ACCOUNT_LINK,
    Judge,
    Settings,
    Submission,
    load_word_list,
)

HELD, BLOCKED = "premoderation.hold", "premoderation.block"
APPROVED, REJECTED = "premoderation.approve", "premoderation.reject"

# What each rule is called where people read it: the author of a held text, moderators, the public log.
RULE_LABELS = {
    BLOCK_WORD: _l("a word or phrase this site does not accept"),
    HOLD_WORD: _l("a word or phrase that a moderator reads first"),
    NEW_ACCOUNT_LINK: _l("a link from a new account, or from one whose email is not verified yet"),
    BURST: _l("the same or nearly the same text posted many times in a few minutes"),
}


def rule_label(rule):
    label = RULE_LABELS.get(rule)
    return str(label) if label is not None else ""


@dataclass(frozen=True)
class RecentText:
    """A text stored in the last minutes, as a burst is measured against it."""

    text: str
    author_id: int | None
    at: object  # an aware datetime


@lru_cache(maxsize=8)
def _settings(block_file, hold_file, link_delay_hours, burst_minutes, burst_threshold):
    return Settings(
        block_words=load_word_list(block_file) if block_file else (),
        hold_words=load_word_list(hold_file) if hold_file else (),
        link_delay=timedelta(hours=link_delay_hours),
        burst_window=timedelta(minutes=burst_minutes),
        burst_threshold=burst_threshold,
    )


def settings():
    """The Settings of the running app's configuration (the word lists read once per process)."""
    config = current_app.config
    return _settings(
        config["CIVIC_PREMODERATION_BLOCK_WORDS_FILE"],
        config["CIVIC_PREMODERATION_HOLD_WORDS_FILE"],
        config["CIVIC_PREMODERATION_LINK_DELAY_HOURS"],
        config["CIVIC_PREMODERATION_BURST_MINUTES"],
        config["CIVIC_PREMODERATION_BURST_THRESHOLD"],
    )


def is_on():
    return bool(current_app.config["CIVIC_PREMODERATION"])


def judge_text(author, text, recent_texts):
    """The verdict on `text` by `author` (a User). `recent_texts(since, limit)` gives the RecentText
    of the kind stored since that moment (held ones included, the text being judged excluded), at
    most `limit`, in any order: they are what a burst is measured against. Allowed when
    pre-moderation is off."""
    if not is_on():
        return ALLOWED
    rules = settings()
    # The stored rows' own time source (not the clock tests freeze): texts and accounts are stamped with it.
    now = utcnow()
    judge = Judge(rules)
    earlier = sorted(recent_texts(now - rules.burst_window, rules.burst_memory), key=lambda r: r.at)
    for recent in earlier:
        judge.remember(Submission(recent.text, recent.author_id, recent.at))
    created = getattr(author, "created_at", None) or now
    return judge.judge(
        Submission(
            text,
            author.id,
            now,
            account_age=max(now - created, timedelta(0)),
            email_verified=bool(getattr(author, "email_verified", False)),
        )
    )


def _details(verdict):
    return {"rule": verdict.rule, "matched": (verdict.matched or "")[:200]}


def refuse_blocked(verdict, kind, field):
    """A BLOCK verdict: its audit entry committed (no text kept), then the refusal naming the rule.
    Anything else passes."""
    if verdict.action != BLOCK:
        return
    record_staff_action(None, BLOCKED, kind, None, "", "", _details(verdict))
    commit()
    raise InvalidInput(
        _(
            "This text cannot be published: it contains %(what)s (“%(matched)s”). Change it and send it again.",
            what=rule_label(verdict.rule),
            matched=verdict.matched,
        ),
        field=field,
    )


def is_held(verdict):
    return verdict.action == HOLD


def record_decision(verdict, kind, target_id, label):
    """A HOLD verdict's audit entry (by no one: the rule decided), in the caller's transaction."""
    record_staff_action(None, HELD, kind, target_id, label, "", _details(verdict))


def held_message(rule):
    """What the author of a held text is told, the rule in plain words."""
    return _(
        "Your text is held for review because of %(why)s. A moderator will read it before it is published; "
        "until then only you and the moderators can see it.",
        why=rule_label(rule) or _("an automatic rule"),
    )
