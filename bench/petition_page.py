"""How long a petition's page takes with many signatures.

Builds a throw-away database with the migrations (a SQLite file in a temporary folder, or a
temporary `civic_bench_*` database on the PostgreSQL server of --database-url), writes one open
petition with N counted signatures spread over 90 days and the site's areas, rebuilds its
tallies (as an invalidation does), then renders the petition page, its JSON and the list with
the test client and reports the median of several renders. The page reads the kept tallies (per
area, per hour), so its time should not grow with the number of signatures.

    .venv/bin/python bench/petition_page.py --signatures 300000
    .venv/bin/python bench/petition_page.py --signatures 300000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

import argparse
import random
import statistics
import time
import uuid
from datetime import timedelta

import _common


def _timed(call, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def write_petition(signatures):
    """One open petition with `signatures` counted signatures; returns it and the seconds taken."""
    from sqlalchemy import insert

    from civic.accounts.models import User
    from civic.common import clock
    from civic.extensions import db
    from civic.petitions.models import Petition, Signature
    from civic.petitions.services import queries

    now = clock.now()
    creator = User(
        display_name="Creator",
        email="creator@example.org",
        email_normalized="creator@example.org",
        password_hash="x",
        session_token="t",
        bio="",
        email_verified_at=now,
    )
    db.session.add(creator)
    db.session.flush()
    petition = Petition(
        title="A petition with many signatures",
        background="Why it matters.",
        creator_id=creator.id,
        creator_name="Creator",
        sponsor_token=uuid.uuid4().hex,
        state="open",
        opened_at=now - timedelta(days=90),
        closes_at=now + timedelta(days=90),
    )
    db.session.add(petition)
    db.session.commit()
    areas, rng, start, began = queries.areas(), random.Random(1), now - timedelta(days=90), time.perf_counter()
    for first in range(0, signatures, 20_000):
        rows = []
        for n in range(first, min(signatures, first + 20_000)):
            at = start + timedelta(seconds=rng.uniform(0, 90 * 86400))
            rows.append(
                dict(
                    petition_id=petition.id,
                    name="Signer",
                    email=f"s{n}@example.org",
                    email_key=f"s{n}@example.org",
                    email_domain="example.org",
                    area=rng.choice(areas),
                    notify=False,
                    ip_address="192.0.2.1",
                    token="t",
                    created_at=at,
                    validated_at=at,
                )
            )
        db.session.execute(insert(Signature), rows)
    petition.signature_count = signatures
    db.session.commit()
    return petition, time.perf_counter() - began


def run(args, workdir, database_url, description):
    from civic import create_app
    from civic.extensions import db
    from civic.petitions.services import queries

    config = _common.bench_config(workdir, SQLALCHEMY_DATABASE_URI=database_url, RATELIMIT_ENABLED=False)
    _common.migrate(config)
    app = create_app(config)
    with app.app_context():
        petition, written = write_petition(args.signatures)
        began = time.perf_counter()
        queries.rebuild_tallies(petition.id)
        db.session.commit()
        rebuilt = time.perf_counter() - began
        client = app.test_client()

        def get(path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        results = {
            path: _timed(lambda p=path: get(p), args.repeat)
            for path in (f"/petitions/{petition.id}", f"/petitions/{petition.id}.json", "/petitions/")
        }
        areas_ms = _timed(lambda: queries.counts_by_area(petition), args.repeat)
        days_ms = _timed(lambda: queries.signatures_per_day(petition), args.repeat)
        db.engine.dispose()
    print(
        f"{description}: {args.signatures:,} counted signatures on one petition "
        f"(written in {written:.1f} s; tallies rebuilt in {rebuilt * 1000:.0f} ms)"
    )
    for path, (median, worst) in results.items():
        print(f"  GET {path:<24} median {median:7.1f} ms   max {worst:7.1f} ms")
    print(f"  counts_by_area             median {areas_ms[0]:7.1f} ms")
    print(f"  signatures_per_day         median {days_ms[0]:7.1f} ms")
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signatures", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (a temporary database is used)")
    args = parser.parse_args()
    _common.run_on_database(run, args, postgres_url=args.database_url, prefix="page")


if __name__ == "__main__":
    main()
