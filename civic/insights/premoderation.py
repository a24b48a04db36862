"""Automatic pre-moderation: word lists, links from new accounts, bursts of near-identical text.

Pure code over plain values (issue 14, "Automatic pre-moderation"). A ``Judge`` looks at one
``Submission`` at a time and returns a ``Verdict``: allow, hold (for a moderator's review) or block,
with the rule that fired, a stable reason code and what matched. The rules, first match wins:

1. ``block_word``: the text contains a word or phrase of ``Settings.block_words`` -> block.
2. ``hold_word``: the text contains a word or phrase of ``Settings.hold_words`` -> hold.
3. ``new_account_link``: the text holds a link and the account is younger than
   ``Settings.link_delay`` or has no verified email -> hold.
4. ``burst``: within ``Settings.burst_window``, at least ``Settings.burst_threshold`` texts (this one
   included) are the same or nearly the same (word-shingle Jaccard similarity of at least
   ``Settings.burst_similarity``), by one account or many -> hold.

Words match whole words only (so "cunt" never matches "Scunthorpe"), ignoring case and accents
("IMBÉCIL" matches "imbecil"), with simple English and Spanish inflections: plural -s/-es, English
-ed/-ing/-er/-ers, and Spanish gender (an entry "pendejo" also matches "pendeja", "pendejos",
"pendejas"). An entry ending in ``*`` matches any word starting with it. An entry of several words
matches those words in a row.

Every submission is remembered for burst detection, whatever its verdict (a spammer whose copies
are held is still bursting). Memory is bounded: entries older than the window are dropped, and at
most ``Settings.burst_memory`` entries are kept.
"""

import re
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ALLOW, HOLD, BLOCK = "allow", "hold", "block"

BLOCK_WORD, HOLD_WORD, NEW_ACCOUNT_LINK, BURST = "block_word", "hold_word", "new_account_link", "burst"
RULES = (BLOCK_WORD, HOLD_WORD, NEW_ACCOUNT_LINK, BURST)

DEFAULT_HOLD_WORDS_FILE = Path(__file__).with_name("premoderation_hold_words.txt")

WORD = re.compile(r"[^\W_]+")
# Bare domains ("example.com") count as links when the top-level domain is written all in lower or
# all in upper case (so "collaboration.It" with a missing space is not a link). Top-level domains that are also
# everyday words (Spanish "es", "de"; English "it", "me", "us", "at") count only with a path after
# them ("bbc.co.uk" and "sn.at/news" are links, "bien.es" is not).
TLDS = (
    "com|org|net|edu|gov|info|biz|io|app|dev|xyz|site|online|shop|ru|cn|uk|ca|au|nz|fr|nl|eu|mx|ar|cl|pe"
    "|br|tw|tk|ws|tv|gl|gd|ly"
)
WORD_TLDS = "co|me|us|de|at|ch|es|it"
LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
LINK = re.compile(
    r"(?i:https?://|\bwww\.)\S+"
    rf"|\b(?:{LABEL}\.)+(?:{TLDS}|{TLDS.upper()})\b(?![.\-]?[a-zA-Z0-9])(?:/\S*)?"
    rf"|\b(?:{LABEL}\.)+(?:{WORD_TLDS}|{WORD_TLDS.upper()})/\S*"
)
ENGLISH_SUFFIXES = ("s", "es", "ed", "ing", "er", "ers")


@dataclass(frozen=True)
class Submission:
    """A text to judge. ``author`` is any hashable key of the account; ``account_age`` how long the
    account has existed when it posts; ``at`` when it posts (naive or aware, but consistently)."""

    text: str
    author: object
    at: datetime
    account_age: timedelta = timedelta(days=365)
    email_verified: bool = True


@dataclass(frozen=True)
class Settings:
    block_words: tuple = ()
    hold_words: tuple = ()
    link_delay: timedelta = timedelta(days=1)
    burst_window: timedelta = timedelta(minutes=30)
    burst_threshold: int = 3
    burst_similarity: float = 0.8
    burst_memory: int = 2000

    def __post_init__(self):
        if self.burst_threshold < 2:
            raise ValueError("burst_threshold must be at least 2")
        if not 0 < self.burst_similarity <= 1:
            raise ValueError("burst_similarity must be in (0, 1]")
        if self.burst_memory < 1:
            raise ValueError("burst_memory must be at least 1")


@dataclass(frozen=True)
class Verdict:
    """``action`` is ALLOW, HOLD or BLOCK; ``rule`` one of RULES (None when allowed); ``reason`` a
    stable code for logs and translation ("hold_word:idiot", "burst:3 texts by 2 accounts");
    ``matched`` what triggered it (the list entry, the link, the number of similar texts)."""

    action: str
    rule: str | None = None
    reason: str = ""
    matched: str = ""

    @property
    def allowed(self):
        return self.action == ALLOW


ALLOWED = Verdict(ALLOW)


def fold(text):
    """Lower case without accents: "Imbécil" -> "imbecil" (ñ becomes n, as people type it)."""
    text = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def words(text):
    return WORD.findall(fold(text))


