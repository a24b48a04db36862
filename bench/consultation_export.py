"""Exporting 50,000 responses as CSV: does it stream, or does the server hold them all in memory?

Issue 4: "Export of 50,000 responses as CSV streams without loading them all in memory: report
time and peak memory."

What it does:
  1. builds a throw-away database with the Alembic migrations (a SQLite file in a temporary
     directory, or a temporary database on the PostgreSQL server of --database-url) and creates,
     with the services, an official and three open consultations with eight questions each (short
     and long text, single and multiple choice with "Other", two scales, a ranking, yes/no);
  2. inserts in bulk --big (50,000) submitted responses to the first, --small (5,000) to the second
     and --warmup-size (200) to the third, each with an answer to every question: varied text with
     commas, quotes, line breaks and accents, about 500 bytes of CSV per response;
  3. starts a real server process (`gunicorn -w 1 --threads 8 wsgi:app` when gunicorn is in the
     virtualenv, else `python wsgi.py`), signs the official in through the form, and exports the
     small consultation three times to warm the process up (imports, caches, pools);
  4. for each measured export (small, big, and that --repeat (2) times): reads the serving process's
     VmRSS (/proc/<pid>/status: the gunicorn worker, or the development server), resets its peak
     (VmHWM) by writing 5 to /proc/<pid>/clear_refs, streams GET /consultations/<id>/export.csv with
     requests stream=True, parsing the CSV as it arrives, and reads VmHWM afterwards. A thread also
     samples VmRSS every 10 ms, in case the kernel does not allow the reset.

Prints, per export, the rows, bytes, time to the first byte and in all, and the serving process's
memory: before, peak, peak minus before, after. Exit status 1 when the big export's peak exceeds
the small one's by more than --max-growth-mb (50), when a row is missing, doubled or malformed, or
when a request fails.

    .venv/bin/python bench/consultation_export.py
    .venv/bin/python bench/consultation_export.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

import argparse
import csv
import importlib.util
import io
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import _common
import consultation_submit
import fanout

WORDS = (
    "the council bus lane street bike park budget school square market noise tree library parking tram "
    "safety children shop neighbour traffic plan crossing speed water clean air quiet local café plaza "
    "señal niños árbol"
).split()
TRAVEL = ("Bus", "Bike", "Car", "Tram", "On foot")
EXTRAS = ("Night bus", "Bike lanes", "Car share", "Wider pavements", "More benches")
PRIORITIES = ("Safety", "Speed", "Cost", "Comfort", "Clean air")


# --- seeding -------------------------------------------------------------------------------


def survey_questions():
    from civic.consultations.services.questions import QuestionData as Q

    return [
        Q(kind="short_text", prompt="Where do you live?", section="About you"),
        Q(kind="long_text", prompt="What would make your trips better?", required=True, section="Getting around"),
        Q(kind="single_choice", prompt="How do you usually travel?", options=TRAVEL, allow_other=True, required=True),
        Q(kind="multiple_choice", prompt="Which would you use?", options=EXTRAS, allow_other=True),
        Q(kind="scale", prompt="How satisfied are you with the buses?", scale="1-5"),
        Q(kind="scale", prompt="How safe do you feel cycling?", scale="0-10"),
        Q(kind="ranking", prompt="Rank these priorities", options=PRIORITIES),
        Q(kind="yes_no", prompt="Would you support a car-free Saturday?", required=True),
    ]


def _sentence(rng, low=5, high=16):
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high))).capitalize()


def _long_text(rng):
    parts = [
        _sentence(rng) + ("," if rng.random() < 0.5 else ".") + " " + _sentence(rng) + "."
        for _ in range(rng.randint(1, 4))
    ]
    if rng.random() < 0.3:
        parts.insert(1, f'As my neighbour said, "{_sentence(rng, 3, 6).lower()}".')
    return ("\n\n" if rng.random() < 0.4 else " ").join(parts)


def plan_answer(rng, kind, options, n):
    """(value, other_text) as submit_response stores it; some answers are skipped."""
    if kind == "short_text":
        return (
            f"{rng.choice(('Old Town', 'River side', 'North Hill', 'Station quarter'))}, street {n % 97}"
            if rng.random() < 0.85
            else "",
            "",
        )
    if kind == "long_text":
        return _long_text(rng), ""
    if kind == "single_choice":
        if rng.random() < 0.1:
            return "__other__", f"Scooter, mostly; sometimes {_sentence(rng, 2, 4).lower()}"
        return rng.choice(options), ""
    if kind == "multiple_choice":
        chosen = rng.sample(options, rng.randint(0, 3))
        if rng.random() < 0.08:
            return chosen, f"A {_sentence(rng, 1, 3).lower()} service"
        return chosen, ""
    if kind == "scale":
        return (rng.randint(options[0], options[1]) if rng.random() < 0.9 else None), ""
    if kind == "ranking":
        return (rng.sample(options, len(options)) if rng.random() < 0.8 else None), ""
    if kind == "yes_no":
        return rng.choice(("yes", "no")), ""
    raise ValueError(kind)


def seed_responses(consultation, user_ids, rng, *, chunk=10_000):
    """One submitted response per user id, with an answer to every question, inserted in bulk."""
    from sqlalchemy import insert, select, update

    from civic.common.models import utcnow
    from civic.consultations.models import Answer, Consultation, Response
    from civic.extensions import db

    now = utcnow()
    start = now - timedelta(days=20)
    responses = []
    for user_id in user_ids:
        submitted = start + timedelta(seconds=rng.uniform(0, 19 * 86400))
        responses.append(
            {
                "consultation_id": consultation.id,
                "user_id": user_id,
                "created_at": submitted,
                "updated_at": submitted,
                "submitted_at": submitted,
                "first_submitted_at": submitted,
            }
        )
    for first in range(0, len(responses), chunk):
        db.session.execute(insert(Response.__table__), responses[first : first + chunk])
    ids = db.session.scalars(
        select(Response.id).where(Response.consultation_id == consultation.id).order_by(Response.id)
    ).all()
    questions = [
        (q.id, q.kind, tuple(q.options or ()) if q.kind != "scale" else (q.scale_min, q.scale_max))
        for q in consultation.questions
    ]
    rows = []
    for response_id in ids:
        for question_id, kind, options in questions:
            value, other = plan_answer(rng, kind, options, response_id)
            rows.append({"response_id": response_id, "question_id": question_id, "value": value, "other_text": other})
            if len(rows) >= chunk:
                db.session.execute(insert(Answer.__table__), rows)
                rows = []
    if rows:
        db.session.execute(insert(Answer.__table__), rows)
    db.session.execute(update(Consultation).where(Consultation.id == consultation.id).values(response_count=len(ids)))
    db.session.commit()
    return len(ids)


def prepare_database(workdir, database_uri, sizes):
    """Consultations of the given sizes; returns [(consultation id, responses)], the official's email
    and the number of questions."""
    from civic import create_app
    from civic.extensions import db

    config = _common.bench_config(workdir, SQLALCHEMY_DATABASE_URI=database_uri)
    _common.migrate(config)
    app = create_app(config)
    rng = random.Random(4)
    made = []
    with app.app_context():
        official = _common.make_users(1, prefix="exportofficial", roles=("citizen", "official"))[0]
        email = official.email
        users = consultation_submit.bulk_citizens(max(sizes), "resident")
        user_ids = sorted(users.values())
        for size in sizes:
            consultation = consultation_submit.open_consultation(
                official, f"Getting around ({size:,} responses)", survey_questions()
            )
            made.append((consultation.id, seed_responses(consultation, user_ids[:size], rng)))
            questions = len(consultation.questions)
        db.session.remove()
        db.engine.dispose()
    return made, email, questions


# --- memory of the serving process ---------------------------------------------------------


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid):
    """Reset VmHWM to the current RSS (Linux 4.0+, same user). False when not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class RssSampler(threading.Thread):
    def __init__(self, pid, interval=0.01):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, status_kib(self.pid, "VmRSS"))
            except (OSError, KeyError):
                return
            self.done.wait(self.interval)

    def stop(self):
        self.done.set()
        self.join()
        return self.peak


