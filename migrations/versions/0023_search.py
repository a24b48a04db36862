"""search: the outbox of index changes (every database) and, on PostgreSQL only, the full-text
search tables (weighted tsvector with a GIN index, pg_trgm for suggestions and similar titles)

Revision ID: 0023_search
Revises: 0022_moderation_queue
Create Date: 2026-12-02 02:10:00

The PostgreSQL tables are not models: SQLite has no tsvector, and there the embedded Whoosh
index (under the instance folder) does the work. civic.search.postgres_backend.ENGINE_TABLES
names them, so that the schema check and autogenerate leave them alone.
"""

import sqlalchemy as sa
from alembic import op

import civic.common.models

revision = "0023_search"
down_revision = "0022_moderation_queue"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("created_at", civic.common.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_outbox")),
    )
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_search_outbox_kind_item", ["kind", "item_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _create_postgres_search_tables()


def _create_postgres_search_tables():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # The operator class lives in the schema the extension was installed in (public, usually),
    # which need not be on this connection's search path.
    schema = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                "WHERE e.extname = 'pg_trgm'"
            )
        )
        .scalar()
    )
    trigrams = f'"{schema}".gin_trgm_ops'
    op.execute(
        """
        CREATE TABLE search_document (
            kind varchar(40) NOT NULL,
            item_id integer NOT NULL,
            language varchar(2) NOT NULL,
            title text NOT NULL DEFAULT '',
            heading text NOT NULL DEFAULT '',
            summary text NOT NULL DEFAULT '',
            body text NOT NULL DEFAULT '',
            url text NOT NULL DEFAULT '',
            status varchar(40) NOT NULL DEFAULT '',
            topic varchar(80) NOT NULL DEFAULT '',
            area varchar(80) NOT NULL DEFAULT '',
            created_at timestamptz,
            document tsvector NOT NULL,
            CONSTRAINT pk_search_document PRIMARY KEY (kind, item_id)
        )
        """
    )
    op.execute("CREATE INDEX ix_search_document_document ON search_document USING gin (document)")
    op.execute(f"CREATE INDEX ix_search_document_title_trgm ON search_document USING gin (lower(title) {trigrams})")
    op.execute("CREATE INDEX ix_search_document_created_at ON search_document (created_at)")
    op.execute("CREATE TABLE search_word (word text NOT NULL, CONSTRAINT pk_search_word PRIMARY KEY (word))")
    op.execute(f"CREATE INDEX ix_search_word_trgm ON search_word USING gin (word {trigrams})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm stays: other things may use it, and dropping an extension needs more rights.
        op.execute("DROP TABLE IF EXISTS search_word")
        op.execute("DROP TABLE IF EXISTS search_document")
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_search_outbox_kind_item")
    op.drop_table("search_outbox")
