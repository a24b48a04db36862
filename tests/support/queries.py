"""Counting the SQL statements that a block of code runs (an N+1 shows as a count that grows)."""

import contextlib

from sqlalchemy import event

from civic.extensions import db


class QueryCount:
    def __init__(self):
        self.statements = []

    @property
    def count(self):
        return len(self.statements)

    def __repr__(self):
        return f"{self.count} statements:\n" + "\n".join(self.statements)


@contextlib.contextmanager
def counting_queries():
    """with counting_queries() as queries: ...; then queries.count, queries.statements."""
    found = QueryCount()

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        found.statements.append(" ".join(statement.split()))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def queries_for(client, path):
    """The SQL statements that one GET runs (the response must be 200)."""
    with counting_queries() as found:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return found
