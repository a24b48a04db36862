"""The one contract every search engine keeps, run against Whoosh and PostgreSQL alike: stemming in
English and Spanish, filters and their counts, highlights, "did you mean", removal, non-public
documents never found, and any text a person may type searched without an error."""

from datetime import UTC, datetime

import pytest

from civic.search.backend import MAX_QUERY_WORDS, SearchDocument, SearchQuery, query_words


def moment(day):
    return datetime(2026, 3, day, 12, 0, tzinfo=UTC)


CORPUS = [
    SearchDocument(
        "petition",
        1,
        "en",
        "More bus lanes on High Street",
        "Buses are stuck in traffic every morning",
        "Give the buses a lane of their own between the station and the market.",
        "/petitions/1",
        "open",
        "transport",
        "Old Town",
        moment(1),
    ),
    SearchDocument(
        "petition",
        2,
        "en",
        "Night bus timetable",
        "A night bus to Northfield after midnight",
        "Shift workers cannot get home.",
        "/petitions/2",
        "closed",
        "transport",
        "Northfield",
        moment(5),
    ),
    SearchDocument(
        "proposal",
        3,
        "es",
        "Vivienda asequible para jóvenes",
        "Más vivienda pública en el barrio",
        "El ayuntamiento debe construir pisos de alquiler social.",
        "/proposals/3",
        "open",
        "housing",
        "Riverside",
        moment(10),
    ),
    SearchDocument(
        "consultation",
        4,
        "en",
        "Cycling network",
        "Where should the new cycle lanes go?",
        "Tell us which streets feel unsafe <script>alert(1)</script> for cycling.",
        "/consultations/4",
        "closed",
        "transport",
        "Riverside",
        moment(15),
    ),
    SearchDocument(
        "comment",
        5,
        "en",
        "",
        "",
        "I take the bus to work every day and it is always late.",
        "/discussions/1/comments/5",
        "",
        "",
        "",
        moment(20),
        heading="Cycling network",
    ),
    SearchDocument(
        "proposal",
        6,
        "es",
        "Carril bus en la avenida",
        "Un carril bus para la avenida principal",
        "Los autobuses tardan demasiado.",
        "/proposals/6",
        "open",
        "transport",
        "Old Town",
        moment(25),
    ),
    SearchDocument(
        "petition",
        7,
        "en",
        "Secret bus depot plans",
        "Hidden by a moderator",
        "Personal data about a driver.",
        "/petitions/7",
        "hidden",
        "transport",
        "",
        moment(26),
        public=False,
    ),
]


@pytest.fixture
def indexed(engine):
    engine.index(CORPUS)
    return engine


def found(results):
    return {(hit.type, hit.id) for hit in results.hits}


def search(engine, text, **filters):
    return engine.search(SearchQuery(text=text, **filters))


def test_english_plural_finds_the_singular(indexed):
    # "Night bus timetable" says "bus" only; the plural finds it, and the singular finds the plural.
    assert ("petition", 2) in found(search(indexed, "buses"))
    assert ("petition", 1) in found(search(indexed, "bus"))


def test_spanish_plural_finds_the_singular(indexed):
    assert found(search(indexed, "viviendas")) == {("proposal", 3)}
    assert ("proposal", 6) in found(search(indexed, "autobús"))


def test_every_word_must_match(indexed):
    assert found(search(indexed, "night bus")) == {("petition", 2)}


def test_title_weighs_more_than_body(indexed):
    hits = search(indexed, "cycling").hits
    assert hits[0].type == "consultation"


def test_filters_narrow_results_and_each_facet_counts_without_its_own_filter(indexed):
    everything = search(indexed, "bus")
    assert everything.total == 4
    assert everything.counts["type"] == {"petition": 2, "comment": 1, "proposal": 1}
    petitions = search(indexed, "bus", types=("petition",))
    assert found(petitions) == {("petition", 1), ("petition", 2)}
    assert petitions.total == 2
    # The type counts still show the other types (choosing one shows what it gives)...
    assert petitions.counts["type"] == {"petition": 2, "comment": 1, "proposal": 1}
    # ...and the other facets count within the chosen type.
    assert petitions.counts["status"] == {"open": 1, "closed": 1}
    assert petitions.counts["area"] == {"Old Town": 1, "Northfield": 1}
    assert found(search(indexed, "bus", topic="transport", area="Old Town")) == {("petition", 1), ("proposal", 6)}
    assert found(search(indexed, "bus", status="closed")) == {("petition", 2)}


def test_date_range_filter(indexed):
    assert found(search(indexed, "bus", since=moment(4), until=moment(21))) == {("petition", 2), ("comment", 5)}


def test_sort_by_date_puts_the_newest_first(indexed):
    hits = search(indexed, "bus", sort="date").hits
    assert [(hit.type, hit.id) for hit in hits] == [("proposal", 6), ("comment", 5), ("petition", 2), ("petition", 1)]


