"""How close do Civic's pages come to the framework's own ceiling, under load, side by side?

Issue 10: "bench/pages.py builds the ceiling app itself, serves it and Civic with the same gunicorn
settings on the same database, drives both with the same load generator, and prints each page's
requests/s, p50/p99 and its ratio to the ceiling. Every public page, anonymous: at least 0.5 of
the ceiling [...]; signed-in pages at least 0.3."

What it does:
  1. builds a throw-away database with the Alembic migrations (a temporary `civic_bench_*`
     database on the PostgreSQL server of --database-url, dropped afterwards, or a SQLite file with
     --database sqlite) and seeds it in bulk: a discussion with 5,000 comments (discussion_open.py's
     tree) and a page of smaller ones, a petition with 300,000 counted signatures and its kept
     tallies (petition_page.py, then rebuild_tallies), 50,000 more open petitions (the list pages
     through them), open consultations with questions, documents and a cover, and a signed-in
     reader who voted on some comments;
  2. writes the "ceiling" app to the temporary folder: a minimal Flask app that runs ONE query on
     the same database (SELECT title FROM consultation WHERE id = :id, SQLAlchemy Core, the same
     pool options as Civic) and renders one small Jinja template from a file;
  3. serves both with the same gunicorn settings, one process each: deploy/gunicorn.conf.py when it
     exists (--worker-class config), otherwise `-k gevent --worker-connections 1000` (gevent
     installed) or `-k gthread --threads 32`; Civic runs with CIVIC_ENV=production (and REDIS_URL
     with --redis);
  4. signs the reader in through the real sign-in form and keeps the session cookie;
  5. drives each page, then the ceiling again every --ceiling-every pages, for --duration seconds
     each after a --warmup, with the same load generator: `wrk` when installed (apt-get install
     wrk), else an asyncio HTTP/1.1 keep-alive client of its own; --connections concurrent
     connections either way. The machine is shared: the ceiling is measured several times,
     interleaved, and each page is compared with the median of those runs.

It prints, per page: requests/s, p50 and p99 latency, SQL statements per request (one render
with Flask's test client in this process, counted with before_cursor_execute), the ratio to the
ceiling and its target; per run, the CPU used by the server, by the database server's backends
(PostgreSQL), by the load generator and by other processes; and the 1-minute load average
before and after.

Exit status 1 when a page misses its target (0.5 anonymous, 0.3 signed in) or answers anything
but 200, unless --no-fail.

    .venv/bin/python bench/pages.py                    # PostgreSQL on 127.0.0.1:5432, about 5 min
    .venv/bin/python bench/pages.py --quick            # about 1.5 min: shorter runs, same data
    .venv/bin/python bench/pages.py --database sqlite --redis
"""

import argparse
import asyncio
import http.client
import importlib.util
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import _common
import fanout
from consultation_submit import bulk_citizens, cpu_seconds, open_consultation, survey_questions
from discussion_open import CSRF, QueryCounter, seed_discussion
from petition_page import write_petition

DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
GUNICORN_CONFIG = _common.PROJECT_ROOT / "deploy" / "gunicorn.conf.py"
TARGETS = {"anonymous": 0.5, "signed in": 0.3}
TOPICS = ("Transport", "Housing", "Parks", "Schools", "Health", "Culture", "Safety", "Environment")

CEILING_APP = '''\
"""The ceiling: the least a Flask page can do here. One query on Civic's database, one small template."""

import os

from flask import Flask, render_template
from sqlalchemy import create_engine, text

app = Flask(__name__)
_url = os.environ["DATABASE_URL"]
engine = create_engine(
    _url, pool_pre_ping=True, **({{"connect_args": {{"timeout": 30}}}} if _url.startswith("sqlite") else {{}})
)
QUERY = text("SELECT title FROM consultation WHERE id = :id")
CONSULTATION_ID = {consultation_id}


@app.get("/")
def page():
    with engine.connect() as connection:
        title = connection.execute(QUERY, {{"id": CONSULTATION_ID}}).scalar_one()
    return render_template("page.html", title=title)
'''

CEILING_TEMPLATE = """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1><p>One query, one template.</p></main></body>
</html>
"""


# --- seeding -------------------------------------------------------------------------------


def _sentence(rng, low=6, high=14):
    words = rng.choices(("bus lane park square budget school river tree market housing rent light".split()), k=9)
    return " ".join(words[: rng.randint(low, high)]).capitalize() + "."


