"""The engine for PostgreSQL, chosen when the database is PostgreSQL (several app servers share it):
a table of documents with a weighted tsvector (title A, summary B, body C) built with the document's
language configuration, a GIN index, websearch_to_tsquery for what people type, ts_headline for
snippets and pg_trgm for spelling suggestions and similar titles. Its tables are made by the
migration 0023_search on PostgreSQL only; they are not models (SQLite has no tsvector)."""

from sqlalchemy import bindparam, text

from civic.search.backend import (
    FACETS,
    SNIPPET_END,
    SNIPPET_START,
    Hit,
    Results,
    SearchBackend,
    allowed_typos,
    clean_document_text,
    document_words,
    edit_distance,
    normalize_for_language,
    query_words,
    snippet_html,
)

CONFIGURATIONS = {"en": "english", "es": "spanish"}
DOCUMENT_TABLE = "search_document"
WORD_TABLE = "search_word"
# Made by the migration on PostgreSQL only, not models: the schema check and autogenerate skip them.
ENGINE_TABLES = frozenset({DOCUMENT_TABLE, WORD_TABLE})
FACET_COLUMNS = {"type": "kind", "status": "status", "topic": "topic", "area": "area"}
SPELLING_CANDIDATES = 200
MIN_TITLE_SIMILARITY = 0.2
_MATCH = "(document @@ websearch_to_tsquery('english', :q_en) OR document @@ websearch_to_tsquery('spanish', :q_es))"
_QUERY = (
    "(CASE WHEN language = 'es' THEN websearch_to_tsquery('spanish', :q_es) "
    "ELSE websearch_to_tsquery('english', :q_en) END)"
)
_UPSERT = text(
    f"""
    INSERT INTO {DOCUMENT_TABLE} (kind, item_id, language, title, heading, summary, body, url, status, topic,
                                  area, created_at, document)
    VALUES (:kind, :item_id, :language, :title, :heading, :summary, :body, :url, :status, :topic, :area, :created_at,
            setweight(to_tsvector(CAST(:config AS regconfig), :title_words), 'A')
            || setweight(to_tsvector(CAST(:config AS regconfig), :summary_words), 'B')
            || setweight(to_tsvector(CAST(:config AS regconfig), :body_words), 'C'))
    ON CONFLICT (kind, item_id) DO UPDATE SET
        language = excluded.language, title = excluded.title, heading = excluded.heading, summary = excluded.summary,
        body = excluded.body, url = excluded.url, status = excluded.status, topic = excluded.topic,
        area = excluded.area, created_at = excluded.created_at, document = excluded.document
    """
)
_WORDS = text(
    f"INSERT INTO {WORD_TABLE} (word) SELECT DISTINCT w FROM unnest(CAST(:words AS text[])) AS w "
    "WHERE length(w) BETWEEN 3 AND 40 ON CONFLICT DO NOTHING"
)


