"""The proposals list at the size of a city, under load, beside a one-query page (issue 13).

Issue 13, "Benchmark": "Proposals list with 50,000 proposals and 2 million supports: first page,
a filtered page, page 100: medians under gunicorn beside a one-query Jinja page on the same
server (target: within 2x)."

What it does:
  1. builds a throw-away database with the Alembic migrations (a temporary `civic_bench_*`
     database on the PostgreSQL server of --database-url, dropped afterwards, or a SQLite file
     with --database sqlite) and seeds it in bulk (seed_proposals below):
       - --users verified accounts (consultation_submit.bulk_citizens), the supporters;
       - --proposals proposals published over the last two years on the topics of pages.py and
         the site's areas, with a Pareto draw of supports (a few popular, most small) scaled to
         --supports in all. Each takes its state as time and its supports made it: a proposal
         that reached its threshold (--supports-needed, stored on it as publishing does) stopped
         at it and went under review, then, after a few weeks, was answered (accepted,
         rejected, planned, not the council's, more information, implemented); one whose
         deadline passed short of it expired; the rest collect. A few were withdrawn by their
         authors and a few merged into another (no supports of their own: the merge moves them);
       - the supports themselves, one per account and proposal (consecutive accounts from a
         random start, so the unique key holds), dated between the publication and the moment
         the proposal stopped collecting; with PostgreSQL COPY, else multi-row INSERTs;
       - what the services keep beside them, from the same rows: support_count and
         last_supported_at on each proposal, the supports per day (proposal_support_day), and
         the trending scores, computed by the app's own supporting.refresh_trending;
       - one consultation for the ceiling's query, and a reader to sign in (pages.py checks
         that the session still works at the end);
  2. serves Civic and the ceiling app of pages.py (SELECT title FROM consultation WHERE id = :id
     and one small Jinja template) with the same gunicorn settings (deploy/gunicorn.conf.py),
     drives each page with wrk and measures the ceiling again between pages
     (pages.serve_and_measure);
  3. prints, per page: requests/s, p50 and p99, SQL statements per request, and the two ratios
     to the ceiling (the median of its runs).

The target, "within 2x": the page's median latency (wrk's p50, same connections) is at most twice
the ceiling's median p50, that is `p50 ratio = page p50 / ceiling p50 <= 2`. The throughput ratio
(page req/s over ceiling req/s; 0.5 is the same bar said the other way) is printed beside it.
The machine is shared: read the ratios with the load average and other processes' CPU printed
at the end.

Exit status 1 when a page misses the target or answers anything but 200, unless --no-fail.

    .venv/bin/python bench/proposals_list.py              # PostgreSQL on 127.0.0.1:5432, about 5 min
    .venv/bin/python bench/proposals_list.py --quick      # shorter runs, same data
    .venv/bin/python bench/proposals_list.py --redis      # Civic with REDIS_URL and CIVIC_PAGE_CACHE=1
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta

import _common
import pages
from consultation_submit import bulk_citizens, open_consultation, survey_questions

TARGET = 2.0  # the page's p50 over the ceiling's p50, at most
ANSWERED = (("accepted", 30), ("rejected", 25), ("planned", 15), ("not_ours", 10), ("more_info", 10))
IMPLEMENTED_SHARE = 0.1
WITHDRAWN_SHARE = 0.015
MERGED_SHARE = 0.01
PUBLISHED_OVER_DAYS = 730
REVIEW_DAYS = 45  # how long officials take to answer, about
# Columns only some states fill: every row names them all (one multi-row INSERT).
UNSET = {
    "review_started_at": None,
    "answered_at": None,
    "answer_markdown": "",
    "answer_html": "",
    "expired_at": None,
    "withdrawn_at": None,
    "merged_at": None,
}


# --- seeding -------------------------------------------------------------------------------


def support_counts(count, total, cap, rng, *, alpha=1.1):
    """`count` support counts summing to `total`, each at most `cap`: a Pareto draw scaled to the
    total (bisection on the scale), the rounding remainder spread over proposals below the cap."""
    weights = [rng.paretovariate(alpha) for _ in range(count)]
    total = min(total, count * cap)

    def counts(scale):
        return [min(cap, int(w * scale)) for w in weights]

    low, high = 0.0, float(total)
    for _ in range(60):
        middle = (low + high) / 2
        if sum(counts(middle)) < total:
            low = middle
        else:
            high = middle
    result = counts(low)
    missing = total - sum(result)
    while missing > 0:
        n = rng.randrange(count)
        if result[n] < cap:
            result[n] += 1
            missing -= 1
    return result


def _state(rng, supports, needed, published, deadline, now):
    """(state, extra columns, when it stopped collecting) of a proposal with these supports."""
    if supports >= needed:
        reached = min(deadline, published + timedelta(days=rng.uniform(3, 85)), now - timedelta(hours=1))
        extra = {"review_started_at": reached}
        answered = reached + timedelta(days=rng.uniform(10, 2 * REVIEW_DAYS))
        if answered >= now:
            return "review", extra, reached
        state = rng.choices([s for s, _w in ANSWERED], [w for _s, w in ANSWERED])[0]
        if state == "accepted" and rng.random() < IMPLEMENTED_SHARE * 4:
            state = "implemented"
        text = "The council looked at this proposal with the services concerned."
        extra.update(answered_at=answered, answer_markdown=text, answer_html=f"<p>{text}</p>")
        return state, extra, reached
    if deadline <= now:
        return "expired", {"expired_at": deadline}, deadline
    return "open", {}, now


def _proposal_rows(args, rng, counts, merged, now, author_ids):
    """The proposal rows (supports as drawn; the `merged` ones, which have none, are duplicates)
    and, for each, the moment it stopped collecting."""
    from civic.proposals.services.queries import areas

    topics, places = pages.TOPICS, areas()
    rows, ends = [], []
    for n, supports in enumerate(counts):
        published = now - timedelta(seconds=rng.uniform(60, PUBLISHED_OVER_DAYS * 86400))
        deadline = published + timedelta(days=args.days)
        state, extra, end = _state(rng, supports, args.supports_needed, published, deadline, now)
        if n in merged:
            state, extra, end = "duplicate", {"merged_at": end}, published
        elif state == "open" and rng.random() < WITHDRAWN_SHARE:
            state, end = "withdrawn", published + (now - published) * rng.random()
            extra = {"withdrawn_at": end}
        summary = pages._sentence(rng, 6, 14)
        body = " ".join(pages._sentence(rng) for _ in range(4))
        author = rng.choice(author_ids)
        rows.append(
            {
                "title": f"Proposal {n}: {pages._sentence(rng, 3, 8)}"[:120],
                "summary": summary[:200],
                "body_markdown": body,
                "body_html": f"<p>{body}</p>",
                "topic": rng.choice(topics),
                "area": rng.choice(places),
                "author_id": author,
                "author_name": f"Supporter Person {author}",
                "state": state,
                "published_at": published,
                "deadline": deadline,
                "supports_needed": args.supports_needed,
                "support_count": 0,  # counted from the supports below
                "created_at": published,
                "updated_at": end if state != "open" else published,
                **UNSET,
                **extra,
            }
        )
        ends.append(max(published + timedelta(seconds=1), min(end, now)))
    return rows, ends


def _write_supports(supports, chunk=50_000):
    """(proposal_id, user_id, created_at) rows into proposal_support: COPY on PostgreSQL, else
    multi-row INSERTs."""
    from sqlalchemy import insert

    from civic.extensions import db
    from civic.proposals.models import Support

    if db.session.get_bind().dialect.name == "postgresql":
        connection = db.session.connection().connection.driver_connection
        with connection.cursor() as cursor:
            with cursor.copy("COPY proposal_support (proposal_id, user_id, created_at) FROM STDIN") as copy:
                for row in supports:
                    copy.write_row(row)
        return
    batch = []
    for proposal_id, user_id, at in supports:
        batch.append({"proposal_id": proposal_id, "user_id": user_id, "created_at": at})
        if len(batch) == chunk:
            db.session.execute(insert(Support.__table__), batch)
            batch = []
    if batch:
        db.session.execute(insert(Support.__table__), batch)


def seed_proposals(args, rng):
    """The proposals, their supports and what is kept beside them (see the module's docstring).
    Returns {"proposals": ids in order, "counts": supports of each} and the seconds of each step."""
    from sqlalchemy import bindparam, insert, select, update

    from civic.common import clock
    from civic.extensions import db
    from civic.proposals.models import Proposal, SupportDay
    from civic.proposals.services.supporting import refresh_trending

    timings, began = {}, time.perf_counter()
    users = sorted(bulk_citizens(args.users, "supporter").values())
    timings["accounts"] = time.perf_counter() - began
    if args.supports_needed > len(users):
        sys.exit(f"--supports-needed {args.supports_needed} is more than the {len(users)} accounts")

    began, now = time.perf_counter(), clock.now()
    merged = set(rng.sample(range(1, args.proposals), int(args.proposals * MERGED_SHARE)))
    drawn = iter(support_counts(args.proposals - len(merged), args.supports, args.supports_needed, rng))
    counts = [0 if n in merged else next(drawn) for n in range(args.proposals)]
    rows, ends = _proposal_rows(args, rng, counts, merged, now, users)
    for first in range(0, len(rows), 5_000):
        db.session.execute(insert(Proposal.__table__), rows[first : first + 5_000])
    ids = list(db.session.scalars(select(Proposal.id).order_by(Proposal.id)))
    merges = [{"pid": ids[n], "into": ids[rng.randrange(n)]} for n in sorted(merged)]
    if merges:
        db.session.execute(
            update(Proposal.__table__)
            .where(Proposal.__table__.c.id == bindparam("pid"))
            .values(merged_into_id=bindparam("into")),
            merges,
        )
    timings["proposals"] = time.perf_counter() - began

    began = time.perf_counter()
    days, last, count_of = Counter(), {}, {}

    def supports():
        for n, supports_here in enumerate(counts):
            if not supports_here:
                continue
            proposal_id, start, published = ids[n], rng.randrange(len(users)), rows[n]["published_at"]
            span = (ends[n] - published).total_seconds()
            latest = published
            for k in range(supports_here):
                at = published + timedelta(seconds=rng.random() * span)
                latest = max(latest, at)
                days[proposal_id, at.date()] += 1  # clock.now() is UTC: the day is the UTC day
                yield proposal_id, users[(start + k) % len(users)], at
            last[proposal_id], count_of[proposal_id] = latest, supports_here

    _write_supports(supports())
    timings["supports"] = time.perf_counter() - began

    began = time.perf_counter()
    proposal = Proposal.__table__
    kept = [{"pid": pid, "n": n, "at": last[pid]} for pid, n in count_of.items()]
    for first in range(0, len(kept), 10_000):
        db.session.execute(
            update(proposal)
            .where(proposal.c.id == bindparam("pid"))
            .values(support_count=bindparam("n"), last_supported_at=bindparam("at")),
            kept[first : first + 10_000],
        )
    day_rows = [{"proposal_id": pid, "day": day, "count": n} for (pid, day), n in days.items()]
    for first in range(0, len(day_rows), 10_000):
        db.session.execute(insert(SupportDay.__table__), day_rows[first : first + 10_000])
    db.session.commit()
    refresh_trending(now)  # the periodic task's own scoring, from the supports per day
    timings["counters, days and trending"] = time.perf_counter() - began
    return {"proposals": ids, "counts": counts}, timings


def seed(config, args):
    """Everything the pages read; returns the paths' ids and the reader's email."""
    from sqlalchemy import func, select

    from civic import create_app
    from civic.extensions import db
    from civic.proposals.models import Proposal, Support

    rng = random.Random(args.seed)
    app = create_app(config)
    with app.app_context():
        official = _common.make_users(1, prefix="official", roles=("citizen", "official"))[0]
        reader = _common.make_users(1, prefix="reader")[0]
        consultation = open_consultation(official, "A consultation for the ceiling", survey_questions())
        _seeded, timings = seed_proposals(args, rng)
        top = db.session.execute(
            select(Proposal.id, Proposal.support_count)
            .where(Proposal.state.not_in(("withdrawn", "duplicate")))
            .order_by(Proposal.support_count.desc(), Proposal.id)
            .limit(1)
        ).one()
        total = db.session.scalar(select(func.count()).select_from(Support))
        ids = {"consultation": consultation.id, "top": top.id, "top_supports": top.support_count}
        email = reader.email
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            began = time.perf_counter()  # what autovacuum would have done by now on a live site
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
            timings["VACUUM ANALYZE"] = time.perf_counter() - began
        db.engine.dispose()
    print(
        f"seeded {args.proposals:,} proposals, {total:,} supports by {args.users:,} accounts: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
    )
    return ids, email


def page_list(ids, args):
    """(label, path, signed in?) in the order they are measured: anonymous, like the issue's."""
    topic = pages.TOPICS[0]
    return [
        ("proposals list", "/proposals", False),
        (f"{topic}, open, trending", f"/proposals?topic={topic}&status=open&sort=trending", False),
        ("proposals list, page 100", "/proposals?page=100", False),
        (f"proposal, {ids['top_supports']:,} supports", f"/proposals/{ids['top']}", False),
    ]


# --- the run -------------------------------------------------------------------------------


def run(args, workdir, database_url, description):
    config = _common.bench_config(workdir, SQLALCHEMY_DATABASE_URI=database_url)
    _common.migrate(config)
    ids, email = seed(config, args)
    measured_pages = page_list(ids, args)
    queries = pages.count_queries(config, email, measured_pages)
    if args.redis_url:
        os.environ["CIVIC_PAGE_CACHE"] = "1"  # read by the servers' create_app (fanout.server_environment)
    results, ceilings, *rest = pages.serve_and_measure(
        args, workdir, database_url, description, measured_pages, email, ids["consultation"]
    )
    return report(measured_pages, results, ceilings, queries, *rest)


def report(page_list, results, ceilings, queries, load_before, load_after, still_signed_in):
    ceiling_p50 = statistics.median(r["p50"] for r in ceilings)
    ceiling_rps = statistics.median(r["rps"] for r in ceilings)
    spread = ", ".join(f"{r['p50'] * 1000:.1f}" for r in ceilings)
    print(
        f"\nceiling: median p50 {ceiling_p50 * 1000:.1f} ms, median {ceiling_rps:.1f} requests/s over "
        f"{len(ceilings)} runs (p50 {spread} ms)"
    )
    print(
        f"p50 ratio: the page's median latency over the ceiling's median p50 (target: at most {TARGET:g}); "
        "rps ratio: the page's requests/s over the ceiling's median requests/s"
    )
    header = f"{'page':<36} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'SQL/req':>7} {'p50 ratio':>9} {'rps ratio':>9}"
    print(header)
    print("-" * len(header))
    failures = []
    for label, _path, _signed_in in page_list:
        result = results[label]
        ratio = result["p50"] / ceiling_p50
        ok = ratio <= TARGET and result["bad"] == 0
        if not ok:
            failures.append(label)
        sql = queries.get(label)
        print(
            f"{label:<36} {result['rps']:>7.1f} {result['p50'] * 1000:>7.1f} {result['p99'] * 1000:>7.1f} "
            f"{sql if sql is not None else '?':>7} {ratio:>9.2f} {result['rps'] / ceiling_rps:>9.2f}  "
            + ("ok" if ok else "FAIL" + (f" ({result['bad']} bad responses)" if result["bad"] else ""))
        )
    runs = list(results.values()) + ceilings
    print(
        f"\n1-minute load average: {load_before:.2f} before, {load_after:.2f} after; other processes used a median "
        f"{statistics.median(r['other_cores'] for r in runs):.2f} cores during the runs "
        f"(max {max(r['other_cores'] for r in runs):.2f}); the load generator at most "
        f"{max(r['generator_cores'] for r in runs):.2f} cores"
    )
    if not still_signed_in:
        failures.append("the reader was signed out during the run")
    print(
        f"\nRESULT: {len(page_list) - len(failures)} of {len(page_list)} pages within {TARGET:g}x of the ceiling's "
        "median latency" + (f"; missed: {', '.join(failures)}" if failures else "")
    )
    return not failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    pages.add_server_arguments(parser)
    parser.add_argument("--proposals", type=int, default=50_000)
    parser.add_argument("--supports", type=int, default=2_000_000)
    parser.add_argument("--users", type=int, default=40_000, help="accounts that give the supports")
    parser.add_argument(
        "--supports-needed", type=int, default=1_000, help="the threshold stored on each proposal (as published)"
    )
    parser.add_argument("--days", type=int, default=90, help="days a proposal collects supports")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a page misses the target")
    args = parser.parse_args()
    pages.settle_arguments(args)
    _common.quiet_werkzeug()
    ok = _common.run_on_database(
        run, args, postgres_url=args.database_url if args.database == "postgresql" else None, prefix="proposals"
    )
    sys.exit(0 if ok or args.no_fail else 1)


if __name__ == "__main__":
    main()