def test_pages_split_the_hits_and_keep_the_total(indexed):
    first = search(indexed, "bus", sort="date", per_page=3, page=1)
    second = search(indexed, "bus", sort="date", per_page=3, page=2)
    beyond = search(indexed, "bus", sort="date", per_page=3, page=5)
    assert len(first.hits) == 3 and [(h.type, h.id) for h in second.hits] == [("petition", 1)]
    assert first.total == second.total == beyond.total == 4
    assert beyond.hits == []


def test_snippets_mark_the_matches_and_escape_the_text(indexed):
    hit = search(indexed, "unsafe streets").hits[0]
    assert "<mark>" in hit.snippet and "</mark>" in hit.snippet
    assert "<script>" not in hit.snippet
    assert hit.title == "Cycling network" and hit.url == "/consultations/4"


def test_hits_carry_what_the_results_page_shows(indexed):
    hit = search(indexed, "timetable").hits[0]
    assert (hit.type, hit.id, hit.status, hit.topic, hit.area) == ("petition", 2, "closed", "transport", "Northfield")
    assert hit.created_at == moment(5)


def test_did_you_mean_corrects_a_misspelt_word(indexed):
    assert indexed.suggest("bus lnaes") == "bus lanes"
    assert indexed.suggest("vivenda") == "vivienda"


def test_no_suggestion_for_a_right_spelling_or_nothing_close(indexed):
    assert indexed.suggest("bus lanes") is None
    assert indexed.suggest("qxzvwj") is None
    assert indexed.suggest("") is None


def test_no_suggestion_from_words_of_non_public_documents(indexed):
    assert indexed.suggest("deppot") is None


def test_similar_titles_find_a_title_like_the_one_typed(indexed):
    similar = indexed.similar_titles("More bus lanes on the high street")
    assert (similar[0].type, similar[0].id) == ("petition", 1)
    assert all(hit.type == "proposal" for hit in indexed.similar_titles("bus lanes", types=("proposal",)))


def test_removed_documents_are_no_longer_found(indexed):
    indexed.remove([("petition", 1), ("nothing", 99)])
    assert ("petition", 1) not in found(search(indexed, "bus"))
    assert ("petition", 1) not in indexed.keys()


def test_non_public_documents_are_never_found(indexed):
    assert search(indexed, "depot").total == 0
    assert ("petition", 7) not in indexed.keys()
    assert all(hit.id != 7 for hit in indexed.similar_titles("Secret bus depot plans"))


def test_indexing_a_document_that_became_private_removes_it(indexed):
    hidden = SearchDocument("petition", 1, "en", "More bus lanes on High Street", public=False)
    indexed.index([hidden])
    assert ("petition", 1) not in found(search(indexed, "lanes"))


def test_indexing_again_replaces_the_document(indexed):
    indexed.index([SearchDocument("petition", 2, "en", "Tram extension", "", "", "/petitions/2")])
    assert ("petition", 2) not in found(search(indexed, "night"))
    assert found(search(indexed, "tram")) == {("petition", 2)}


def test_keys_and_clear(indexed):
    assert indexed.keys() == {doc.key for doc in CORPUS if doc.public}
    indexed.clear()
    assert indexed.keys() == set()
    assert search(indexed, "bus").total == 0


BAD_INPUT = [
    '"bus lanes',
    '"bus" "lanes"',
    "((bus) AND (lanes",
    ")(",
    "bus AND OR NOT lanes",
    "NOT",
    "bus* la?es",
    "*",
    "-bus +lanes ~2 ^3",
    "title:bus",
    "bus:",
    "巴士 路线",
    "автобус",
    "حافلة",
    "🚌🚲",
    "bus 🚌",
    "x" * 2000,
    "bus " * 500,
    "",
    "   ",
    "\x00\x1b[31m",
    "'; DROP TABLE search_document; --",
    "<script>alert(1)</script>",
    "%_%",
    "\\",
    "&|!:*<->",
]


@pytest.mark.parametrize("text", BAD_INPUT, ids=range(len(BAD_INPUT)))
def test_any_text_is_searched_without_an_error(indexed, text):
    results = search(indexed, text)
    assert results.total >= 0 and len(results.hits) <= results.per_page
    indexed.suggest(text)
    indexed.similar_titles(text)
    assert ("petition", 7) not in found(results)


def test_quotes_brackets_and_operators_search_the_words_inside(indexed):
    for text in ('"bus lanes"', "(bus) AND (lanes)", "bus OR lanes", "bus* lanes?"):
        assert ("petition", 1) in found(search(indexed, text)), text


def test_a_long_query_is_cut_to_its_first_words(indexed):
    assert len(query_words("bus " * 1000)) == MAX_QUERY_WORDS
    assert ("petition", 1) in found(search(indexed, "bus " * 500))


def test_a_document_without_a_title_shows_its_heading_but_is_not_found_by_it(indexed):
    hit = search(indexed, "late").hits[0]
    assert (hit.type, hit.id, hit.title) == ("comment", 5, "Cycling network")
    assert ("comment", 5) not in found(search(indexed, "network"))