def serving_pid(process, kind, timeout=30):
    """The process that runs the app: gunicorn's worker (a child of the master), or the server."""
    if kind != "gunicorn":
        return process.pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = fanout.process_tree(process.pid)[1:]
        if children:
            return children[0]
        time.sleep(0.1)
    sys.exit("gunicorn did not start a worker")


# --- the export ----------------------------------------------------------------------------


class CountingReader(io.RawIOBase):
    """Bytes of the response body as they arrive, counted."""

    def __init__(self, response):
        self.chunks = response.iter_content(chunk_size=65536)
        self.pending = b""
        self.bytes = 0
        self.first_byte_at = None

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self.pending:
            try:
                self.pending = next(self.chunks)
            except StopIteration:
                return 0
            if self.first_byte_at is None:
                self.first_byte_at = time.monotonic()
            self.bytes += len(self.pending)
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def export_once(session, base, consultation_id, expected_rows, columns, pid, fmt):
    url = f"{base}/consultations/{consultation_id}/export.{fmt}"
    before = status_kib(pid, "VmRSS")
    reset = reset_peak(pid)
    sampler = RssSampler(pid)
    sampler.start()
    started = time.monotonic()
    response = session.get(url, stream=True, timeout=300)
    problems = []
    rows, ids = 0, []
    reader = None
    if response.status_code != 200:
        problems.append(f"HTTP {response.status_code}")
    else:
        reader = CountingReader(response)
        text = io.TextIOWrapper(io.BufferedReader(reader, 1 << 16), encoding="utf-8-sig", newline="")
        if fmt == "csv":
            parsed = csv.reader(text)
            header = next(parsed)
            if len(header) != columns:
                problems.append(f"header has {len(header)} columns, expected {columns}")
            for row in parsed:
                rows += 1
                if len(row) != columns:
                    problems.append(f"row {rows} has {len(row)} columns")
                    break
                ids.append(int(row[0]))
        else:
            data = json.load(text)  # the client holds this one; the server's memory is what counts
            rows = len(data["responses"])
            ids = [r["response_id"] for r in data["responses"]]
    elapsed = time.monotonic() - started
    sampled = sampler.stop()
    hwm = status_kib(pid, "VmHWM")
    after = status_kib(pid, "VmRSS")
    if rows != expected_rows:
        problems.append(f"{rows} rows, expected {expected_rows}")
    if ids != sorted(set(ids)):
        problems.append("response ids doubled or out of order")
    peak = max(hwm, sampled) if reset else sampled
    return {
        "rows": rows,
        "bytes": reader.bytes if reader else 0,
        "time": elapsed,
        "first_byte": (reader.first_byte_at - started) if reader and reader.first_byte_at else float("nan"),
        "before": before,
        "peak": peak,
        "hwm": hwm if reset else None,
        "sampled": sampled,
        "after": after,
        "problems": problems,
        "status": response.status_code,
    }