def load_word_list(path):
    """One entry a line; blank lines and lines starting with # are skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))


def default_settings(**overrides):
    """The settings measured in bench/premoderation_polis.py: the short hold list shipped with Civic."""
    return Settings(**{"hold_words": load_word_list(DEFAULT_HOLD_WORDS_FILE), **overrides})


def _forms(entry_word):
    """The word forms one list word matches (a frozenset), or the prefix for a "word*" entry (a str)."""
    if entry_word.endswith("*"):
        return entry_word[:-1]
    forms = {entry_word}
    forms.update(entry_word + suffix for suffix in ENGLISH_SUFFIXES)
    if entry_word.endswith("y") and len(entry_word) > 2:
        forms.update((entry_word[:-1] + "ies", entry_word[:-1] + "ied"))
    if entry_word.endswith("e"):
        forms.update((entry_word + "d", entry_word[:-1] + "ing", entry_word + "r", entry_word + "rs"))
    if entry_word[-1] in "oa" and len(entry_word) > 3:
        stem = entry_word[:-1]
        forms.update(stem + ending for ending in ("o", "a", "os", "as"))
    return frozenset(forms)


class WordList:
    """A compiled word list: ``find(tokens)`` returns the first entry found in a list of folded words."""

    def __init__(self, entries):
        self._entries = []
        for entry in entries:
            parts = [part for part in (fold(word) for word in entry.split()) if part]
            if parts:
                self._entries.append((entry, [_forms(part) for part in parts]))

    def __bool__(self):
        return bool(self._entries)

    @staticmethod
    def _matches(token, forms):
        return token.startswith(forms) if isinstance(forms, str) else token in forms

    def find(self, tokens):
        for entry, parts in self._entries:
            span = len(parts)
            for start in range(len(tokens) - span + 1):
                if all(self._matches(tokens[start + i], parts[i]) for i in range(span)):
                    return entry
        return None


def find_link(text):
    """The first link-looking part of the text (http(s)://, www., or a bare domain), or None."""
    match = LINK.search(text or "")
    return match.group(0) if match else None


def shingles(tokens, size=2):
    """Sets of ``size`` consecutive words; a text shorter than that is one shingle of all its words."""
    if len(tokens) <= size:
        return frozenset([tuple(tokens)]) if tokens else frozenset()
    return frozenset(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def jaccard(a, b):
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass
class _Recent:
    at: datetime
    author: object
    shingles: frozenset


@dataclass
class Judge:
    """Judges submissions in time order and remembers recent ones for burst detection."""

    settings: Settings = field(default_factory=Settings)

    def __post_init__(self):
        self._block = WordList(self.settings.block_words)
        self._hold = WordList(self.settings.hold_words)
        self._recent = deque(maxlen=self.settings.burst_memory)

    def judge(self, submission):
        tokens = words(submission.text)
        verdict = self._words_verdict(tokens) or self._link_verdict(submission)
        burst = self._burst_verdict(submission, tokens)
        return verdict or burst or ALLOWED

    def _words_verdict(self, tokens):
        entry = self._block.find(tokens)
        if entry is not None:
            return Verdict(BLOCK, BLOCK_WORD, f"{BLOCK_WORD}:{entry}", entry)
        entry = self._hold.find(tokens)
        if entry is not None:
            return Verdict(HOLD, HOLD_WORD, f"{HOLD_WORD}:{entry}", entry)
        return None

    def _link_verdict(self, submission):
        if submission.email_verified and submission.account_age >= self.settings.link_delay:
            return None
        link = find_link(submission.text)
        if link is None:
            return None
        why = "unverified email" if not submission.email_verified else "account younger than the link delay"
        return Verdict(HOLD, NEW_ACCOUNT_LINK, f"{NEW_ACCOUNT_LINK}:{why}", link)

    def remember(self, submission):
        """Records a text for burst detection without judging it: to seed a fresh Judge with the
        texts stored in the last ``burst_window`` (oldest first) when no Judge lives across requests."""
        self._record(submission, shingles(words(submission.text)))

    def _record(self, submission, mine):
        while self._recent and submission.at - self._recent[0].at > self.settings.burst_window:
            self._recent.popleft()
        if mine:
            self._recent.append(_Recent(submission.at, submission.author, mine))

    def _burst_verdict(self, submission, tokens):
        """Remembers this submission; a HOLD verdict when it completes a burst."""
        settings = self.settings
        mine = shingles(tokens)
        similar = []
        if mine:
            while self._recent and submission.at - self._recent[0].at > settings.burst_window:
                self._recent.popleft()
            similar = [entry for entry in self._recent if jaccard(mine, entry.shingles) >= settings.burst_similarity]
        self._record(submission, mine)
        count = len(similar) + 1
        if not mine or count < settings.burst_threshold:
            return None
        accounts = len({entry.author for entry in similar} | {submission.author})
        return Verdict(HOLD, BURST, f"{BURST}:{count} similar texts by {accounts} accounts", str(count))
