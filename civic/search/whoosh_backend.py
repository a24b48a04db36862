"""The embedded engine: a Whoosh index under the instance folder, English and Spanish fields with
their own stemming, BM25F, highlights and spelling suggestions. Whoosh allows one writer at a
time, so every write of a process goes through one writer thread (`SingleWriter`); the writer
waits for another process's lock instead of raising LockError."""

import fcntl
import logging
import queue
import threading
from concurrent.futures import Future
from datetime import UTC
from pathlib import Path

from whoosh import highlight, index, sorting
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.query import And, DateRange, Or, Term
from whoosh.writing import CLEAR

from civic.search.backend import (
    ENGLISH_PLURALS,
    FACETS,
    LANGUAGES,
    SNIPPET_END,
    SNIPPET_START,
    Hit,
    Results,
    SearchBackend,
    allowed_typos,
    clean_document_text,
    edit_distance,
    query_words,
    snippet_html,
)

log = logging.getLogger(__name__)
PARTS = {"title": 3.0, "summary": 1.6, "body": 1.0}  # BM25F field weights
WRITER_IDLE_SECONDS = 2.0  # the writer thread ends after this long without work, and starts again on demand
WRITE_TIMEOUT_SECONDS = 60.0
BATCH = 500
SNIPPET_CHARACTERS = 240


class EnglishPluralFilter(Filter):
    """Plurals the English stemmer keeps apart from their singular (backend.ENGLISH_PLURALS)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = ENGLISH_PLURALS.get(token.text, token.text)
            yield token


def language_analyzer(language):
    analyzer = RegexTokenizer() | LowercaseFilter()
    if language == "en":
        analyzer = analyzer | EnglishPluralFilter()
    return analyzer | StopFilter(lang=language) | StemFilter(lang=language)


def build_schema():
    fields = {
        "key": ID(stored=True, unique=True),
        "type": ID(stored=True, sortable=True),
        "item_id": STORED(),
        "language": ID(stored=True),
        "url": STORED(),
        "heading": STORED(),
        "status": ID(stored=True, sortable=True),
        "topic": ID(stored=True, sortable=True),
        "area": ID(stored=True, sortable=True),
        "created_at": DATETIME(stored=True, sortable=True),
        # Words as written, for "did you mean": not stemmed, so a suggestion is a real word.
        "spell": TEXT(analyzer=RegexTokenizer() | LowercaseFilter(), spelling=True),
    }
    for language in LANGUAGES:
        analyzer = language_analyzer(language)
        for part, boost in PARTS.items():
            fields[f"{part}_{language}"] = TEXT(analyzer=analyzer, stored=True, field_boost=boost)
    return Schema(**fields)


def _key(kind, item_id):
    return f"{kind}:{item_id}"


class MarkerFormatter(highlight.Formatter):
    """Matches between the backend's markers; snippet_html escapes the rest and makes them <mark>."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return SNIPPET_START + highlight.get_text(text, token, replace) + SNIPPET_END