class PostgresBackend(SearchBackend):
    name = "postgres"

    def __init__(self, engine):
        self.engine = engine

    # --- writing ----------------------------------------------------------------------------

    def index(self, documents):
        documents = list(documents)
        if not documents:
            return
        hidden = [d.key for d in documents if not d.public]
        shown = [d for d in documents if d.public]
        with self.engine.begin() as connection:
            if hidden:
                self._remove(connection, hidden)
            if shown:
                connection.execute(_UPSERT, [self._row(d) for d in shown])
                words = sorted({w for d in shown for w in document_words(d)})
                if words:
                    connection.execute(_WORDS, {"words": words})

    @staticmethod
    def _row(document):
        language = document.analysis_language
        title, summary, body = (clean_document_text(t) for t in (document.title, document.summary, document.body))
        return {
            "kind": document.type,
            "item_id": document.id,
            "language": language,
            "config": CONFIGURATIONS[language],
            "title": title,
            "heading": clean_document_text(document.heading),
            "summary": summary,
            "body": body,
            "title_words": normalize_for_language(title, language),
            "summary_words": normalize_for_language(summary, language),
            "body_words": normalize_for_language(body, language),
            "url": document.url or "",
            "status": document.status or "",
            "topic": document.topic or "",
            "area": document.area or "",
            "created_at": document.created_at,
        }

    def remove(self, keys):
        keys = list(keys)
        if keys:
            with self.engine.begin() as connection:
                self._remove(connection, keys)

    @staticmethod
    def _remove(connection, keys):
        connection.execute(
            text(f"DELETE FROM {DOCUMENT_TABLE} WHERE kind = :kind AND item_id = :item_id"),
            [{"kind": kind, "item_id": item_id} for kind, item_id in keys],
        )

    def clear(self):
        with self.engine.begin() as connection:
            connection.execute(text(f"DELETE FROM {DOCUMENT_TABLE}"))
            connection.execute(text(f"DELETE FROM {WORD_TABLE}"))

    # --- reading ----------------------------------------------------------------------------

    @staticmethod
    def _query_params(words):
        return {"q_en": " ".join(normalize_for_language(w, "en") for w in words), "q_es": " ".join(words)}

    @staticmethod
    def _where(search, params, without=None):
        clauses = [_MATCH]
        for facet, values in search.filters(without).items():
            name = f"f_{facet}"
            clauses.append(f"{FACET_COLUMNS[facet]} IN :{name}")
            params[name] = tuple(values)
        if search.since:
            clauses.append("created_at >= :since")
            params["since"] = search.since
        if search.until:
            clauses.append("created_at <= :until")
            params["until"] = search.until
        return " AND ".join(clauses)

    @staticmethod
    def _expanding(statement, params):
        for name in params:
            if name.startswith("f_"):
                statement = statement.bindparams(bindparam(name, expanding=True))
        return statement

    def search(self, search):
        results = Results(page=search.bounded_page, per_page=search.bounded_per_page)
        words = query_words(search.text)
        if not words:
            return results
        with self.engine.connect() as connection:
            params = self._query_params(words)
            where = self._where(search, params)
            order = "created_at DESC NULLS LAST, kind, item_id" if search.sort == "date" else "rank DESC, kind, item_id"
            statement = text(
                f"""
                SELECT kind, item_id, coalesce(nullif(title, ''), heading) AS title, url, status, topic, area,
                       created_at, rank,
                       ts_headline(CAST(CASE WHEN language = 'es' THEN 'spanish' ELSE 'english' END AS regconfig),
                                   left(CASE WHEN body <> '' THEN body ELSE summary END, 20000), {_QUERY},
                                   :headline) AS snippet,
                       count(*) OVER () AS total
                FROM (SELECT *, ts_rank_cd(document, {_QUERY}) AS rank FROM {DOCUMENT_TABLE} WHERE {where}) AS found
                ORDER BY {order} LIMIT :limit OFFSET :offset
                """
            )
            params.update(
                limit=search.bounded_per_page,
                offset=search.offset,
                headline=(
                    f"StartSel={SNIPPET_START}, StopSel={SNIPPET_END}, MaxFragments=2, MaxWords=30, "
                    'MinWords=12, FragmentDelimiter=" … "'
                ),
            )
            rows = connection.execute(self._expanding(statement, params), params).mappings().all()
            if rows:
                results.total = rows[0]["total"]
            else:
                count_params = self._query_params(words)
                count = text(f"SELECT count(*) FROM {DOCUMENT_TABLE} WHERE {self._where(search, count_params)}")
                results.total = connection.execute(self._expanding(count, count_params), count_params).scalar()
            results.hits = [
                Hit(
                    type=row["kind"],
                    id=row["item_id"],
                    title=row["title"],
                    url=row["url"],
                    snippet=snippet_html(row["snippet"]),
                    status=row["status"],
                    topic=row["topic"],
                    area=row["area"],
                    created_at=row["created_at"],
                    score=float(row["rank"] or 0),
                )
                for row in rows
            ]
            for facet in FACETS:
                facet_params = self._query_params(words)
                column = FACET_COLUMNS[facet]
                statement = text(
                    f"SELECT {column} AS value, count(*) AS n FROM {DOCUMENT_TABLE} "
                    f"WHERE {self._where(search, facet_params, without=facet)} AND {column} <> '' GROUP BY {column}"
                )
                counted = connection.execute(self._expanding(statement, facet_params), facet_params)
                results.counts[facet] = {row.value: row.n for row in counted}
        return results

    def suggest(self, text_):
        words = query_words(text_)
        if not words:
            return None
        with self.engine.connect() as connection:
            corrected = []
            for word in words:
                known = connection.execute(text(f"SELECT 1 FROM {WORD_TABLE} WHERE word = :w"), {"w": word}).first()
                if known or len(word) < 3:
                    corrected.append(word)
                    continue
                found = self._closest_word(connection, word)
                corrected.append(found or word)
            if corrected == words:
                return None
            params = self._query_params(corrected)
            exists = connection.execute(text(f"SELECT 1 FROM {DOCUMENT_TABLE} WHERE {_MATCH} LIMIT 1"), params).first()
        return " ".join(corrected) if exists else None

    @staticmethod
    def _closest_word(connection, word):
        """Candidates from the trigram index (similar words, and words of about the same length with
        the same first letter, which catch swapped letters that share few trigrams), then the one
        fewest typing mistakes away."""
        candidates = connection.execute(
            text(
                f"SELECT word FROM {WORD_TABLE} WHERE word % :w "
                "OR (word LIKE :first AND length(word) BETWEEN :shortest AND :longest) "
                "ORDER BY similarity(word, :w) DESC, word LIMIT :candidates"
            ),
            {
                "w": word,
                "first": word[0].replace("%", "").replace("_", "") + "%",
                "shortest": len(word) - 2,
                "longest": len(word) + 2,
                "candidates": SPELLING_CANDIDATES,
            },
        ).scalars()
        best, best_distance = None, allowed_typos(word) + 1
        for candidate in candidates:
            distance = edit_distance(word, candidate, limit=best_distance)
            if distance < best_distance:
                best, best_distance = candidate, distance
        return best

    def similar_titles(self, text_, types=(), limit=5):
        words = query_words(text_)
        if not words:
            return []
        title = " ".join(words)
        params = {"title": title, "least": MIN_TITLE_SIMILARITY, "limit": limit}
        kinds = ""
        if types:
            kinds = "AND kind IN :f_types"
            params["f_types"] = tuple(types)
        statement = text(
            "SELECT kind, item_id, title, url, status, topic, area, created_at, "
            "similarity(lower(title), :title) AS rank "
            f"FROM {DOCUMENT_TABLE} WHERE lower(title) % :title AND similarity(lower(title), :title) >= :least {kinds} "
            "ORDER BY rank DESC, kind, item_id LIMIT :limit"
        )
        with self.engine.connect() as connection:
            rows = connection.execute(self._expanding(statement, params), params).mappings().all()
        return [
            Hit(
                type=row["kind"],
                id=row["item_id"],
                title=row["title"],
                url=row["url"],
                status=row["status"],
                topic=row["topic"],
                area=row["area"],
                created_at=row["created_at"],
                score=float(row["rank"]),
            )
            for row in rows
        ]

    def keys(self):
        with self.engine.connect() as connection:
            return {
                (row.kind, row.item_id)
                for row in connection.execute(text(f"SELECT kind, item_id FROM {DOCUMENT_TABLE}"))
            }

    def count(self):
        with self.engine.connect() as connection:
            return connection.execute(text(f"SELECT count(*) FROM {DOCUMENT_TABLE}")).scalar()
