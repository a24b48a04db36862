"""Relevance on real text: on the Decide Madrid proposals (read in place from ../shared/data when
present), a query made of a proposal's own most distinctive title words finds it in the top 3."""

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from civic.search.backend import SearchDocument, SearchQuery, guess_language, query_words

MADRID = Path(__file__).resolve().parents[3] / "shared" / "data" / "decide_madrid" / "proposals.csv"
DOCUMENTS = 1500
QUERIES = 60
WORDS_PER_QUERY = 3
REQUIRED_SHARE = 0.9  # real data repeats itself: a few proposals share their rarest words with another
_TAG = re.compile(r"<[^>]+>")


def madrid_documents():
    if not MADRID.exists():
        pytest.skip(f"the Decide Madrid data is not at {MADRID}")
    documents = []
    with MADRID.open(newline="", encoding="utf-8") as source:
        for row in csv.DictReader(source, delimiter=";"):
            title, body = row["title"].strip(), _TAG.sub(" ", row["description"])
            if len(query_words(title)) < 3:
                continue
            documents.append(
                SearchDocument("proposal", int(row["id"]), guess_language(f"{title} {body}", "es"), title, "", body)
            )
            if len(documents) == DOCUMENTS:
                break
    return documents


def distinctive_query(document, frequency):
    words = {w for w in query_words(document.title) if len(w) >= 4 and not w.isdigit()}
    return " ".join(sorted(words, key=lambda w: (frequency[w], w))[:WORDS_PER_QUERY])


def test_a_proposals_own_distinctive_words_find_it_in_the_top_three(engine):
    documents = madrid_documents()
    engine.index(documents)
    frequency = Counter(w for d in documents for w in set(query_words(d.title) + query_words(d.body)))
    step = max(len(documents) // QUERIES, 1)
    sample = [d for d in documents[::step] if distinctive_query(d, frequency)][:QUERIES]
    misses = []
    for document in sample:
        query = distinctive_query(document, frequency)
        top = [(hit.type, hit.id) for hit in engine.search(SearchQuery(text=query, per_page=3)).hits]
        if document.key not in top:
            misses.append((query, document.title))
    assert len(misses) <= len(sample) * (1 - REQUIRED_SHARE), misses