# --- for contrast: the rows held in memory ------------------------------------------------


def _held_child(database_uri, workdir, consultation_id, warm_id, email, out):
    """In a fresh process: RSS growth from holding every row of export_responses in a list."""
    import gc
    import resource

    from sqlalchemy import select

    from civic import create_app
    from civic.accounts.models import User
    from civic.consultations.models import Consultation
    from civic.consultations.services.results import export_responses
    from civic.extensions import db

    app = create_app(_common.bench_config(workdir, SQLALCHEMY_DATABASE_URI=database_uri))
    with app.test_request_context():
        official = db.session.scalar(select(User).where(User.email_normalized == email))
        list(export_responses(official, db.session.get(Consultation, warm_id))[1])  # warm up imports and caches
        consultation = db.session.get(Consultation, consultation_id)
        gc.collect()
        before = status_kib(os.getpid(), "VmRSS")
        started = time.monotonic()
        header, body = export_responses(official, consultation)
        rows = [header, *body]
        elapsed = time.monotonic() - started
        held = status_kib(os.getpid(), "VmRSS")
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        text = buffer.getvalue()
        with_text = status_kib(os.getpid(), "VmRSS")
        out.put(
            {
                "rows": len(rows) - 1,
                "before": before,
                "held": held,
                "with_text": with_text,
                "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "chars": len(text),
                "time": elapsed,
            }
        )


