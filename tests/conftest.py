"""Shared fixtures. Every test that takes `app` runs on the local stack (SQLite, in-memory
limits) and, when CIVIC_TEST_DATABASE_URL / CIVIC_TEST_REDIS_URL are set, again on the
services stack (PostgreSQL, Redis). CIVIC_REQUIRE_SERVICES=1 turns a missing service into a failure.

Fixtures only: the helpers they use live in tests/support/ and tests import them from there.
Under pytest-xdist each worker has its own databases and Redis key prefixes."""

import contextvars
import shutil
import uuid

import pytest
import redis
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from civic import create_app
from civic.common import clock
from civic.discussions.services.categories import save_category
from civic.discussions.services.discussions import lock_discussion, start_discussion
from civic.extensions import db, limiter
from civic.search.postgres_backend import ENGINE_TABLES as SEARCH_ENGINE_TABLES
from tests.support.apps import (
    REQUIRE_SERVICES,
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    WORKER,
    base_config,
    migrate_database,
    require_service,
    unique_prefix,
)
from tests.support.clock import FROZEN_AT, FrozenClock
from tests.support.users import new_user
from tests.support.web import Web


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """One SQLite database built by the Alembic migrations (per worker); each test gets a copy."""
    base = tmp_path_factory.mktemp("sqlite-template")
    migrate_database(base_config(base))
    return base / "civic.sqlite3"


@pytest.fixture(scope="session")
def postgres_url():
    """A database of this test run's own (of this worker's, under pytest-xdist) on the server
    CIVIC_TEST_DATABASE_URL names, created empty and dropped at the end, so that several runs,
    workers or developers can share one server."""
    url = require_service("database", TEST_DATABASE_URL)
    base = make_url(url)
    name = f"{base.database or 'civic'}_{WORKER}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL at {url} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield base.set(database=name).render_as_string(hide_password=False)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_migrated(postgres_url, tmp_path_factory):
    migrate_database(base_config(tmp_path_factory.mktemp("pg-migrate"), SQLALCHEMY_DATABASE_URI=postgres_url))
    return postgres_url


@pytest.fixture(scope="session")
def redis_url():
    url = require_service("redis", TEST_REDIS_URL)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis at {url} is not reachable: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    return url


def _empty_all(app):
    """Delete every row and restart the ids, as a fresh database would have them. (TRUNCATE ...
    RESTART IDENTITY does the same, but takes half a second per test: it makes new files for
    every table. The tables hold one test's rows at most, which DELETE removes in milliseconds.)"""
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        for table in sorted(SEARCH_ENGINE_TABLES):  # made by the migration, not models
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.execute(
            text(
                "SELECT setval(oid, 1, false) FROM pg_class "
                "WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace"
            )
        )
        db.session.commit()


class IsolatedClient(FlaskClient):
    """Runs each request outside the test's app context, as a real server would: its own
    app context, its own `g` and its own database session. (Flask reuses an app context that
    is already pushed, which would let `g` and the session leak from one request to the next.)"""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # streamed bodies are produced inside that context too
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(params=["local", "services"])
def stack(request):
    """Which infrastructure the test runs on: local (SQLite, memory) or services (PostgreSQL, Redis)."""
    return request.param


@pytest.fixture
def app_config(stack, request, tmp_path):
    """The test's configuration; `@pytest.mark.app_config(KEY=value)` changes it for one test."""
    marker = request.node.get_closest_marker("app_config")
    overrides = marker.kwargs if marker else {}
    if stack == "local":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "civic.sqlite3")
        return base_config(tmp_path, **overrides)
    database = request.getfixturevalue("postgres_migrated")
    redis = request.getfixturevalue("redis_url")
    # The limits' own prefix too: resetting the limiter after the test (below) deletes every key
    # under it, which must not touch the limits of tests running at the same time elsewhere.
    return base_config(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=database,
        REDIS_URL=redis,
        RATELIMIT_STORAGE_URI=redis,
        RATELIMIT_STORAGE_OPTIONS={"key_prefix": unique_prefix("LIMITS")},
        **overrides,
    )


@pytest.fixture
def app(app_config, stack):
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    if stack == "services":
        _empty_all(app)
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()
    with app.app_context():
        db.engine.dispose()
    if stack == "services":
        try:
            limiter.reset()
        except Exception:  # noqa: BLE001
            pass


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def web(client):
    return Web(client)


@pytest.fixture
def frozen_at():
    """Where `frozen` starts; a directory's conftest may override it."""
    return FROZEN_AT


@pytest.fixture
def frozen(frozen_at):
    """The one frozen clock: civic.common.clock.now() returns `frozen.moment` (from `frozen_at`)
    until the test moves it with frozen.set(moment) or frozen.advance(hours=1). Its own patch, so
    that a test's monkeypatch.undo() leaves the clock frozen."""
    frozen_clock = FrozenClock(frozen_at)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", frozen_clock.now)
        yield frozen_clock


# --- people ---------------------------------------------------------------------------------


@pytest.fixture
def make_user(app):
    counter = {"n": 0}

    def make(email=None, *, roles=("citizen",), name=None, **details):
        counter["n"] += 1
        user = new_user(
            email or f"person{counter['n']}@example.org", name=name or f"Person {counter['n']}", roles=roles, **details
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def citizen(make_user):
    return make_user("carmen@example.org", name="Carmen Citizen")


@pytest.fixture
def official(make_user):
    return make_user("olga@example.org", roles=("citizen", "official"), name="Olga Official")


@pytest.fixture
def moderator(make_user):
    return make_user("mo@example.org", roles=("citizen", "moderator"), name="Mo Moderator")


@pytest.fixture
def admin(make_user):
    return make_user("admin-fixture@example.org", roles=("citizen", "admin"), name="Site Admin")


@pytest.fixture
def login_as(web, make_user):
    """Sign in a new user holding `role` (and citizen); returns the user."""

    def login(role="citizen", **kwargs):
        roles = ("citizen",) if role == "citizen" else ("citizen", role)
        user = make_user(roles=roles, **kwargs)
        response = web.sign_in(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


@pytest.fixture
def outbox(app):
    return app.extensions["civic_mail"]


# --- discussions ----------------------------------------------------------------------------


@pytest.fixture
def category(app, admin):
    return save_category(admin, name="Transport", description="Buses, bikes and streets")


@pytest.fixture
def open_discussion(app, category, make_user):
    starter = make_user("starter@example.org", name="Nora Starter")
    return start_discussion(
        starter, category, title="Should Calle Mayor be car-free?", body="The council is **considering** it."
    )


@pytest.fixture
def locked_discussion(open_discussion, moderator):
    return lock_discussion(moderator, open_discussion, "Consultation closed")