def seed_petitions(count, rng, *, chunk=10_000):
    """`count` open petitions inserted in bulk, with signature counts from a Pareto draw (a few
    popular, most small), opened over the last 90 days."""
    from sqlalchemy import insert

    from civic.common import clock
    from civic.extensions import db
    from civic.petitions.models import Petition

    now = clock.now()
    for first in range(0, count, chunk):
        rows = []
        for n in range(first, min(count, first + chunk)):
            opened = now - timedelta(seconds=rng.uniform(0, 90 * 86400))
            rows.append(
                {
                    "title": f"Petition {n}: {_sentence(rng, 3, 7)}"[:80],
                    "background": " ".join(_sentence(rng) for _ in range(3))[:300],
                    "details": _sentence(rng),
                    "topic": rng.choice(TOPICS),
                    "state": "open",
                    "creator_name": f"Creator {n}",
                    "sponsor_token": uuid.uuid4().hex,
                    "sponsor_count": 5,
                    "opened_at": opened,
                    "closes_at": opened + timedelta(days=180),
                    "signature_count": min(250_000, int(rng.paretovariate(1.2) * 3)),
                    "created_at": opened,
                    "updated_at": opened,
                }
            )
        db.session.execute(insert(Petition.__table__), rows)
    db.session.commit()


def seed_consultations(official, count, rng):
    """`count` open consultations made with the services (seven questions each), each with three
    documents and, for two in three, a cover image (rows only: no page here reads the files)."""
    from sqlalchemy import insert

    from civic.common.models import utcnow
    from civic.consultations.models import Document
    from civic.extensions import db

    ids, rows, now = [], [], utcnow()
    for n in range(count):
        consultation = open_consultation(
            official, f"Consultation {n}: {_sentence(rng, 3, 6)}"[:120], survey_questions()
        )
        ids.append(consultation.id)
        kinds = [("document", f"Document {k}.pdf", "application/pdf") for k in range(3)]
        if n % 3:
            kinds.append(("cover", "cover.jpg", "image/jpeg"))
        for position, (role, filename, content_type) in enumerate(kinds):
            rows.append(
                {
                    "consultation_id": consultation.id,
                    "role": role,
                    "position": position,
                    "title": filename.rsplit(".", 1)[0],
                    "alt_text": "A street in the town" if role == "cover" else "",
                    "filename": filename,
                    "stored_name": uuid.uuid4().hex,
                    "content_type": content_type,
                    "size_bytes": rng.randint(20_000, 2_000_000),
                    "sha256": uuid.uuid4().hex * 2,
                    "uploaded_by_id": official.id,
                    "created_at": now,
                }
            )
    db.session.execute(insert(Document.__table__), rows)
    db.session.commit()
    return ids


