"""Building a Civic app for a test: the base configuration, a migrated database, the services a
test needs (PostgreSQL, Redis) and where this test process stands among pytest-xdist workers."""

import os
import uuid
from pathlib import Path

import pytest
from flask_migrate import upgrade

from civic import create_app
from civic.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEST_DATABASE_URL = os.environ.get("CIVIC_TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("CIVIC_TEST_REDIS_URL") or None
REQUIRE_SERVICES = os.environ.get("CIVIC_REQUIRE_SERVICES") == "1"
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
# "gw0", "gw1"... under pytest-xdist; "main" when the tests run in one process.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def project_root():
    return PROJECT_ROOT


def require_service(name, url):
    """Skip (or fail, in CI) when a service the test needs is not configured or not reachable."""
    if url:
        return url
    message = f"{name} not configured (set CIVIC_TEST_{name.upper()}_URL)"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and CIVIC_REQUIRE_SERVICES=1")
    pytest.skip(message)


def unique_prefix(kind="civic-test"):
    """A key prefix no other test, worker or test run uses (Redis is shared by all of them)."""
    return f"{kind}-{WORKER}-{uuid.uuid4().hex[:8]}"


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
        "RATELIMIT_KEY_PREFIX": unique_prefix(),
        # post_comment counts every comment against the limit; tests write threads quickly, and
        # the test of the limit sets its own.
        "CIVIC_LIMIT_COMMENT": "10000 per minute",
        "CIVIC_REDIS_KEY_PREFIX": unique_prefix(),
        "MAIL_SERVER": None,
        "CIVIC_BASE_URL": "http://localhost",
        # The check of open live connections' sessions runs in a thread of its own every few
        # seconds; tests call SignedInSockets.sweep() themselves instead of leaving one per app.
        "CIVIC_LIVE_SESSION_CHECK_SECONDS": 0,
        # The demo's residents answering its consultation: a few are enough to test with.
        "CIVIC_DEMO_RESIDENTS": 12,
        # Test users are minutes old and write the same text many times: automatic pre-moderation
        # is off except in the tests that turn it on (tests/moderation/test_premoderation_*.py).
        "CIVIC_PREMODERATION": False,
    }
    config.update(overrides)
    return config


def migrate_database(config):
    """Build the database `config` names with the Alembic migrations."""
    app = create_app(config)
    with app.app_context():
        upgrade()
        db.engine.dispose()
