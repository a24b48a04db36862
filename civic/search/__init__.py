"""Full-text search: one interface (backend.py), two engines (Whoosh, PostgreSQL) and the outbox
that keeps the index in step with the database (indexing.py)."""
