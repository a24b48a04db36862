"""Shared helpers for the benchmarks in bench/: configuration, migrated databases, seeding.

Not a benchmark itself. The scripts in bench/ import it as `_common` (they run as
`python bench/<name>.py`, so bench/ is on sys.path)."""

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct horse battery staple"
UNLIMITED = "100000 per minute"


def bench_config(workdir, **overrides):
    """Configuration for a benchmark app: like tests/support/apps.py base_config, but a development
    site (not TESTING), cheap password hashing and rate limits out of the way."""
    workdir = Path(workdir)
    config = {
        "CIVIC_ENV": "development",
        "TESTING": False,
        "DEBUG": False,
        "SECRET_KEY": SECRET_KEY,
        "INSTANCE_PATH": str(workdir / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'civic.sqlite3'}",
        "CIVIC_OUTBOX_PATH": str(workdir / "outbox"),
        "CIVIC_DEV_MAIL_PAGE": False,
        "CIVIC_ARGON2_TIME_COST": 1,
        "CIVIC_ARGON2_MEMORY_KIB": 1024,
        "CIVIC_REQUIRE_STAFF_2FA": False,
        "CIVIC_HSTS": False,
        "REDIS_URL": None,
        "CIVIC_SOCKETIO_MESSAGE_QUEUE": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": f"civic-bench-{uuid.uuid4().hex[:8]}",
        "CIVIC_LIMIT_COMMENT": UNLIMITED,
        "CIVIC_LIMIT_SIGN_IN": UNLIMITED,
        "CIVIC_LIMIT_SIGN_IN_FAILURES": UNLIMITED,
        "MAIL_SERVER": None,
        "CIVIC_BASE_URL": "http://localhost",
    }
    config.update(overrides)
    return config


def migrate(config):
    """Build the schema with the Alembic migrations, as tests/support/apps.py migrate_database does."""
    from flask_migrate import upgrade

    from civic import create_app
    from civic.extensions import db

    app = create_app(config)
    with app.app_context():
        upgrade()
        db.engine.dispose()


class TemporaryPostgres:
    """A throw-away database on the server that `url` points to (CREATE DATABASE, then DROP),
    so that a benchmark never touches the tables of the database named in the URL."""

    def __init__(self, url, keep=False):
        from sqlalchemy.engine import make_url

        self.admin_url = make_url(url)
        if self.admin_url.drivername in ("postgresql", "postgres"):
            self.admin_url = self.admin_url.set(drivername="postgresql+psycopg")
        self.name = f"civic_bench_{uuid.uuid4().hex[:10]}"
        self.url = self.admin_url.set(database=self.name)
        self.keep = keep

    def _admin(self):
        from sqlalchemy import create_engine

        return create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def __enter__(self):
        from sqlalchemy import text

        engine = self._admin()
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        engine.dispose()
        return self.url.render_as_string(hide_password=False)

    def __exit__(self, *exc):
        if self.keep:
            print(f"(kept database {self.name})")
            return
        from sqlalchemy import text

        engine = self._admin()
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        engine.dispose()


def run_on_database(run, args, *, postgres_url, prefix):
    """Call run(args, workdir, database_url, description) on a temporary PostgreSQL database (when
    postgres_url is given) or a SQLite file (in --db-dir when the script has it, else in the work
    folder); print the first server's log when it failed and CIVIC_BENCH_KEEP_LOGS is set.
    Returns run's result."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix=f"civic-{prefix}-") as workdir:
        if postgres_url:
            with TemporaryPostgres(postgres_url, keep=getattr(args, "keep_database", False)) as url:
                ok = run(args, workdir, url, f"PostgreSQL, temporary database on {postgres_url.split('@')[-1]}")
        else:
            db_dir = getattr(args, "db_dir", None)
            directory = Path(tempfile.mkdtemp(prefix=f"civic-{prefix}-db-", dir=db_dir)) if db_dir else Path(workdir)
            ok = run(args, workdir, f"sqlite:///{directory / 'civic.sqlite3'}", f"SQLite file in {directory}")
            if db_dir:
                shutil.rmtree(directory, ignore_errors=True)
        if not ok and environ_flag("CIVIC_BENCH_KEEP_LOGS"):
            print(f"\n--- server0.log (last lines)\n{(Path(workdir) / 'server0.log').read_text()[-4000:]}")
    return ok


def make_users(count, *, prefix="bench", roles=("citizen",)):
    """Verified users sharing one password hash (hashing once keeps seeding fast). Commits."""
    from civic.accounts import passwords
    from civic.accounts.models import User, UserRole
    from civic.common.models import utcnow
    from civic.extensions import db

    password_hash = passwords.hash_password(PASSWORD)
    users = []
    for n in range(count):
        email = f"{prefix}{n}@example.org"
        user = User(
            display_name=f"{prefix.title()} Person {n}",
            email=email,
            email_normalized=email,
            password_hash=password_hash,
            session_token=uuid.uuid4().hex,
            bio="",
            email_verified_at=utcnow(),
        )
        for role in roles:
            user.roles.append(UserRole(role=role))
        db.session.add(user)
        users.append(user)
    db.session.commit()
    return users


def make_category(admin):
    from civic.discussions.services.categories import save_category

    return save_category(admin, name="Bench", description="Benchmark discussions")


def percentile(values, fraction):
    """Nearest-rank percentile (fraction in 0..1) of a non-empty list."""
    import math

    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def summary_ms(values):
    """(median, p95, max) in milliseconds of a list of seconds."""
    return (statistics.median(values) * 1000, percentile(values, 0.95) * 1000, max(values) * 1000)


def quiet_werkzeug():
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def environ_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


class CpuWatch:
    """How busy the machine was during a measurement, and how much of that was someone else.

    Reads /proc/stat (all CPUs) and /proc/<pid>/stat of the benchmark's own processes (Linux
    only; elsewhere it reports nothing). Timings taken while other processes keep the cores busy
    are not comparable with timings on a quiet machine, so the benchmarks print this line."""

    def __init__(self, pids):
        self.pids = list(pids)
        self.ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.cores = os.cpu_count() or 1
        self.start = self._sample()

    def _sample(self):
        try:
            with open("/proc/stat") as f:
                fields = [int(x) for x in f.readline().split()[1:]]
            busy = sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)  # minus idle, iowait
            own = 0
            for pid in self.pids:
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        parts = f.read().rsplit(")", 1)[1].split()
                    own += int(parts[11]) + int(parts[12])  # utime, stime (fields 14, 15)
                except (OSError, IndexError, ValueError):
                    pass
            return time.monotonic(), busy, own
        except (OSError, ValueError):
            return None

    def report(self):
        end = self._sample()
        if self.start is None or end is None:
            return "CPU: (not measured on this system)"
        wall = end[0] - self.start[0]
        busy = (end[1] - self.start[1]) / self.ticks
        own = (end[2] - self.start[2]) / self.ticks
        other = max(0.0, busy - own)
        capacity = wall * self.cores
        return (
            f"CPU during the measurement ({wall:.1f} s, {self.cores} cores): machine {100 * busy / capacity:.0f}% "
            f"busy; this benchmark's processes {100 * own / capacity:.0f}%; other processes "
            f"{100 * other / capacity:.0f}%"
        )
