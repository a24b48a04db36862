"""Shared fixtures. Every test that takes `app` runs on the local stack (SQLite, in-memory
limits) and, when CIVIC_TEST_DATABASE_URL / CIVIC_TEST_REDIS_URL are set, again on the
services stack (PostgreSQL, Redis). CIVIC_REQUIRE_SERVICES=1 turns a missing service into a failure."""
import contextvars
import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from civic import create_app
from civic.accounts import passwords
from civic.accounts.models import User, UserRole
from civic.common.models import utcnow
from civic.extensions import db

TEST_DATABASE_URL = os.environ.get("CIVIC_TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("CIVIC_TEST_REDIS_URL") or None
REQUIRE_SERVICES = os.environ.get("CIVIC_REQUIRE_SERVICES") == "1"
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
DEFAULT_PASSWORD = "correct horse battery staple"


def require_service(name, url):
    """Skip (or fail, in CI) when a service the test needs is not configured or not reachable."""
    if url:
        return url
    message = f"{name} not configured (set CIVIC_TEST_{name.upper()}_URL)"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and CIVIC_REQUIRE_SERVICES=1")
    pytest.skip(message)


def base_config(tmp_path, **overrides):
    config = {
        "CIVIC_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'civic.sqlite3'}",
        "CIVIC_OUTBOX_PATH": str(tmp_path / "outbox"),
        "CIVIC_UPLOAD_PATH": str(tmp_path / "instance" / "uploads"),
        "CIVIC_DEV_MAIL_PAGE": True,
        "CIVIC_ARGON2_TIME_COST": 1,
        "CIVIC_ARGON2_MEMORY_KIB": 1024,
        "CIVIC_REQUIRE_STAFF_2FA": False,
        "CIVIC_HSTS": False,
        "REDIS_URL": None,
        "CIVIC_SOCKETIO_MESSAGE_QUEUE": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": f"civic-test-{uuid.uuid4().hex[:8]}",
        # post_comment counts every comment against the limit; tests write threads quickly, and
        # the test of the limit sets its own.
        "CIVIC_LIMIT_COMMENT": "10000 per minute",
        "CIVIC_REDIS_KEY_PREFIX": f"civic-test-{uuid.uuid4().hex[:8]}",
        "MAIL_SERVER": None,
        "CIVIC_BASE_URL": "http://localhost",
    }
    config.update(overrides)
    return config


def _migrate(config):
    from flask_migrate import upgrade

    app = create_app(config)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """One SQLite database built by the Alembic migrations; each test gets a copy."""
    base = tmp_path_factory.mktemp("sqlite-template")
    _migrate(base_config(base))
    return base / "civic.sqlite3"


@pytest.fixture(scope="session")
def postgres_url():
    """A database of this test run's own on the server CIVIC_TEST_DATABASE_URL names, created
    empty and dropped at the end, so that several runs (or developers) can share one server."""
    from sqlalchemy.engine import make_url

    url = require_service("database", TEST_DATABASE_URL)
    base = make_url(url)
    name = f"{base.database or 'civic'}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
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
    _migrate(base_config(tmp_path_factory.mktemp("pg-migrate"), SQLALCHEMY_DATABASE_URI=postgres_url))
    return postgres_url


@pytest.fixture(scope="session")
def redis_url():
    url = require_service("redis", TEST_REDIS_URL)
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis at {url} is not reachable: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    return url


def _truncate_all(app):
    with app.app_context():
        names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
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
    if stack == "local":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "civic.sqlite3")
        return base_config(tmp_path)
    database = request.getfixturevalue("postgres_migrated")
    redis = request.getfixturevalue("redis_url")
    return base_config(tmp_path, SQLALCHEMY_DATABASE_URI=database, REDIS_URL=redis,
                       RATELIMIT_STORAGE_URI=redis)


@pytest.fixture
def app(app_config, stack):
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    if stack == "services":
        _truncate_all(app)
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()
    with app.app_context():
        db.engine.dispose()
    from civic.extensions import limiter

    if stack == "services":
        try:
            limiter.reset()
        except Exception:  # noqa: BLE001
            pass


@pytest.fixture
def client(app):
    return app.test_client()


class Web:
    """A test client that fills in the CSRF token the way a browser form does."""

    CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')

    def __init__(self, client):
        self.client = client

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def csrf_token(self, url="/"):
        page = self.client.get(url).get_data(as_text=True)
        match = self.CSRF.search(page)
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def post(self, url, data=None, *, form_url=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(form_url or "/"))
        return self.client.post(url, data=data, **kwargs)

    def sign_in(self, email, password=DEFAULT_PASSWORD, **extra):
        return self.post("/sign-in", {"email": email, "password": password, **extra})


@pytest.fixture
def web(client):
    return Web(client)


@pytest.fixture
def make_user(app):
    counter = {"n": 0}

    def make(email=None, *, password=DEFAULT_PASSWORD, roles=("citizen",), verified=True, name=None,
             two_factor_secret=None):
        counter["n"] += 1
        email = email or f"person{counter['n']}@example.org"
        user = User(
            display_name=name or f"Person {counter['n']}", email=email, email_normalized=email.lower(),
            password_hash=passwords.hash_password(password), session_token=uuid.uuid4().hex, bio="",
            email_verified_at=utcnow() if verified else None,
        )
        for role in roles:
            user.roles.append(UserRole(role=role))
        if two_factor_secret:
            user.totp_secret, user.totp_enabled_at = two_factor_secret, utcnow()
        db.session.add(user)
        db.session.commit()
        return user

    return make


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


def mail_to(outbox, address):
    """Messages sent to an address, oldest first."""
    found = [m for _id, m in outbox.messages() if address.lower() in m["To"].lower()]
    return list(reversed(found))


def link_in(message, path_fragment):
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"https?://\S*" + re.escape(path_fragment) + r"\S*", body)
    assert match, f"no link containing {path_fragment!r} in:\n{body}"
    return match.group(0)


def path_of(url):
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def project_root():
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def admin_user(make_user):
    return make_user("admin-fixture@example.org", roles=("citizen", "admin"), name="Site Admin")


@pytest.fixture
def category(app, admin_user):
    from civic.discussions import services as discussions

    return discussions.save_category(admin_user, name="Transport", description="Buses, bikes and streets")


@pytest.fixture
def open_discussion(app, category, make_user):
    from civic.discussions import services as discussions

    starter = make_user("starter@example.org", name="Nora Starter")
    return discussions.start_discussion(starter, category, title="Should Calle Mayor be car-free?",
                                        body="The council is **considering** it.")


@pytest.fixture
def locked_discussion(open_discussion, make_user):
    from civic.discussions import services as discussions

    moderator = make_user("mod-fixture@example.org", roles=("citizen", "moderator"))
    return discussions.lock_discussion(moderator, open_discussion, "Consultation closed")
