"""Which texts look like this one: TF-IDF weighted word overlap (cosine), in English and Spanish.

Used to show people similar petitions while they type a title, until the search engine can do
it. Pure functions over plain values."""

import math
import re
import unicodedata
from collections import Counter

STOP_WORDS = frozenset(
    """
a an and are as at be by for from has have in into is it its of on or our should that the their this to was we
were will with not no all any more most must make stop start allow ban new
el la los las un una unos unas y o de del al en que por para con sin se su sus es son lo le les ya mas muy
debe deben hacer nuevo nueva todo todos
""".split()
)
WORD = re.compile(r"[a-z0-9]+")


def _fold(text):
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _stem(word):
    for suffix in ("ies", "es", "s"):
        if len(word) > 4 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def terms(text):
    """Lower-cased, accent-free, lightly stemmed words without stop words."""
    return [_stem(word) for word in WORD.findall(_fold(text or "")) if word not in STOP_WORDS and len(word) > 1]


def most_similar(text, candidates, *, limit=5, min_score=0.15):
    """candidates: [(key, text)] -> [(key, score)] most similar first, scores in 0..1."""
    query = Counter(terms(text))
    if not query or not candidates:
        return []
    documents = [(key, Counter(terms(candidate))) for key, candidate in candidates]
    frequency = Counter(term for _key, counts in documents for term in counts)
    total = len(documents) + 1

    def weights(counts):
        return {
            term: (1 + math.log(n)) * math.log(1 + total / (1 + frequency.get(term, 0))) for term, n in counts.items()
        }

    q = weights(query)
    q_norm = math.sqrt(sum(w * w for w in q.values()))
    scored = []
    for key, counts in documents:
        if not counts.keys() & q.keys():
            continue
        d = weights(counts)
        dot = sum(q[t] * d[t] for t in q.keys() & d.keys())
        score = dot / (q_norm * math.sqrt(sum(w * w for w in d.values())))
        if score >= min_score:
            scored.append((key, round(score, 3)))
    scored.sort(key=lambda pair: (-pair[1], str(pair[0])))
    return scored[:limit]
