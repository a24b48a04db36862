"""The list's first page is read from an index in the list's order, never by sorting every
proposal (50,000 proposals: tens of milliseconds for the first page and page 100 on SQLite)."""

import pytest
from sqlalchemy import text

from civic.extensions import db
from civic.proposals.services import queries


def _plan(query):
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    return " | ".join(row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


@pytest.mark.parametrize("sort", queries.SORTS)
# ("open" is a range on the deadline too: SQLite chooses between that index and the order's by the
# data, and with half of 50,000 proposals open it read the first page in about 15 ms either way.)
@pytest.mark.parametrize("status", ["listed", "review", "accepted", "implemented"])
def test_each_order_reads_an_index_not_a_sort(app, stack, frozen, sort, status, monkeypatch):
    if stack != "local":
        pytest.skip("SQLite's plan; PostgreSQL chooses by its statistics")
    captured = {}
    monkeypatch.setattr(queries, "paginate", lambda query, **kw: captured.setdefault("query", query))
    queries.list_proposals(sort=sort, status=status)
    plan = _plan(captured["query"])
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
