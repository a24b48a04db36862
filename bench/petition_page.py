"""How long a petition's page takes with many signatures.

Builds a throw-away database (SQLite in a temporary folder, or a temporary `civic_bench_*`
database on the PostgreSQL server of --database-url), writes one open petition with N counted
signatures spread over 90 days and the site's areas, rebuilds its tallies (as an invalidation
does), then renders the petition page, its JSON and the list with the test client and reports
the median of several renders. The page reads the kept tallies (per area, per hour), so its time
should not grow with the number of signatures.

    .venv/bin/python bench/petition_page.py --signatures 300000
    .venv/bin/python bench/petition_page.py --signatures 300000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""
import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _database(args, folder):
    if not args.database_url:
        return f"sqlite:///{folder}/bench.sqlite3", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(args.database_url)
    name = f"civic_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def _timed(call, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signatures", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import insert

    from civic import create_app
    from civic.extensions import db

    folder = tempfile.mkdtemp(prefix="civic-bench-page-")
    url, drop = _database(args, folder)
    try:
        app = create_app({"CIVIC_ENV": "testing", "SECRET_KEY": "bench-" + "x" * 40, "SQLALCHEMY_DATABASE_URI": url,
                          "INSTANCE_PATH": folder, "CIVIC_OUTBOX_PATH": f"{folder}/outbox",
                          "RATELIMIT_ENABLED": False, "CIVIC_REQUIRE_STAFF_2FA": False})
        with app.app_context():
            upgrade()
            from civic.accounts.models import User
            from civic.common import clock
            from civic.petitions import services as petitions
            from civic.petitions.models import Petition, Signature

            now = clock.now()
            creator = User(display_name="Creator", email="creator@example.org", email_normalized="creator@example.org",
                           password_hash="x", session_token="t", bio="", email_verified_at=now)
            db.session.add(creator)
            db.session.flush()
            petition = Petition(title="A petition with many signatures", background="Why it matters.",
                                creator_id=creator.id, creator_name="Creator", sponsor_token=uuid.uuid4().hex,
                                state="open", opened_at=now - timedelta(days=90), closes_at=now + timedelta(days=90))
            db.session.add(petition)
            db.session.commit()
            areas, rng, start = petitions.areas(), random.Random(1), now - timedelta(days=90)
            began = time.perf_counter()
            for first in range(0, args.signatures, 20_000):
                rows = []
                for n in range(first, min(args.signatures, first + 20_000)):
                    at = start + timedelta(seconds=rng.uniform(0, 90 * 86400))
                    rows.append(dict(petition_id=petition.id, name="Signer", email=f"s{n}@example.org",
                                     email_key=f"s{n}@example.org", email_domain="example.org",
                                     area=rng.choice(areas), notify=False, ip_address="192.0.2.1", token="t",
                                     created_at=at, validated_at=at))
                db.session.execute(insert(Signature), rows)
            petition.signature_count = args.signatures
            db.session.commit()
            written = time.perf_counter() - began
            began = time.perf_counter()
            petitions.rebuild_tallies(petition.id)
            db.session.commit()
            rebuilt = time.perf_counter() - began
            client = app.test_client()

            def get(path):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            results = {path: _timed(lambda p=path: get(p), args.repeat) for path in (
                f"/petitions/{petition.id}", f"/petitions/{petition.id}.json", "/petitions/")}
            areas_ms = _timed(lambda: petitions.counts_by_area(petition), args.repeat)
            days_ms = _timed(lambda: petitions.signatures_per_day(petition), args.repeat)
        database = "PostgreSQL" if args.database_url else "SQLite"
        print(f"{database}, {args.signatures:,} counted signatures on one petition "
              f"(written in {written:.1f} s; tallies rebuilt in {rebuilt * 1000:.0f} ms)")
        for path, (median, worst) in results.items():
            print(f"  GET {path:<24} median {median:7.1f} ms   max {worst:7.1f} ms")
        print(f"  counts_by_area             median {areas_ms[0]:7.1f} ms")
        print(f"  signatures_per_day         median {days_ms[0]:7.1f} ms")
    finally:
        if drop:
            drop()


if __name__ == "__main__":
    main()