class SingleWriter:
    """All the writes of this process, one at a time, through one thread that holds the index's
    writer: callers wait for their change to be committed, and never meet a LockError."""

    def __init__(self, open_index):
        self._open_index = open_index
        self._queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread = None

    def submit(self, operation, *, clear=False):
        done = Future()
        self._queue.put((operation, clear, done))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="civic-search-writer", daemon=True)
                self._thread.start()
        return done.result(timeout=WRITE_TIMEOUT_SECONDS)

    def _run(self):
        while True:
            try:
                first = self._queue.get(timeout=WRITER_IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            batch = [first]
            # Emptying the index is a batch of its own: changes before it are gone, changes after it stay.
            while not first[1] and len(batch) < BATCH:
                try:
                    following = self._queue.get_nowait()
                except queue.Empty:
                    break
                if following[1]:
                    self._write(batch)
                    batch = []
                    first = following
                batch.append(following)
            self._write(batch)

    def _write(self, batch):
        if not batch:
            return
        writer = None
        try:
            # Another process holding the lock is waited for (up to the timeout), not an error.
            writer = self._open_index().writer(timeout=WRITE_TIMEOUT_SECONDS / 2, delay=0.05)
            for operation, _clear, _done in batch:
                operation(writer)
            writer.commit(mergetype=CLEAR if batch[0][1] else None)
        except Exception as error:  # noqa: BLE001 - handed to every caller waiting on this batch
            log.exception("search index write failed")
            if writer is not None:
                try:
                    writer.cancel()
                except Exception:  # noqa: BLE001
                    pass
            for _operation, _clear, done in batch:
                done.set_exception(error)
            return
        for _operation, _clear, done in batch:
            done.set_result(None)


class WhooshBackend(SearchBackend):
    name = "whoosh"

    def __init__(self, directory):
        self.directory = Path(directory)
        self._index = None
        self._open_lock = threading.Lock()
        self.writer = SingleWriter(self._ix)

    def _ix(self):
        if self._index is None:
            with self._open_lock:
                if self._index is None:
                    self.directory.mkdir(parents=True, exist_ok=True)
                    # Another process may be creating it at the same moment: one creates, the other opens.
                    with open(self.directory / "create.lock", "a") as lock:
                        fcntl.flock(lock, fcntl.LOCK_EX)
                        try:
                            if index.exists_in(str(self.directory)):
                                self._index = index.open_dir(str(self.directory))
                            else:
                                self._index = index.create_in(str(self.directory), build_schema())
                        finally:
                            fcntl.flock(lock, fcntl.LOCK_UN)
        return self._index

    # --- writing ----------------------------------------------------------------------------

    def index(self, documents):
        documents = list(documents)
        if not documents:
            return

        def write(writer):
            for document in documents:
                if document.public:
                    writer.update_document(**self._fields(document))
                else:
                    writer.delete_by_term("key", _key(document.type, document.id))

        self.writer.submit(write)

    def remove(self, keys):
        keys = list(keys)
        if not keys:
            return

        def write(writer):
            for kind, item_id in keys:
                writer.delete_by_term("key", _key(kind, item_id))

        self.writer.submit(write)

    def clear(self):
        self.writer.submit(lambda writer: None, clear=True)

    @staticmethod
    def _fields(document):
        language = document.analysis_language
        title, summary, body = (clean_document_text(t) for t in (document.title, document.summary, document.body))
        fields = {
            "key": _key(document.type, document.id),
            "type": document.type,
            "item_id": document.id,
            "language": language,
            "url": document.url,
            "heading": document.heading or "",
            "status": document.status or "",
            "topic": document.topic or "",
            "area": document.area or "",
            "spell": " ".join((title, summary, body)),
            f"title_{language}": title,
            f"summary_{language}": summary,
            f"body_{language}": body,
        }
        if document.created_at is not None:
            fields["created_at"] = document.created_at.replace(tzinfo=None)
        return fields

    # --- reading ----------------------------------------------------------------------------

    def _words_query(self, words, parts=tuple(PARTS), every_word=True):
        schema = self._ix().schema
        per_word = []
        for word in words:
            alternatives = []
            for language in LANGUAGES:
                for part in parts:
                    name = f"{part}_{language}"
                    for token in schema[name].analyzer(word, mode="query"):
                        alternatives.append(Term(name, token.text))
            if alternatives:
                per_word.append(Or(alternatives))
        if not per_word:
            return None
        return And(per_word) if every_word else Or(per_word)

    @staticmethod
    def _filter(search, without=None):
        parts = [Or([Term(name, value) for value in values]) for name, values in search.filters(without).items()]
        if search.since or search.until:
            start = search.since.replace(tzinfo=None) if search.since else None
            end = search.until.replace(tzinfo=None) if search.until else None
            parts.append(DateRange("created_at", start, end))
        return And(parts) if parts else None

    def search(self, search):
        results = Results(page=search.bounded_page, per_page=search.bounded_per_page)
        query = self._words_query(query_words(search.text))
        if query is None:
            return results
        with self._ix().searcher() as searcher:
            sort = {"sortedby": "created_at", "reverse": True} if search.sort == "date" else {}
            found = searcher.search(
                query, filter=self._filter(search), limit=search.offset + search.bounded_per_page, terms=True, **sort
            )
            found.fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARACTERS, surround=60)
            found.formatter = MarkerFormatter()
            results.total = len(found)
            for hit in found[search.offset :]:
                results.hits.append(self._hit(hit))
            for facet in FACETS:
                grouped = searcher.search(
                    query,
                    filter=self._filter(search, without=facet),
                    limit=1,
                    groupedby=sorting.FieldFacet(facet, maptype=sorting.Count),
                )
                results.counts[facet] = {value: count for value, count in grouped.groups(facet).items() if value}
        return results

    @staticmethod
    def _hit(hit, with_snippet=True):
        stored = hit.fields()
        language = stored.get("language", "en")
        snippet = ""
        if with_snippet:
            for part in ("body", "summary", "title"):
                marked = hit.highlights(f"{part}_{language}", top=2)
                if marked:
                    snippet = marked
                    break
            if not snippet:
                snippet = (stored.get(f"summary_{language}") or stored.get(f"body_{language}") or "")[
                    :SNIPPET_CHARACTERS
                ]
        created = stored.get("created_at")
        return Hit(
            type=stored["type"],
            id=stored["item_id"],
            title=stored.get(f"title_{language}") or stored.get("heading", ""),
            url=stored.get("url", ""),
            snippet=snippet_html(snippet),
            status=stored.get("status", ""),
            topic=stored.get("topic", ""),
            area=stored.get("area", ""),
            created_at=created.replace(tzinfo=UTC) if created is not None else None,
            score=hit.score or 0.0,
        )

    def suggest(self, text):
        words = query_words(text)
        if not words:
            return None
        with self._ix().searcher() as searcher:
            corrector = searcher.corrector("spell")
            corrected = []
            for word in words:
                if searcher.doc_frequency("spell", word) > 0 or len(word) < 3:
                    corrected.append(word)
                    continue
                # Levenshtein distance 2 holds the swapped letters that count as one typo here.
                found = [
                    c
                    for c in corrector.suggest(word, limit=10, maxdist=2)
                    if edit_distance(word, c) <= allowed_typos(word)
                ]
                corrected.append(found[0] if found else word)
            if corrected == words:
                return None
            query = self._words_query(corrected)
            if query is None or searcher.search(query, limit=1).is_empty():
                return None
        return " ".join(corrected)

    def similar_titles(self, text, types=(), limit=5):
        query = self._words_query(query_words(text), parts=("title",), every_word=False)
        if query is None:
            return []
        kinds = Or([Term("type", kind) for kind in types]) if types else None
        with self._ix().searcher() as searcher:
            found = searcher.search(query, filter=kinds, limit=limit)
            return [self._hit(hit, with_snippet=False) for hit in found]

    def keys(self):
        with self._ix().searcher() as searcher:
            return {(fields["type"], fields["item_id"]) for fields in searcher.all_stored_fields()}

    def count(self):
        with self._ix().searcher() as searcher:
            return searcher.doc_count()
