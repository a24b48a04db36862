"""The search interface every engine implements, the plain values it takes and returns, and the
one way user input becomes search words (shared, so that both engines read a query alike)."""

import abc
import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

LANGUAGES = ("en", "es")
FACETS = ("type", "status", "topic", "area")
SORTS = ("relevance", "date")
MAX_QUERY_CHARACTERS = 200  # a longer query is cut, not refused: 2,000 pasted characters still search
MAX_QUERY_WORDS = 12
MAX_PER_PAGE = 50
MAX_PAGE = 200
SNIPPET_START, SNIPPET_END = "\x02", "\x03"  # engines mark matches with these; snippet_html turns them into <mark>
# Operator words a person may type ("bus OR tram"): both engines search all the words instead.
OPERATOR_WORDS = frozenset({"and", "or", "not", "near"})
# Plurals the Snowball English stemmer leaves apart from their singular ("buses" -> "buse", "bus"
# -> "bus"); both engines read them as the singular before stemming, in documents and queries.
ENGLISH_PLURALS = {"buses": "bus", "busses": "bus", "gases": "gas", "lenses": "lens", "biases": "bias"}
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchDocument:
    """What the index knows of one item, built by the domain that owns it (indexing.register_search_kind).
    `public` False means the item must not be found: indexing it removes it from the index."""

    type: str
    id: int
    language: str = "en"
    title: str = ""
    summary: str = ""
    body: str = ""
    url: str = ""
    status: str = ""
    topic: str = ""
    area: str = ""
    created_at: datetime | None = None
    public: bool = True
    heading: str = (
        ""  # shown as the hit's title when it has none of its own (a comment: its discussion's); not searched
    )

    @property
    def key(self):
        return (self.type, self.id)

    @property
    def analysis_language(self):
        return self.language if self.language in LANGUAGES else "en"


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    types: tuple = ()
    status: str = ""
    topic: str = ""
    area: str = ""
    since: datetime | None = None
    until: datetime | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20

    def filters(self, without=None):
        """The facet filters as {facet: values}, leaving out `without` (counts per value of a facet
        are counted with the other filters only, so that each value shows what choosing it gives)."""
        chosen = {
            "type": tuple(self.types),
            "status": _one(self.status),
            "topic": _one(self.topic),
            "area": _one(self.area),
        }
        return {name: values for name, values in chosen.items() if values and name != without}

    @property
    def bounded_page(self):
        return min(max(int(self.page or 1), 1), MAX_PAGE)

    @property
    def bounded_per_page(self):
        return min(max(int(self.per_page or 20), 1), MAX_PER_PAGE)

    @property
    def offset(self):
        return (self.bounded_page - 1) * self.bounded_per_page


def _one(value):
    return (value,) if value else ()


@dataclass(frozen=True)
class Hit:
    type: str
    id: int
    title: str
    url: str
    snippet: str = ""  # safe HTML: the text escaped, matches in <mark>
    status: str = ""
    topic: str = ""
    area: str = ""
    created_at: datetime | None = None
    score: float = 0.0


@dataclass
class Results:
    total: int = 0
    hits: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # facet -> {value: count}
    page: int = 1
    per_page: int = 20


class SearchBackend(abc.ABC):
    """One search engine. Every method accepts any text without raising on its content."""

    name = "?"

    @abc.abstractmethod
    def index(self, documents):
        """Add or replace these documents; a document not `public` is removed instead."""

    @abc.abstractmethod
    def remove(self, keys):
        """Remove the documents with these (type, id) keys; unknown keys are ignored."""

    @abc.abstractmethod
    def search(self, query):
        """Results of a SearchQuery: hits of one page, the total and counts per facet value."""

    @abc.abstractmethod
    def suggest(self, text):
        """A corrected query ("did you mean ...") that finds something, or None."""

    @abc.abstractmethod
    def similar_titles(self, text, types=(), limit=5):
        """Hits whose titles resemble `text` (a citizen typing a new title)."""

    @abc.abstractmethod
    def keys(self):
        """The (type, id) of every document in the index (flask search check)."""

    @abc.abstractmethod
    def clear(self):
        """Empty the index (flask search reindex starts with it)."""


def query_words(text):
    """The words of what a person typed: letters and digits of any script, lower-cased; quotes,
    brackets, wildcards, operators, emoji and control characters are dropped, and a long query is
    cut to its first words. May be empty (nothing to search for)."""
    text = unicodedata.normalize("NFKC", str(text or ""))[: MAX_QUERY_CHARACTERS * 10]
    words = [w.lower() for w in _WORD.findall(text)]
    words = [w.strip("_") for w in words if w.lower() not in OPERATOR_WORDS]
    return [w for w in words if w][:MAX_QUERY_WORDS]


_SPANISH_MARKS = frozenset(
    "el la los las de del que y en un una por para con es se no al lo como más pero sus su este esta "
    "están ser hay muy también sobre entre cuando todos ayuntamiento barrio calle".split()
)
_ENGLISH_MARKS = frozenset(
    "the of and to in a is that for it on with as are be this by at from or an not we our have has "
    "council street should".split()
)


def guess_language(text, default="en"):
    """'en' or 'es' by the common words of the text (items carry no language of their own); the
    default when the text does not say."""
    words = [w.lower() for w in _WORD.findall(text or "")[:400]]
    spanish = sum(w in _SPANISH_MARKS for w in words) + 2 * sum(ch in "ñáéíóú¿¡" for ch in (text or "")[:2000])
    english = sum(w in _ENGLISH_MARKS for w in words)
    if spanish > english:
        return "es"
    if english > spanish:
        return "en"
    return default if default in LANGUAGES else "en"


def document_words(document):
    """Every word of a document as written (lower-cased): what spelling suggestions may offer."""
    return {w.lower() for part in (document.title, document.summary, document.body) for w in _WORD.findall(part or "")}


def edit_distance(a, b, limit=3):
    """Optimal-string-alignment distance (insertions, deletions, substitutions and swaps of two
    neighbours each cost 1), or `limit` once it is certain to reach it."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    before, row = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (ca != cb))
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        before, row = row, current
        if min(row) >= limit:
            return limit
    return min(row[-1], limit)


def allowed_typos(word):
    """How many typing mistakes "did you mean" corrects in a word of this length."""
    return 1 if len(word) <= 5 else 2


def query_text(text):
    return " ".join(query_words(text))


def english_singular(word):
    return ENGLISH_PLURALS.get(word.lower(), word)


def normalize_for_language(text, language):
    """The text as the engines analyse it: English plurals the stemmer misses read as singular."""
    if language != "en" or not text:
        return text or ""
    return _WORD.sub(lambda m: ENGLISH_PLURALS.get(m.group(0).lower(), m.group(0)), text)


def clean_document_text(text):
    """Document text without the characters the engines use to mark matches."""
    return (text or "").replace(SNIPPET_START, " ").replace(SNIPPET_END, " ")


def snippet_html(marked):
    """Escape an engine's marked snippet and turn its markers into <mark>...</mark>."""
    escaped = html.escape(marked or "", quote=False)
    return escaped.replace(SNIPPET_START, "<mark>").replace(SNIPPET_END, "</mark>")