def held_in_memory(database_uri, workdir, consultation_id, warm_id, email):
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    child = ctx.Process(target=_held_child, args=(database_uri, workdir, consultation_id, warm_id, email, out))
    child.start()
    result = out.get(timeout=600)
    child.join()
    return result


# --- the coordinator -----------------------------------------------------------------------


def mib(kib):
    return kib / 1024


def run(args, workdir, database_uri, label):
    started = time.monotonic()
    sizes = [args.big, args.small, args.warmup_size]
    made, email, questions = prepare_database(workdir, database_uri, sizes)
    (big_id, big_n), (small_id, small_n), (warm_id, warm_n) = made
    columns = 2 + questions
    print(
        f"database: {label}; seeded consultations of {big_n:,}, {small_n:,} and {warm_n:,} submitted responses "
        f"({questions} questions, {(big_n + small_n + warm_n) * questions:,} answers) in "
        f"{time.monotonic() - started:.1f} s"
    )

    port = fanout.free_port()
    env = fanout.server_environment(workdir, database_uri, port, None, f"civic-bench-{uuid.uuid4().hex[:8]}")
    process, log = fanout.start_server(
        workdir, 0, env, sys.executable, SimpleNamespace(server=args.server, gunicorn_threads=args.threads)
    )
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        fanout.wait_until_serving(base, process, Path(workdir) / "server0.log")
        pid = serving_pid(process, args.server)
        kind = (
            f"gunicorn -w 1 --threads {args.threads} wsgi:app (worker pid {pid})"
            if args.server == "gunicorn"
            else f"python wsgi.py (Werkzeug development server, pid {pid})"
        )
        print(f"server: {kind} at {base}; RSS after startup {mib(status_kib(pid, 'VmRSS')):.1f} MiB")
        session = fanout.signed_in_session(base, email)
        for _ in range(3):
            warm = export_once(
                session,
                base,
                small_id if args.warm_with_small else warm_id,
                small_n if args.warm_with_small else warm_n,
                columns,
                pid,
                args.format,
            )
            if warm["problems"]:
                sys.exit(f"warm-up export failed: {warm['problems']}")
        baseline = status_kib(pid, "VmRSS")
        print(
            f"after sign-in and 3 warm-up exports ({small_n if args.warm_with_small else warm_n:,} responses "
            f"each): RSS {mib(baseline):.1f} MiB (the baseline)"
        )
        allowed = reset_peak(pid)
        print(f"peak reset through /proc/{pid}/clear_refs: {'yes' if allowed else 'NOT ALLOWED (sampled only)'}")
        watch = _common.CpuWatch([os.getpid()] + fanout.process_tree(process.pid))
        plan = [("small", small_id, small_n), ("big", big_id, big_n)] * args.repeat
        for name, consultation_id, n in plan:
            result = export_once(session, base, consultation_id, n, columns, pid, args.format)
            result["name"], result["n"] = name, n
            results.append(result)
        cpu = watch.report()
    finally:
        fanout.stop_server(process)
        log.close()

    print(
        f"\nGET /consultations/<id>/export.{args.format}, streamed and parsed by the client "
        f"(memory is the serving process's, MiB):"
    )
    print(
        f"  {'responses':>9} {'rows':>7} {'MB':>7} {'1st byte':>9} {'total':>8} {'rows/s':>7}   "
        f"{'before':>7} {'peak':>7} {'peak-before':>11} {'after':>7}   {'sampled peak':>12}"
    )
    for r in results:
        print(
            f"  {r['n']:>9,} {r['rows']:>7,} {r['bytes'] / 1e6:>7.1f} {r['first_byte'] * 1000:>7.0f}ms "
            f"{r['time']:>7.2f}s {r['rows'] / r['time']:>7,.0f}   {mib(r['before']):>7.1f} {mib(r['peak']):>7.1f} "
            f"{mib(r['peak'] - r['before']):>11.1f} {mib(r['after']):>7.1f}   {mib(r['sampled']):>12.1f}"
            + (f"   PROBLEMS: {'; '.join(r['problems'])}" if r["problems"] else "")
        )
    print(cpu + " (while exporting)")

    small = [r for r in results if r["name"] == "small"]
    big = [r for r in results if r["name"] == "big"]
    small_peak = max(r["peak"] for r in small)
    big_peak = max(r["peak"] for r in big)
    difference = mib(big_peak - small_peak)
    problems = [p for r in results for p in r["problems"]]
    ok = difference <= args.max_growth_mb and not problems
    big_bytes = big[0]["bytes"]
    print(
        f"\n{big_n:,}-response export: {big[0]['rows']:,} rows, {big_bytes / 1e6:.1f} MB in {big[0]['time']:.1f} s; "
        f"peak {mib(big_peak):.1f} MiB = baseline + {mib(big_peak - baseline):.1f} MiB, for a body of "
        f"{big_bytes / 2**20:.1f} MiB"
    )
    print(
        f"{small_n:,}-response export: peak {mib(small_peak):.1f} MiB = baseline + {mib(small_peak - baseline):.1f} MiB"
    )
    if args.contrast:
        held = held_in_memory(database_uri, workdir, big_id, warm_id, email)
        print(
            f"for contrast, in a separate process: list(export_responses(...)) of the {held['rows']:,} responses "
            f"({held['time']:.1f} s) adds {mib(held['held'] - held['before']):.1f} MiB of RSS, and the CSV text of "
            f"them as one string another {mib(held['with_text'] - held['held']):.1f} MiB: what a non-streaming "
            f"export would hold"
        )
    print(
        f"\nRESULT: the {big_n:,}-response export peaks {difference:+.1f} MiB above the {small_n:,}-response one "
        f"(limit {args.max_growth_mb:.0f}); {len(problems)} problems: {'ok' if ok else 'FAIL'}"
    )
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server to create a temporary database on (default: a SQLite file in a temporary directory)",
    )
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--big", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=5_000)
    parser.add_argument("--warmup-size", type=int, default=200)
    parser.add_argument(
        "--warm-with-small", action="store_true", help="warm up with the small consultation instead of the tiny one"
    )
    parser.add_argument("--repeat", type=int, default=2, help="measure small, big this many times")
    parser.add_argument("--format", choices=("csv", "json"), default="csv")
    parser.add_argument(
        "--no-contrast",
        dest="contrast",
        action="store_false",
        help="skip measuring, in a separate process, what holding all the rows would cost",
    )
    parser.add_argument("--max-growth-mb", type=float, default=50.0)
    parser.add_argument(
        "--server",
        choices=("auto", "gunicorn", "werkzeug"),
        default="auto",
        help="auto: gunicorn when it is installed in this Python, else python wsgi.py",
    )
    parser.add_argument("--threads", type=int, default=8, help="gunicorn --threads")
    args = parser.parse_args()
    if args.server == "auto":
        args.server = "gunicorn" if importlib.util.find_spec("gunicorn") else "werkzeug"
    with tempfile.TemporaryDirectory(prefix="civic-export-") as workdir:
        if args.database_url:
            with _common.TemporaryPostgres(args.database_url, keep=args.keep_database) as url:
                ok = run(args, workdir, url, f"PostgreSQL, temporary database on {args.database_url.split('@')[-1]}")
        else:
            ok = run(args, workdir, f"sqlite:///{Path(workdir) / 'civic.sqlite3'}", f"SQLite file in {workdir}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
