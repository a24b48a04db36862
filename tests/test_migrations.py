"""The Alembic revisions build exactly the schema the models describe, on SQLite and PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from civic import create_app
from civic.extensions import db
from tests.conftest import base_config


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    base = request.getfixturevalue("postgres_url")
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        connection.execute(text("CREATE SCHEMA migration_check"))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3Dmigration_check"
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
    engine.dispose()


def schema_differences(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(empty_database_url, tmp_path):
    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        upgrade()
        assert schema_differences(app) == []
        tables = set(inspect(db.engine).get_table_names())
        assert {"user", "user_role", "recovery_code", "audit_entry", "alembic_version"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert schema_differences(app) == []
        db.engine.dispose()


def test_every_revision_has_a_downgrade():
    from pathlib import Path

    for path in (Path(__file__).resolve().parent.parent / "migrations" / "versions").glob("*.py"):
        source = path.read_text()
        assert "def upgrade" in source and "def downgrade" in source, path


def test_upgrading_an_existing_database_gives_people_handles(empty_database_url, tmp_path):
    """0001 -> 0002 on a database with people in it: each gets a unique handle from their name."""
    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        upgrade(revision="0001_accounts")
        with db.engine.begin() as connection:
            for n, name in enumerate(["Lucía Pardo", "Lucia Pardo", "Zé", "!!!"], start=1):
                connection.execute(text(
                    "INSERT INTO \"user\" (id, email, email_normalized, display_name, bio, password_hash, "
                    "session_token, created_at, updated_at) VALUES (:id, :e, :e, :name, '', 'x', 't', "
                    ":now, :now)"), {"id": n, "e": f"p{n}@example.org", "name": name, "now": "2026-01-01 00:00:00"})
        upgrade()
        with db.engine.connect() as connection:
            handles = dict(connection.execute(text('SELECT id, handle FROM "user" ORDER BY id')).all())
        assert handles == {1: "lucia_pardo", 2: "lucia_pardo2", 3: "ze_person", 4: "person"}
        db.engine.dispose()
