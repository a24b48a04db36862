"""The search engines the contract runs against: Whoosh always, PostgreSQL when the test database
is configured (skipped without it, failing with CIVIC_REQUIRE_SERVICES=1)."""

import pytest
from sqlalchemy import create_engine

from civic.search.postgres_backend import PostgresBackend
from civic.search.whoosh_backend import WhooshBackend


@pytest.fixture(params=["whoosh", "postgres"])
def engine(request, tmp_path):
    if request.param == "whoosh":
        backend = WhooshBackend(tmp_path / "search-index")
    else:
        database = create_engine(request.getfixturevalue("postgres_migrated"))
        backend = PostgresBackend(database)
        backend.clear()
    yield backend
    if request.param == "postgres":
        backend.clear()
        database.dispose()