def seed(config, args):
    """Everything the pages show; returns the ids the pages need and the reader's email."""
    from civic import create_app
    from civic.extensions import db
    from civic.petitions.services import queries

    rng = random.Random(args.seed)
    app = create_app(config)
    timings = {}
    with app.app_context():
        began = time.perf_counter()
        admin = _common.make_users(1, prefix="admin", roles=("citizen", "admin"))[0]
        official = _common.make_users(1, prefix="official", roles=("citizen", "official"))[0]
        authors = _common.make_users(args.authors, prefix="author")
        reader = _common.make_users(1, prefix="reader")[0]
        bulk_citizens(2_000, "citizen")  # people who are not on any page: a site has many
        category = _common.make_category(admin)
        big_id, _info = seed_discussion(
            app,
            starter=authors[0],
            category=category,
            authors=authors,
            viewer=reader,
            total=args.comments,
            top_level=max(1, args.comments * 3 // 10),
            max_depth=8,
            rng=rng,
            title="Should Calle Mayor be car-free?",
        )
        for n in range(args.discussions - 1):  # the rest of the discussions list
            seed_discussion(
                app,
                starter=rng.choice(authors),
                category=category,
                authors=authors,
                viewer=reader,
                total=30,
                top_level=10,
                max_depth=4,
                rng=rng,
                title=f"Discussion {n}: {_sentence(rng, 3, 6)}"[:120],
            )
        timings["people and discussions"] = time.perf_counter() - began
        began = time.perf_counter()
        consultation_ids = seed_consultations(official, args.consultations, rng)
        timings["consultations"] = time.perf_counter() - began
        began = time.perf_counter()
        seed_petitions(args.petitions, rng)
        timings["petitions"] = time.perf_counter() - began
        petition, written = write_petition(args.signatures)
        began = time.perf_counter()
        queries.rebuild_tallies(petition.id)
        db.session.commit()
        timings["signatures"] = written + time.perf_counter() - began
        ids = {"discussion": big_id, "petition": petition.id, "consultation": consultation_ids[0]}
        email = reader.email
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum would have done by now on a live site: planner statistics (and no
            # autovacuum worker busy with the fresh rows during the measurement).
            began = time.perf_counter()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
            timings["VACUUM ANALYZE"] = time.perf_counter() - began
        db.engine.dispose()
    print("seeded: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()))
    return ids, email


def pages(ids, petitions):
    """(label, path, signed in?) in the order they are measured."""
    last_page = max(1, -(-(petitions + 1) // 20))
    deep = max(1, last_page // 2)
    return [
        ("home", "/", False),
        ("consultations list", "/consultations/", False),
        ("consultation", f"/consultations/{ids['consultation']}", False),
        ("petitions list", "/petitions/", False),
        (f"petitions list, page {deep:,} of {last_page:,}", f"/petitions/?page={deep}", False),
        ("petition, 300k signatures", f"/petitions/{ids['petition']}", False),
        ("discussions list", "/discussions/", False),
        ("discussion, 5k comments", f"/discussions/{ids['discussion']}", False),
        ("signed in: discussion", f"/discussions/{ids['discussion']}", True),
        ("signed in: petition", f"/petitions/{ids['petition']}", True),
        ("signed in: /account", "/account", True),
    ]


def count_queries(config, email, page_list):
    """SQL statements per request of each page: one render with Flask's test client (after one
    warm-up), counted with SQLAlchemy's before_cursor_execute."""
    from civic import create_app
    from civic.extensions import db

    app = create_app(config)
    with app.app_context():
        counter = QueryCounter(db.engine)
    clients = {False: app.test_client(), True: app.test_client()}
    page = clients[True].get("/sign-in").get_data(as_text=True)
    form = {"csrf_token": CSRF.search(page).group(1), "email": email, "password": _common.PASSWORD}
    if clients[True].post("/sign-in", data=form).status_code != 302:
        sys.exit("could not sign in with the test client")
    counts = {}
    for label, path, signed_in in page_list:
        clients[signed_in].get(path)
        counter.reset()
        status = clients[signed_in].get(path).status_code
        counts[label] = counter.count if status == 200 else None
    with app.app_context():
        db.engine.dispose()
    return counts


# --- servers -------------------------------------------------------------------------------


def gunicorn_settings(args):
    """The gunicorn options both servers get, and a description of them."""
    if args.worker_class == "config":
        options = ["-c", str(args.gunicorn_config)]
        if args.workers:
            options += ["-w", str(args.workers)]
        return options, f"-c {args.gunicorn_config}" + (f" -w {args.workers}" if args.workers else "")
    workers = args.workers or 1
    if args.worker_class == "gevent":
        options = ["-k", "gevent", "--worker-connections", str(args.worker_connections), "-w", str(workers)]
    else:
        options = ["-k", "gthread", "--threads", str(args.threads), "-w", str(workers)]
    return options, " ".join(options)


def start_gunicorn(name, workdir, options, app_spec, env, chdir):
    port = fanout.free_port()
    log_path = Path(workdir) / f"{name}.log"
    log = open(log_path, "wb")
    command = [sys.executable, "-m", "gunicorn", *options, "-b", f"127.0.0.1:{port}", "--chdir", str(chdir), app_spec]
    process = subprocess.Popen(
        command,
        cwd=str(chdir),
        env={**env, "CIVIC_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    fanout.wait_until_serving(base, process, log_path, timeout=90)
    return process, log, base


def write_ceiling(workdir, consultation_id):
    folder = Path(workdir) / "ceiling"
    (folder / "templates").mkdir(parents=True)
    (folder / "ceiling_app.py").write_text(CEILING_APP.format(consultation_id=consultation_id))
    (folder / "templates" / "page.html").write_text(CEILING_TEMPLATE)
    return folder


def sign_in(base, email):
    """The session cookie of `email`, signed in through the real form (http.client: the
    production cookie is Secure, which a cookie jar would not send over plain HTTP)."""
    host, port = base.removeprefix("http://").split(":")

    def call(method, path, body=None, cookies=None):
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        jar = dict(cookies or {})
        for header in response.msg.get_all("Set-Cookie") or ():
            jar.update({key: morsel.value for key, morsel in SimpleCookie(header).items()})
        connection.close()
        return response.status, text, jar

    from urllib.parse import urlencode

    _status, page, jar = call("GET", "/sign-in")
    form = urlencode({"csrf_token": CSRF.search(page).group(1), "email": email, "password": _common.PASSWORD})
    status, _text, jar = call("POST", "/sign-in", form, jar)
    if status != 302:
        sys.exit(f"sign-in failed: HTTP {status}")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def fetch(base, path, cookie):
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def database_backends(database_url):
    """PIDs of the PostgreSQL backends connected to the benchmark's database (same machine only)."""
    if not database_url.startswith("postgresql"):
        return []
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    engine = create_engine(url.set(database="postgres"))
    try:
        with engine.connect() as connection:
            return list(
                connection.scalars(
                    text("SELECT pid FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"),
                    {"name": url.database},
                )
            )
    finally:
        engine.dispose()


# --- load generators -----------------------------------------------------------------------

UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * UNITS[unit]


def parse_wrk(output):
    """requests/s, p50 and p99 (seconds), completed requests and bad responses (non-2xx/3xx and
    socket errors) from the output of `wrk --latency`."""
    latency = dict(re.findall(r"^\s*(50|99)%\s+([\d.]+(?:us|ms|s|m))", output, re.MULTILINE))
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if set(latency) != {"50", "99"} or rate is None:
        sys.exit(f"could not read wrk's output:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "rps": float(rate.group(1)),
        "p50": _seconds(latency["50"]),
        "p99": _seconds(latency["99"]),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "bad": (int(bad.group(1)) if bad else 0) + (sum(int(x) for x in errors.groups()) if errors else 0),
    }


def run_wrk(url, cookie, seconds, connections):
    """One wrk run: parse_wrk's figures and the CPU seconds wrk itself used."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    process = subprocess.Popen([*command, url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode()
    _pid, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"wrk failed:\n{output}")
    return {**parse_wrk(output), "cpu": usage.ru_utime + usage.ru_stime}


async def _client(host, port, request, deadline, latencies, state):
    """One keep-alive connection sending the same GET until the deadline."""
    reader = writer = None
    while time.monotonic() < deadline:
        if writer is None:
            reader, writer = await asyncio.open_connection(host, port)
        began = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers = head.decode("latin-1").lower()
        length = re.search(r"\r\ncontent-length:\s*(\d+)", headers)
        if length:
            await reader.readexactly(int(length.group(1)))
        elif "transfer-encoding: chunked" in headers:
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await reader.read()  # the body ends with the connection
            headers += "\r\nconnection: close"
        latencies.append(time.perf_counter() - began)
        if status != 200:
            state["bad"] += 1
        if "\r\nconnection: close" in headers:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def run_python(url, cookie, seconds, connections):
    """The same measurement with a light asyncio HTTP/1.1 client (no wrk): one process, one thread."""
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    path = "/" + url.removeprefix("http://").split("/", 1)[1]
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: civic-bench\r\n"
    request = (request + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n").encode()
    latencies, state = [], {"bad": 0}

    async def main():
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(_client(host, int(port), request, deadline, latencies, state) for _ in range(connections))
        )

    cpu, began = time.process_time(), time.monotonic()
    asyncio.run(main())
    wall, cpu = time.monotonic() - began, time.process_time() - cpu
    if not latencies:
        sys.exit(f"no response from {url}")
    return {
        "rps": len(latencies) / wall,
        "p50": _common.percentile(latencies, 0.50),
        "p99": _common.percentile(latencies, 0.99),
        "requests": len(latencies),
        "bad": state["bad"],
        "cpu": cpu,
    }


def _cpu_by_pid(pids):
    return {pid: cpu_seconds([pid]) for pid in pids}


def _cpu_since(before):
    """CPU seconds used since `before` by the processes in it that are still there."""
    return sum(
        max(0.0, cpu_seconds([pid]) - seconds) for pid, seconds in before.items() if Path(f"/proc/{pid}").exists()
    )


def wait_until_idle(pids, *, below=0.05, timeout=60.0):
    """Wait until the server processes use less than `below` of a core over 0.2 s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = _cpu_by_pid(pids)
        time.sleep(0.2)
        if _cpu_since(before) < below * 0.2:
            return
    print(f"(the server was still busy after {timeout:.0f} s)")


def machine_ticks():
    """(busy, total) CPU ticks of the whole machine since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]  # user ... steal (guest is inside user)
    idle = fields[3] + fields[4] + (fields[7] if len(fields) > 7 else 0)  # idle, iowait, steal
    return sum(fields) - idle, sum(fields)


def measure(args, url, cookie, server_pid, database_url):
    """Warm up, then one measured run of `url`, with the CPU of everyone involved."""
    generator = run_wrk if args.load_generator == "wrk" else run_python
    pids = fanout.process_tree(server_pid)
    wait_until_idle(pids)  # a client that stops leaves requests in flight: the server finishes them
    if args.warmup > 0:
        generator(url, cookie, args.warmup, args.connections)
        wait_until_idle(pids)
    backends = database_backends(database_url)
    ticks = os.sysconf("SC_CLK_TCK")
    server_before, database_before = _cpu_by_pid(pids), _cpu_by_pid(backends)
    busy_before, total_before = machine_ticks()
    began = time.monotonic()
    result = generator(url, cookie, args.duration, args.connections)
    if result["requests"] < args.min_requests and args.max_duration > args.duration:
        # A slow page: a short run holds only a few rounds of the connections, so its count is
        # coarse; measure it again for longer, within --max-duration.
        seconds = min(args.max_duration, args.duration * args.min_requests / max(1, result["requests"]))
        wait_until_idle(pids)
        server_before, database_before = _cpu_by_pid(pids), _cpu_by_pid(backends)
        busy_before, total_before = machine_ticks()
        began = time.monotonic()
        result = generator(url, cookie, seconds, args.connections)
    wall = time.monotonic() - began
    busy_after, total_after = machine_ticks()
    cores = (total_after - total_before) / ticks / wall if wall else os.cpu_count()
    result["wall"] = wall
    result["server_cores"] = _cpu_since(server_before) / wall
    result["database_cores"] = _cpu_since(database_before) / wall
    result["generator_cores"] = result["cpu"] / wall
    busy = (busy_after - busy_before) / ticks / wall
    result["machine_busy"] = busy / cores
    result["other_cores"] = max(
        0.0, busy - result["server_cores"] - result["database_cores"] - result["generator_cores"]
    )
    return result


# --- the run -------------------------------------------------------------------------------


def run(args, workdir, database_url, description):
    config = _common.bench_config(workdir, SQLALCHEMY_DATABASE_URI=database_url)
    _common.migrate(config)
    ids, email = seed(config, args)
    page_list = pages(ids, args.petitions)
    queries = count_queries(config, email, page_list)
    measured = serve_and_measure(args, workdir, database_url, description, page_list, email, ids["consultation"])
    return report(args, page_list, *measured[:2], queries, *measured[2:])


def serve_and_measure(args, workdir, database_url, description, page_list, email, consultation_id):
    """Serve Civic and the ceiling (on consultation `consultation_id`) with the same gunicorn
    settings, check every page of `page_list` answers 200 as whom it should, then measure each
    page, and the ceiling every --ceiling-every pages. Returns (results by label, ceiling runs,
    load average before, after, whether the reader was still signed in at the end)."""
    options, settings = gunicorn_settings(args)
    env = fanout.server_environment(workdir, database_url, 0, args.redis_url, f"civic-pages-{uuid.uuid4().hex[:8]}")
    env.update({"CIVIC_ENV": args.civic_env, "DATABASE_URL": database_url})
    # The project on the path of both servers too, for a config file whose hooks import it.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_common.PROJECT_ROOT), env.get("PYTHONPATH")]))
    ceiling_dir = write_ceiling(workdir, consultation_id)
    servers = []
    try:
        civic = start_gunicorn("civic", workdir, options, "wsgi:app", env, _common.PROJECT_ROOT)
        servers.append(civic)
        ceiling = start_gunicorn("ceiling", workdir, options, "ceiling_app:app", env, ceiling_dir)
        servers.append(ceiling)
        cookie = sign_in(civic[2], email)
        for label, path, signed_in in page_list:  # every page answers 200, and as whom it should
            status, body = fetch(civic[2], path, cookie if signed_in else None)
            if status != 200 or (b"data-signed-in" in body) != signed_in:
                sys.exit(f"{label}: GET {path} answered {status} (signed in: {b'data-signed-in' in body})")
        print(
            f"{description}; gunicorn {settings} for both Civic (CIVIC_ENV={args.civic_env}"
            f"{', Redis' if args.redis_url else ''}) and the ceiling; load: {args.load_generator}, "
            f"{args.connections} connections, {args.duration:g} s per run after {args.warmup:g} s warm-up"
        )
        load_before = os.getloadavg()[0]
        ceilings, results = [], {}
        header = (
            f"{'run':<36} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'server':>6} {'db':>5} {'load':>5} {'other':>5}"
            f" {'req/CPU-s':>9}  (CPU in cores; machine {os.cpu_count()} cores)"
        )
        print(header)

        def show(name, result):
            print(
                f"{name:<36} {result['rps']:>7.1f} {result['p50'] * 1000:>7.1f} {result['p99'] * 1000:>7.1f} "
                f"{result['server_cores']:>6.2f} {result['database_cores']:>5.2f} {result['generator_cores']:>5.2f} "
                f"{result['other_cores']:>5.2f} {per_cpu(result):>9.0f}"
                + (f"  {result['bad']} bad responses" if result["bad"] else "")
            )

        def ceiling_run():
            result = measure(args, ceiling[2] + "/", None, ceiling[0].pid, database_url)
            ceilings.append(result)
            show(f"ceiling ({len(ceilings)})", result)

        for n, (label, path, signed_in) in enumerate(page_list):
            if n % args.ceiling_every == 0:
                ceiling_run()
            result = measure(args, civic[2] + path, cookie if signed_in else None, civic[0].pid, database_url)
            results[label] = result
            show(label, result)
        ceiling_run()
        load_after = os.getloadavg()[0]
        status, body = fetch(civic[2], "/account", cookie)  # still the same reader at the end
        still_signed_in = status == 200 and b"data-signed-in" in body
    finally:
        for process, log, _base in servers:
            fanout.stop_server(process)
            log.close()
    return results, ceilings, load_before, load_after, still_signed_in


def per_cpu(result):
    """Requests per CPU-second of the server process(es) during the run."""
    return result["rps"] / result["server_cores"] if result["server_cores"] > 0 else 0.0


def report(args, page_list, results, ceilings, queries, load_before, load_after, still_signed_in):
    ceiling = statistics.median(r["rps"] for r in ceilings)
    ceiling_cpu = statistics.median(per_cpu(r) for r in ceilings)
    spread = ", ".join(f"{r['rps']:.0f}" for r in ceilings)
    print(
        f"\nceiling: median {ceiling:.1f} requests/s over {len(ceilings)} runs ({spread}); "
        f"p50 {statistics.median(r['p50'] for r in ceilings) * 1000:.1f} ms; {ceiling_cpu:.0f} requests per CPU-second "
        "of its server"
    )
    judged = "ratio" if args.judge == "rps" else "cpu ratio"
    print(
        "ratio: the page's requests/s over the ceiling's median; cpu ratio: the same with requests per "
        f"CPU-second of the server, which other processes on the machine disturb less. Targets apply to: {judged}"
    )
    header = (
        f"{'page':<36} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'SQL/req':>7} {'ratio':>6} {'cpu ratio':>9} "
        f"{'target':>7}"
    )
    print(header)
    print("-" * len(header))
    failures = []
    for label, _path, signed_in in page_list:
        result = results[label]
        ratio, cpu_ratio = result["rps"] / ceiling, per_cpu(result) / ceiling_cpu
        target = TARGETS["signed in" if signed_in else "anonymous"]
        ok = (ratio if args.judge == "rps" else cpu_ratio) >= target and result["bad"] == 0
        if not ok:
            failures.append(label)
        sql = queries.get(label)
        print(
            f"{label:<36} {result['rps']:>7.1f} {result['p50'] * 1000:>7.1f} {result['p99'] * 1000:>7.1f} "
            f"{sql if sql is not None else '?':>7} {ratio:>6.2f} {cpu_ratio:>9.2f} {'>= ' + str(target):>7}  "
            + ("ok" if ok else "FAIL" + (f" ({result['bad']} bad responses)" if result["bad"] else ""))
        )
    runs = list(results.values()) + ceilings
    generator = max(r["generator_cores"] for r in runs)
    other = statistics.median(r["other_cores"] for r in runs)
    print(
        f"\n1-minute load average: {load_before:.2f} before, {load_after:.2f} after; other processes used a median "
        f"{other:.2f} cores during the runs (max {max(r['other_cores'] for r in runs):.2f}); the load generator "
        f"at most {generator:.2f} cores"
    )
    if not still_signed_in:
        failures.append("the reader was signed out during the run")
        print("FAIL: the reader's session no longer works at the end of the run")
    print(
        f"\nRESULT: {len(page_list) - len(failures)} of {len(page_list)} pages meet their target"
        + (f"; missed: {', '.join(failures)}" if failures else "")
    )
    return not failures


def add_server_arguments(parser):
    """The options of the database, the servers and the load (shared with proposals_list.py)."""
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CIVIC_BENCH_DATABASE_URL")
        or os.environ.get("CIVIC_TEST_DATABASE_URL")
        or DEFAULT_SERVER_URL,
        help="PostgreSQL server to create the temporary database on (its own database is not touched)",
    )
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--db-dir", help="directory for the SQLite file (default: the temporary directory)")
    parser.add_argument(
        "--redis", action="store_true", help=f"run Civic with REDIS_URL (--redis-url, {DEFAULT_REDIS_URL})"
    )
    parser.add_argument("--redis-url", default=None)
    parser.add_argument(
        "--worker-class",
        choices=("auto", "config", "gevent", "gthread"),
        default="auto",
        help="config: -c deploy/gunicorn.conf.py (auto when it exists); else gevent when installed, else gthread",
    )
    parser.add_argument("--gunicorn-config", type=Path, default=GUNICORN_CONFIG)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn -w (default 1; with a config file, its own)")
    parser.add_argument("--worker-connections", type=int, default=1000, help="gevent: --worker-connections")
    parser.add_argument("--threads", type=int, default=32, help="gthread: --threads")
    parser.add_argument("--civic-env", default="production", choices=("production", "development"))
    parser.add_argument("--load-generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load before each run")
    parser.add_argument(
        "--min-requests",
        type=int,
        default=200,
        help="a run that completes fewer requests is measured again for longer (up to --max-duration)",
    )
    parser.add_argument("--max-duration", type=float, default=20.0, help="seconds, for slow pages (see --min-requests)")
    parser.add_argument("--ceiling-every", type=int, default=2, help="measure the ceiling again every N pages")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 s runs, 1 s warm-up, same data")


def settle_arguments(args):
    """--quick, --redis and the "auto" choices made concrete."""
    if args.quick:
        args.duration, args.warmup, args.ceiling_every, args.max_duration = 2.0, 1.0, 3, 6.0
    if args.redis or args.redis_url:
        args.redis_url = args.redis_url or DEFAULT_REDIS_URL
    if args.worker_class == "auto":
        args.worker_class = (
            "config" if args.gunicorn_config.exists() else "gevent" if importlib.util.find_spec("gevent") else "gthread"
        )
    if args.load_generator == "auto":
        args.load_generator = "wrk" if shutil.which("wrk") else "python"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_arguments(parser)
    parser.add_argument("--comments", type=int, default=5_000)
    parser.add_argument("--signatures", type=int, default=300_000)
    parser.add_argument("--petitions", type=int, default=50_000, help="open petitions besides the big one")
    parser.add_argument("--consultations", type=int, default=30)
    parser.add_argument("--discussions", type=int, default=25)
    parser.add_argument("--authors", type=int, default=300)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument(
        "--judge",
        choices=("rps", "cpu"),
        default="rps",
        help="which ratio the targets apply to: requests/s (default) or requests per server CPU-second",
    )
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a target is missed")
    args = parser.parse_args()
    settle_arguments(args)
    _common.quiet_werkzeug()
    ok = _common.run_on_database(
        run, args, postgres_url=args.database_url if args.database == "postgresql" else None, prefix="pages"
    )
    sys.exit(0 if ok or args.no_fail else 1)


if __name__ == "__main__":
    main()
