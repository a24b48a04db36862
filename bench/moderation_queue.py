"""The moderation queue at scale, and a bulk hide pushed live (issue 14).

Issue 14, "Benchmark": "the queue with 20,000 open reports over 5,000 items: first page and a
filtered page, medians beside a one-query page (target: within 2x); a bulk hide of 1,000 items with
live removal reaching 200 connected Socket.IO readers: time to last delivery."

What it does:
  1. builds a throw-away database with the Alembic migrations (a SQLite file, or a temporary
     `civic_bench_*` database on the PostgreSQL server of --database-url) and seeds it in bulk:
     --authors writers and --reporters readers (consultation_submit.bulk_citizens), a moderator,
     --discussions discussions holding --items reported comments (a third of them replies, so the
     queue shows what they answer) and --reports open reports over them (a Pareto draw per
     item, at most one per reporter and item, reasons weighted as readers choose them, spread over
     the last two weeks); the discussions' counters as post_comment keeps them;
  2. part 1, in this process with Flask's test client, the moderator signed in: the queue's first
     page (`/staff/moderation`) and a filtered page (`?reason=personal_data&sort=most_reported`),
     interleaved with the reference: a one-query page (a minimal Flask app on the same database:
     one SELECT, one small Jinja template, as bench/pages.py's ceiling), --runs timed requests
     each after --warmup; prints medians, p95, SQL statements per page and the ratio of medians
     (target: at most 2);
  3. part 2 (skipped with --no-live): one more discussion with --bulk comments by one author, each
     reported; starts the development server (`python wsgi.py`, as bench/fanout.py does), connects
     --readers minimal Socket.IO clients (bench/fanout.py's asyncio client, in a process of their
     own) to the discussion's room, posts the queue's bulk form with the --bulk items ticked and
     "hide", and measures from just before the POST to the last comment hidden at the last reader
     (one `comments_changed` event per batch of 200, each listing its comments; every reader must
     receive every item), and the POST's own time.

Exit status 1 when a page misses the target or a reader misses an event, unless --no-fail.

    .venv/bin/python bench/moderation_queue.py                    # SQLite, about 2 min
    .venv/bin/python bench/moderation_queue.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

import argparse
import multiprocessing
import os
import random
import re
import statistics
import sys
import threading
import time
from datetime import timedelta

import _common
from consultation_submit import bulk_citizens

TARGET = 2.0
REASON_WEIGHTS = {
    "spam": 30,
    "abuse": 25,
    "off_topic": 15,
    "misinformation": 10,
    "hate": 8,
    "personal_data": 6,
    "illegal": 2,
    "other": 4,
}
FILTERED = "/staff/moderation?reason=personal_data&sort=most_reported"
FRAME = "/staff/moderation?area=nowhere"  # the same page with no item: layout, session, staff counts
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


# --- seeding -------------------------------------------------------------------------------


def report_counts(items, total, cap, rng, alpha=1.3):
    """`items` counts (each 1..cap) summing to `total`: a Pareto draw, scaled."""
    weights = [rng.paretovariate(alpha) for _ in range(items)]
    scale = (total - items) / sum(weights)
    counts = [1 + min(cap - 1, int(w * scale)) for w in weights]
    while sum(counts) < total:
        n = rng.randrange(items)
        if counts[n] < cap:
            counts[n] += 1
    while sum(counts) > total:
        n = rng.randrange(items)
        if counts[n] > 1:
            counts[n] -= 1
    return counts


def _comment_rows(discussion_ids, authors, count, first_id, rng, now, *, reply_share=1 / 3):
    """Comment rows with explicit ids (paths as post_comment writes them); about reply_share of them
    replies to an earlier comment of the same discussion."""
    from civic.discussions.models import PATH_SEGMENT_WIDTH

    rows, by_discussion = [], {}
    for n in range(count):
        comment_id = first_id + n
        discussion_id = discussion_ids[n % len(discussion_ids)]
        earlier = by_discussion.setdefault(discussion_id, [])
        parent = rng.choice(earlier) if earlier and rng.random() < reply_share else None
        segment = str(comment_id).zfill(PATH_SEGMENT_WIDTH)
        body = f"Comment {comment_id}: the buses on this street are always late and the driver was rude."
        row = {
            "id": comment_id,
            "discussion_id": discussion_id,
            "parent_id": parent["id"] if parent else None,
            "root_id": parent["root_id"] if parent else comment_id,
            "depth": parent["depth"] + 1 if parent else 0,
            "path": f"{parent['path']}{segment}/" if parent else f"{segment}/",
            "author_id": rng.choice(authors),
            "body_markdown": body,
            "body_html": f"<p>{body}</p>",
            "created_at": now - timedelta(days=20, seconds=-n),
            "hidden_reason": "",
        }
        if parent is None or parent["depth"] < 3:
            earlier.append(row)
        rows.append(row)
    return rows


def _insert(table, rows, chunk=5_000):
    from sqlalchemy import insert

    from civic.extensions import db

    for start in range(0, len(rows), chunk):
        db.session.execute(insert(table), rows[start : start + chunk])


def _count_comments(discussion_ids):
    from sqlalchemy import func, select, update

    from civic.discussions.models import Comment, Discussion
    from civic.extensions import db

    counts = dict(
        db.session.execute(
            select(Comment.discussion_id, func.count())
            .where(Comment.discussion_id.in_(discussion_ids))
            .group_by(Comment.discussion_id)
        ).all()
    )
    tops = dict(
        db.session.execute(
            select(Comment.discussion_id, func.count())
            .where(Comment.discussion_id.in_(discussion_ids), Comment.depth == 0)
            .group_by(Comment.discussion_id)
        ).all()
    )
    for discussion_id in discussion_ids:
        db.session.execute(
            update(Discussion)
            .where(Discussion.id == discussion_id)
            .values(comment_count=counts.get(discussion_id, 0), top_level_count=tops.get(discussion_id, 0))
        )


def seed(config, args):
    """Everything both parts read. Returns {"moderator": email, "live": discussion id, "bulk": ids}."""
    from sqlalchemy import func, select

    from civic import create_app
    from civic.common.models import utcnow
    from civic.discussions.models import Comment, Discussion
    from civic.extensions import db
    from civic.moderation.models import Report

    rng = random.Random(args.seed)
    app = create_app(config)
    began = time.perf_counter()
    with app.app_context():
        now = utcnow()
        admin = _common.make_users(1, prefix="benchadmin", roles=("citizen", "admin"))[0]
        moderator = _common.make_users(1, prefix="benchmoderator", roles=("citizen", "moderator"))[0]
        authors = sorted(bulk_citizens(args.authors, "author").values())
        reporters = sorted(bulk_citizens(args.reporters, "reporter").values())
        category = _common.make_category(admin)
        discussions = []
        for n in range(args.discussions + 1):
            discussion = Discussion(
                category_id=category.id, title=f"Discussion {n} about the buses", body_markdown="", body_html=""
            )
            db.session.add(discussion)
            discussions.append(discussion)
        db.session.flush()
        queue_ids = [d.id for d in discussions[:-1]]
        live_id = discussions[-1].id
        rows = _comment_rows(queue_ids, authors, args.items, 1, rng, now)
        _insert(Comment.__table__, rows)
        bulk_author = authors[0]
        bulk_rows = _comment_rows([live_id], [bulk_author], args.bulk, args.items + 1, rng, now, reply_share=0)
        _insert(Comment.__table__, bulk_rows)
        _count_comments(queue_ids + [live_id])

        reasons, weights = list(REASON_WEIGHTS), list(REASON_WEIGHTS.values())
        report_rows = []
        counts = report_counts(args.items, args.reports, min(len(reporters), 200), rng)
        for row, n in zip(rows, counts, strict=True):
            start = rng.randrange(len(reporters))
            for k in range(n):
                report_rows.append(
                    {
                        "reporter_id": reporters[(start + k) % len(reporters)],
                        "content_kind": "comment",
                        "content_id": row["id"],
                        "reason": rng.choices(reasons, weights)[0],
                        "note": "Please look at this." if rng.random() < 0.2 else None,
                        "state": "open",
                        "created_at": now - timedelta(seconds=rng.uniform(60, 14 * 86400)),
                    }
                )
        for k, row in enumerate(bulk_rows):
            report_rows.append(
                {
                    "reporter_id": reporters[k % len(reporters)],
                    "content_kind": "comment",
                    "content_id": row["id"],
                    "reason": "spam",
                    "note": None,
                    "state": "open",
                    "created_at": now - timedelta(seconds=rng.uniform(60, 86400)),
                }
            )
        _insert(Report.__table__, report_rows)
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(Report))
        result = {"moderator": moderator.email, "live": live_id, "bulk": [row["id"] for row in bulk_rows]}
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        db.engine.dispose()
    print(
        f"seeded {args.items:,} reported comments in {args.discussions} discussions with {args.reports:,} open reports "
        f"by {args.reporters:,} readers, and {args.bulk:,} more (one report each) for the bulk hide "
        f"({total:,} reports in all) in {time.perf_counter() - began:.1f} s"
    )
    return result


# --- part 1: the queue beside a one-query page ------------------------------------------------


def ceiling_app(database_url):
    """The reference: a minimal Flask app on the same database, one SELECT, one small template."""
    from flask import Flask, render_template_string
    from sqlalchemy import create_engine, text

    app = Flask("ceiling")
    engine = create_engine(database_url)
    template = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>'
        "<body><main><h1>{{ title }}</h1><p>One query, one template.</p></main></body></html>"
    )

    @app.get("/")
    def page():
        with engine.connect() as connection:
            title = connection.execute(text("SELECT title FROM discussion WHERE id = 1")).scalar_one()
        return render_template_string(template, title=title)

    return app, engine


def measure_queue(config, database_url, email, args):
    from civic import create_app
    from civic.extensions import db
    from tests.support.queries import counting_queries

    app = create_app(config)
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    signed_in = client.post(
        "/sign-in",
        data={"csrf_token": token, "email": email, "password": _common.PASSWORD},
        headers={"Origin": "http://localhost"},
    )
    if signed_in.status_code != 302:
        sys.exit(f"the moderator could not sign in: HTTP {signed_in.status_code}")
    reference, engine = ceiling_app(database_url)
    reference_client = reference.test_client()
    cases = {  # measured interleaved, so that a busy moment weighs on each alike
        "queue, first page": lambda: client.get("/staff/moderation"),
        "queue, personal data, most reported": lambda: client.get(FILTERED),
        "queue with no item (the frame)": lambda: client.get(FRAME),
        "one-query page": lambda: reference_client.get("/"),
    }
    references = ("queue with no item (the frame)", "one-query page")
    sql = {}
    with app.app_context():
        for label in ("queue, first page", "queue, personal data, most reported", references[0]):
            with counting_queries() as queries:
                response = cases[label]()
            if response.status_code != 200:
                sys.exit(f"{label}: HTTP {response.status_code}")
            sql[label] = queries.count
            shown = response.get_data(as_text=True).count('class="queue-item"')
            print(f"{label}: {shown} items shown, {len(response.get_data()) / 1024:.0f} KiB")
        db.engine.dispose()
    times = {label: [] for label in cases}
    if args.profile:
        profile(app, cases, args.profile)
    for _ in range(args.warmup):
        for case in cases.values():
            case()
    watch = _common.CpuWatch([os.getpid()])
    for _ in range(args.runs):
        for label, case in cases.items():
            began = time.perf_counter()
            response = case()
            times[label].append(time.perf_counter() - began)
            if response.status_code != 200:
                sys.exit(f"{label}: HTTP {response.status_code}")
    engine.dispose()
    reference_median = statistics.median(times["one-query page"])
    frame_median = statistics.median(times[references[0]])
    print(
        "\nratio: the page's median over the one-query page's (target: at most "
        f"{TARGET:g}); over frame: over the same staff page showing no item"
    )
    print(f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>5} {'ratio':>7} {'over frame':>10}")
    failures = []
    for label, values in times.items():
        median, p95, _top = _common.summary_ms(values)
        ratio = statistics.median(values) / reference_median
        ok = label in references or ratio <= TARGET
        if not ok:
            failures.append(label)
        print(
            f"{label:<40} {median:>8.1f} {p95:>8.1f} {sql.get(label, '?'):>5} {ratio:>7.2f} "
            f"{statistics.median(values) / frame_median:>10.2f}"
            + ("" if label in references else ("  ok" if ok else "  over the target"))
        )
    print(watch.report())
    return failures


PROFILED = "url_for|gettext|moment|excerpt|csrf|number|datetime|waiting|_fill|author_history|queue_areas|_kept"


def statements_of(app, request):
    """(seconds of the whole request, [(seconds, statement)]) of one request."""
    from sqlalchemy import event

    from civic.extensions import db

    with app.app_context():
        engine = db.engine
    timings = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["began"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        timings.append((time.perf_counter() - conn.info.pop("began"), " ".join(statement.split())[:110]))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    began = time.perf_counter()
    request()
    whole = time.perf_counter() - began
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    return whole, timings


def profile(app, cases, runs):
    """Each SQL statement of one request of each staff page with its time, then cProfile over `runs`
    requests of each: the costliest functions (cumulative and own)."""
    import cProfile
    import pstats

    for label in ("queue, first page", "queue, personal data, most reported", "queue with no item (the frame)"):
        cases[label]()
        whole, timings = statements_of(app, cases[label])
        print(
            f"\n--- SQL of one request: {label}: {whole * 1000:.1f} ms in all, "
            f"{sum(t for t, _s in timings) * 1000:.1f} ms in {len(timings)} statements ---"
        )
        for seconds, statement in timings:
            print(f"{seconds * 1000:7.2f} ms  {statement}")
    for label in ("queue, first page", "queue with no item (the frame)"):
        cases[label]()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(runs):
            cases[label]()
        profiler.disable()
        print(f"\n--- profile: {label}, {runs} requests ---")
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats(PROFILED, 25)


# --- part 2: a bulk hide pushed live ---------------------------------------------------------


def readers_process(conn, url, count, discussion_id, timeout):
    """`count` minimal Socket.IO clients on one asyncio loop (bench/fanout.py's light client, cut to
    what this needs): join the discussion, then record the arrival of each comment hidden (a
    `comment_hidden` event, or a change in a bulk action's `comments_changed` event)."""
    import asyncio
    import json
    from urllib.parse import urlsplit

    from wsproto import ConnectionType, WSConnection
    from wsproto.events import CloseConnection, Ping, Request, TextMessage

    hidden = {i: set() for i in range(count)}
    last = {"at": None}
    joined_count, errors, writers = [0], [], []
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def client(i, gate):
        target = urlsplit(url)
        async with gate:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(target.hostname, target.port), timeout)
            except Exception as exc:  # noqa: BLE001 - reported
                errors.append(f"{type(exc).__name__}: {exc}")
                return
        writers.append(writer)
        ws = WSConnection(ConnectionType.CLIENT)
        writer.write(ws.send(Request(host=target.netloc, target="/socket.io/?EIO=4&transport=websocket")))
        pending = ""
        while True:
            data = await reader.read(262144)
            if not data:
                return
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, TextMessage):
                    pending += event.data
                    if not event.message_finished:
                        continue
                    message, pending = pending, ""
                    if message.startswith('42["comment_hidden"'):
                        found = re.search(r'"comment_id":\s*(\d+)', message)
                        hidden[i].add(int(found.group(1)))
                        last["at"] = time.monotonic()
                    elif message.startswith('42["comments_changed"'):  # a bulk action: one event a batch
                        _name, payload = json.loads(message[2:])
                        for change in payload["changes"]:
                            if change["event"] == "comment_hidden":
                                hidden[i].add(change["comment_id"])
                        last["at"] = time.monotonic()
                    elif message == "2":
                        writer.write(ws.send(TextMessage(data="3")))
                    elif message.startswith("0{"):
                        writer.write(ws.send(TextMessage(data="40")))
                    elif message.startswith("40"):
                        join = json.dumps(["join", {"kind": "discussion", "id": discussion_id}])
                        writer.write(ws.send(TextMessage(data="420" + join)))
                    elif message.startswith("430"):
                        joined_count[0] += 1
                elif isinstance(event, Ping):
                    writer.write(ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    return

    async def main():
        gate = asyncio.Semaphore(20)
        tasks = [asyncio.create_task(client(i, gate)) for i in range(count)]
        while joined_count[0] + len(errors) < count:
            await asyncio.sleep(0.05)
        ready.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    ready.wait(120)
    conn.send(("ready", joined_count[0], errors))
    while True:
        command = conn.recv()
        if command == "count":
            conn.send(sum(len(ids) for ids in hidden.values()))
        elif command == "collect":
            conn.send({"per_reader": [len(ids) for ids in hidden.values()], "last": last["at"]})
        elif command == "stop":
            loop.call_soon_threadsafe(lambda: [w.close() for w in writers])
            conn.send("stopped")
            return


def measure_live(workdir, database_url, seeded, args):
    import requests
    from fanout import free_port, server_environment, start_server, stop_server, wait_until_serving

    port = free_port()
    env = server_environment(workdir, database_url, port, None, f"civic-bench-moderation-{port}")
    env["CIVIC_MAX_LIVE_CONNECTIONS"] = str(args.readers + 50)
    server_args = argparse.Namespace(server="werkzeug")
    process, log = start_server(workdir, 0, env, sys.executable, server_args)
    base = f"http://127.0.0.1:{port}"
    parent, child = multiprocessing.Pipe()
    readers = multiprocessing.Process(
        target=readers_process, args=(child, base, args.readers, seeded["live"], 30), daemon=True
    )
    try:
        wait_until_serving(base, process, log.name)
        readers.start()
        _ready, joined, errors = parent.recv()
        if joined != args.readers:
            print(f"only {joined} of {args.readers} readers joined: {errors[:3]}")
            return ["readers"]
        session = requests.Session()
        token = CSRF.search(session.get(base + "/sign-in", timeout=30).text).group(1)
        session.post(
            base + "/sign-in",
            data={"csrf_token": token, "email": seeded["moderator"], "password": _common.PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        token = CSRF.search(session.get(base + "/staff/moderation", timeout=60).text).group(1)
        form = {
            "csrf_token": token,
            "action": "hide",
            "reason": "spam",
            "explanation": "Advertising",
            "item": [f"comment:{content_id}" for content_id in seeded["bulk"]],
        }
        watch = _common.CpuWatch([process.pid, readers.pid])
        expected = args.readers * len(seeded["bulk"])
        began = time.monotonic()
        response = session.post(base + "/staff/moderation/bulk", data=form, allow_redirects=False, timeout=600)
        answered = time.monotonic()
        if response.status_code != 302:
            print(f"the bulk hide answered HTTP {response.status_code}")
            return ["bulk hide"]
        deadline = answered + args.live_timeout
        while time.monotonic() < deadline:
            parent.send("count")
            if parent.recv() >= expected:
                break
            time.sleep(0.2)
        parent.send("collect")
        collected = parent.recv()
        cpu = watch.report()
        per_reader = collected["per_reader"]
        complete = sum(1 for n in per_reader if n == len(seeded["bulk"]))
        print(
            f"\nbulk hide of {len(seeded['bulk']):,} comments (batches of 200) with {args.readers} readers in the room:"
            f"\n  the POST answered after {(answered - began) * 1000:,.0f} ms"
            + (
                f"\n  last delivery at the last reader after {(collected['last'] - began) * 1000:,.0f} ms"
                if collected["last"]
                else "\n  nothing arrived"
            )
            + f"\n  readers that received every item: {complete} of {args.readers}; "
            f"deliveries {sum(per_reader):,} of {expected:,}"
        )
        print(cpu)
        return [] if complete == args.readers else ["live delivery"]
    finally:
        if readers.is_alive():
            parent.send("stop")
            readers.join(10)
        stop_server(process)
        log.close()


# --- the run -------------------------------------------------------------------------------


def run(args, workdir, database_url, description):
    print(f"database: {description}")
    config = _common.bench_config(workdir, SQLALCHEMY_DATABASE_URI=database_url)
    _common.migrate(config)
    seeded = seed(config, args)
    load_before = os.getloadavg()
    failures = measure_queue(config, database_url, seeded["moderator"], args)
    if not args.no_live:
        failures += measure_live(workdir, database_url, seeded, args)
    load_after = os.getloadavg()
    print(
        f"\nload average (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in load_before)} before, "
        f"{', '.join(f'{v:.2f}' for v in load_after)} after"
    )
    print("RESULT: " + ("every target met" if not failures else f"missed: {', '.join(failures)}"))
    return not failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL server for a temporary database (default: SQLite)")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--discussions", type=int, default=50)
    parser.add_argument("--authors", type=int, default=1_500)
    parser.add_argument("--reporters", type=int, default=2_000)
    parser.add_argument("--bulk", type=int, default=1_000, help="items hidden at once in part 2")
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--live-timeout", type=float, default=300.0)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--no-live", action="store_true", help="only part 1")
    parser.add_argument("--no-fail", action="store_true")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="SQL timings, cProfile of N requests")
    args = parser.parse_args()
    _common.quiet_werkzeug()
    ok = _common.run_on_database(run, args, postgres_url=args.database_url, prefix="moderation")
    sys.exit(0 if ok or args.no_fail else 1)


if __name__ == "__main__":
    main()
