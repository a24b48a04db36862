"""The Alembic revisions build exactly the schema the models describe, on SQLite and PostgreSQL."""

from datetime import UTC

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from civic import create_app
from civic.extensions import db
from civic.search.postgres_backend import ENGINE_TABLES
from tests.support.apps import base_config


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


def _insert_a_user_and_an_open_petition(connection, moment):
    """Rows as an old revision's schema holds them: user 1 and their open petition 1."""
    from civic.petitions.models import Petition

    connection.execute(
        text(
            'INSERT INTO "user" (id, email, email_normalized, display_name, handle, bio, password_hash, '
            "session_token, created_at, updated_at) VALUES (1, 'a@example.org', 'a@example.org', 'A', 'a', '', "
            "'x', 't', :now, :now)"
        ),
        {"now": moment},
    )
    connection.execute(
        Petition.__table__.insert(),
        [
            dict(
                id=1,
                title="T",
                background="B",
                details="",
                topic="",
                state="open",
                creator_id=1,
                creator_name="A",
                creator_anonymous=False,
                sponsor_token="s",
                sponsor_count=0,
                flag_note="",
                rejection_comment="",
                signature_count=3,
                response_summary="",
                response_details_markdown="",
                response_details_html="",
                debate_overview_markdown="",
                debate_overview_html="",
                debate_transcript_url="",
                debate_video_url="",
                created_at=moment,
                updated_at=moment,
            )
        ],
    )


def _models_only(obj, name, type_, reflected, compare_to):
    """The search engine's PostgreSQL tables are made by the migration but are not models."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in ENGINE_TABLES


def schema_differences(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _models_only})
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
                connection.execute(
                    text(
                        'INSERT INTO "user" (id, email, email_normalized, display_name, bio, password_hash, '
                        "session_token, created_at, updated_at) VALUES (:id, :e, :e, :name, '', 'x', 't', "
                        ":now, :now)"
                    ),
                    {"id": n, "e": f"p{n}@example.org", "name": name, "now": "2026-01-01 00:00:00"},
                )
        upgrade()
        with db.engine.connect() as connection:
            handles = dict(connection.execute(text('SELECT id, handle FROM "user" ORDER BY id')).all())
        assert handles == {1: "lucia_pardo", 2: "lucia_pardo2", 3: "ze_person", 4: "person"}
        db.engine.dispose()


def test_upgrading_a_database_with_signatures_counts_them_by_area_and_hour(empty_database_url, tmp_path):
    """0008 -> 0009 on a database with signatures: the new tallies hold their counts."""
    from datetime import datetime

    from civic.petitions.models import Signature
    from civic.petitions.services.queries import rebuild_tallies

    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        upgrade(revision="0008_petitions")
        with db.engine.begin() as connection:
            _insert_a_user_and_an_open_petition(connection, datetime(2027, 1, 1, tzinfo=UTC))
            moments = [
                datetime(2027, 3, 1, 10, 5, tzinfo=UTC),
                datetime(2027, 3, 1, 10, 55, tzinfo=UTC),
                datetime(2027, 3, 1, 23, 30, tzinfo=UTC),
                None,
            ]
            connection.execute(
                Signature.__table__.insert(),
                [
                    dict(
                        id=n,
                        petition_id=1,
                        name="n",
                        email=f"s{n}@x.org",
                        email_key=f"s{n}@x.org",
                        email_domain="x.org",
                        area="North" if n < 2 else "South",
                        notify=False,
                        sponsor=False,
                        ip_address="",
                        token="t",
                        created_at=datetime(2027, 3, 1, tzinfo=UTC),
                        validated_at=at,
                    )
                    for n, at in enumerate(moments)
                ],
            )
        upgrade()
        with db.engine.connect() as connection:
            areas = dict(connection.execute(text("SELECT area, count FROM petition_area_tally")).all())
            hours = sorted(n for _hour, n in connection.execute(text("SELECT hour, count FROM petition_hour_tally")))
        assert areas == {"North": 2, "South": 1} and hours == [1, 2]
        from civic.petitions.models import HourTally

        migrated = sorted((h.hour, h.count) for h in db.session.query(HourTally))
        rebuild_tallies(1)  # the service's own counting agrees with the migration's, hours included
        db.session.commit()
        assert sorted((h.hour, h.count) for h in db.session.query(HourTally)) == migrated
        assert migrated[0] == (datetime(2027, 3, 1, 10, tzinfo=UTC), 2)
        db.session.remove()
        db.engine.dispose()


def test_petition_mailings_become_generic_mailings_and_back(empty_database_url, tmp_path):
    """0009 -> 0010: a half-sent petition mailing keeps its cursor; the downgrade puts it back."""
    from datetime import datetime

    moment = datetime(2027, 1, 1, tzinfo=UTC)
    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        upgrade(revision="0009_petition_tallies")
        with db.engine.begin() as connection:
            _insert_a_user_and_an_open_petition(connection, moment)
            connection.execute(
                text(
                    "INSERT INTO petition_mailing (petition_id, kind, created_at, last_signature_id, sent_count) "
                    "VALUES (1, 'response', :now, 41, 17)"
                ),
                {"now": moment},
            )
        upgrade(revision="0010_mailings")
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT kind, about_type, about_id, last_key, sent_count, finished_at FROM mailing")
            ).all()
        assert [tuple(r) for r in rows] == [("petition_response", "petition", 1, 41, 17, None)]
        downgrade(revision="0009_petition_tallies")
        with db.engine.connect() as connection:
            back = connection.execute(
                text("SELECT petition_id, kind, last_signature_id, sent_count FROM petition_mailing")
            ).all()
        assert [tuple(r) for r in back] == [(1, "response", 41, 17)]
        db.session.remove()
        db.engine.dispose()


def test_the_audit_entries_already_there_are_chained_in_id_order(empty_database_url, tmp_path):
    """0016 -> 0017: the existing audit log becomes a valid hash chain, and new entries follow it."""
    from datetime import datetime

    from civic.audit.chain import GENESIS_HASH, verify_chain
    from civic.audit.models import AuditEntry
    from civic.audit.services import record_staff_action

    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        upgrade(revision="0016_accountability")
        with db.engine.begin() as connection:
            for entry_id in (9, 3, 5):
                connection.execute(
                    text(
                        "INSERT INTO audit_entry (id, created_at, actor_id, action, target_type, target_id, "
                        "target_label, reason, details) VALUES (:id, :at, NULL, 'role.grant', 'user', :id, "
                        "'Ana', '', :details)"
                    ),
                    {
                        "id": entry_id,
                        "at": datetime(2027, 1, entry_id, 8, 30, tzinfo=UTC),
                        "details": '{"role": "admin"}',
                    },
                )
        upgrade()
        entries = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.id, e.chain_index) for e in entries] == [(3, 1), (5, 2), (9, 3)]
        assert entries[0].previous_hash == GENESIS_HASH and entries[1].previous_hash == entries[0].entry_hash
        record_staff_action(None, "role.revoke", "user", 3, details={"role": "admin"})
        db.session.commit()
        verdict = verify_chain(db.session)
        assert verdict.intact and verdict.count == 4
        db.session.remove()
        db.engine.dispose()
