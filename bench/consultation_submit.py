"""2,000 people answer one consultation at the same time: is every response stored exactly once?

Issue 4: "Submitting 2,000 responses concurrently (32 clients) to one consultation: every response
stored exactly once; report responses per second."

What it does:
  1. builds a throw-away database with the Alembic migrations (a SQLite file in a temporary
     directory, or a temporary database on the PostgreSQL server of --database-url), creates an
     official, a consultation that is open now (opened an hour ago, closes tomorrow) with seven
     questions, one of each kind (short and long text, single choice with "Other", multiple
     choice, a 0-10 scale, a ranking, yes/no), publishes it with the services, and inserts
     --accounts verified citizens in bulk (one password hash shared by all);
  2. starts a real server process: `gunicorn -w 1 --threads 64 wsgi:app` when gunicorn is in the
     virtualenv, else `python wsgi.py` (the development server), configured through environment
     variables (cheap argon2, sign-in limits raised), as bench/fanout.py does;
  3. signs every account in through the sign-in form (CSRF token scraped from the page), one
     requests.Session per account, --clients threads at a time. For --double-fraction of the
     accounts (5%) a second session of the same account is signed in too;
  4. responding, timed: --clients client threads take the accounts from a queue; each response
     goes through the real pages: GET /consultations/<id>/respond, POST it with action=review
     (saves and checks, 302 to /respond/review), GET /respond/review, POST /respond/submit.
     For a double account a helper thread drives the second session through the same steps, and
     the two sessions send their POSTs at the same moment (a two-party barrier before the review
     POST and before the submit POST), like one person pressing the buttons in two windows;
  5. checks the database: exactly one response per account, all submitted, consultation
     .response_count equal to the number of accounts, every stored answer equal to what that
     account sent, and no HTTP 500 (nor an unhandled error in the server log).

Prints responses per second over the responding phase, p50/p95/max of the submit POST (and of
the review POST and the whole four-request response), the HTTP statuses per step and the checks.
Exit status 1 when a check fails.

    .venv/bin/python bench/consultation_submit.py
    .venv/bin/python bench/consultation_submit.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

import argparse
import importlib.util
import os
import queue
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import _common
import fanout

CSRF = fanout.CSRF
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout)[\w.]*): (.*)$")

TRAVEL = ("Bus", "Bike", "Car", "Tram")
EXTRAS = ("Night bus", "Bike lanes", "Car share", "Wider pavements")
PRIORITIES = ("Safety", "Speed", "Cost", "Comfort")
PHRASES = (
    "More frequent buses at night",
    "a safe crossing near the school",
    "fewer cars on Saturdays",
    "cheaper monthly tickets",
    "a covered bike park, please",
    "benches along the river path",
    "trams that run on time",
    'lower speed limits, "really" enforced',
)


# --- setup ---------------------------------------------------------------------------------


def bulk_citizens(count, prefix):
    """Verified citizens inserted in bulk, sharing one password hash. Returns {email: user_id}."""
    from sqlalchemy import insert, literal, select

    from civic.accounts import passwords
    from civic.accounts.models import User, UserRole
    from civic.common.models import utcnow
    from civic.extensions import db

    password_hash = passwords.hash_password(_common.PASSWORD)
    now = utcnow()
    rows = [
        {
            "email": f"{prefix}{n}@example.org",
            "email_normalized": f"{prefix}{n}@example.org",
            "display_name": f"{prefix.title()} Person {n}",
            "handle": f"{prefix}_{n}",
            "bio": "",
            "password_hash": password_hash,
            "session_token": uuid.uuid4().hex,
            "email_verified_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    for start in range(0, count, 5000):
        db.session.execute(insert(User.__table__), rows[start : start + 5000])
    mine = User.email_normalized.like(f"{prefix}%@example.org")
    db.session.execute(
        insert(UserRole.__table__).from_select(
            ["user_id", "role", "granted_at"],
            select(User.id, literal("citizen"), literal(now, UserRole.granted_at.type)).where(mine),
        )
    )
    db.session.commit()
    return dict(db.session.execute(select(User.email_normalized, User.id).where(mine)).all())


def open_consultation(official, title, questions):
    """A consultation that is open now: created with the services (opened an hour ago, closes
    tomorrow), its questions saved, then published."""
    from civic.common import clock
    from civic.consultations.services import lifecycle
    from civic.consultations.services.questions import save_question

    now = clock.now()
    local = lambda moment: clock.utc_to_local(moment).replace(tzinfo=None, microsecond=0)  # noqa: E731
    consultation = lifecycle.create_consultation(
        official,
        lifecycle.ConsultationFields(
            title=title,
            summary="How do you get around town, and what would make it better?",
            body_markdown="The council is planning the next five years of **transport**.",
            topic="Transport",
            area="Whole town",
            opens_local=local(now - timedelta(hours=1)),
            closes_local=local(now + timedelta(days=1)),
        ),
    )
    for data in questions:
        save_question(official, consultation, data)
    lifecycle.publish_consultation(official, consultation)
    assert consultation.phase.value == "open", consultation.phase
    return consultation


def survey_questions():
    from civic.consultations.services.questions import QuestionData as Q

    return [
        Q(kind="short_text", prompt="Where do you live?", section="About you"),
        Q(kind="long_text", prompt="What would make your trips better?", required=True, section="Getting around"),
        Q(kind="single_choice", prompt="How do you usually travel?", options=TRAVEL, allow_other=True, required=True),
        Q(kind="multiple_choice", prompt="Which would you use?", options=EXTRAS),
        Q(
            kind="scale",
            prompt="How safe do you feel cycling?",
            scale="0-10",
            scale_min_label="Not at all",
            scale_max_label="Completely",
        ),
        Q(kind="ranking", prompt="Rank these priorities", options=PRIORITIES),
        Q(kind="yes_no", prompt="Would you support a car-free Saturday?", required=True),
    ]


def prepare_database(workdir, database_uri, accounts):
    from civic import create_app
    from civic.extensions import db

    config = _common.bench_config(workdir, SQLALCHEMY_DATABASE_URI=database_uri)
    _common.migrate(config)
    app = create_app(config)
    with app.app_context():
        official = _common.make_users(1, prefix="submitofficial", roles=("citizen", "official"))[0]
        consultation = open_consultation(official, "Getting around town", survey_questions())
        questions = [
            SimpleNamespace(id=q.id, kind=q.kind, options=list(q.options or ())) for q in consultation.questions
        ]
        users = bulk_citizens(accounts, "citizen")
        consultation_id = consultation.id
        db.session.remove()
        db.engine.dispose()
    emails = [f"citizen{n}@example.org" for n in range(accounts)]
    return consultation_id, questions, emails, users


# --- what each account answers -------------------------------------------------------------


def plan_answers(n, questions, rng):
    """(form fields, expected stored {question_id: (value, other_text)}) for account n."""
    form, expected = {}, {}
    for q in questions:
        name = f"q{q.id}"
        if q.kind == "short_text":
            value = f"Street {n}, flat {rng.randint(1, 40)} (account {n})"
            form[name], expected[q.id] = value, (value, "")
        elif q.kind == "long_text":
            value = ". ".join(rng.sample(PHRASES, rng.randint(1, 3))) + f". Signed, resident {n}."
            form[name], expected[q.id] = "  " + value + "\r\n", (value, "")
        elif q.kind == "single_choice":
            if rng.random() < 0.15:
                other = f"Scooter number {n}"
                form[name], form[f"{name}_other"], expected[q.id] = "__other__", other, ("__other__", other)
            else:
                value = rng.choice(q.options)
                form[name], expected[q.id] = value, (value, "")
        elif q.kind == "multiple_choice":
            chosen = rng.sample(q.options, rng.randint(0, 3))
            if chosen:
                form[name] = chosen
            expected[q.id] = (chosen, "")
        elif q.kind == "scale":
            value = rng.randint(0, 10)
            form[name], expected[q.id] = str(value), (value, "")
        elif q.kind == "ranking":
            order = rng.sample(q.options, len(q.options))
            for index, option in enumerate(q.options):
                form[f"{name}_rank_{index}"] = str(order.index(option) + 1)
            expected[q.id] = (order, "")
        elif q.kind == "yes_no":
            value = rng.choice(("yes", "no"))
            form[name], expected[q.id] = value, (value, "")
    return form, expected


# --- the clients ---------------------------------------------------------------------------


class Record:
    """Statuses and timings, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = Counter()  # (step, status) -> count
        self.submit, self.review, self.flow = [], [], []
        self.pairs = Counter()  # (review statuses, submit statuses) of double accounts
        self.samples = {}  # status -> (step, account, a bit of the body) for unexpected ones

    def status(self, step, status, account=None, body=""):
        with self.lock:
            self.statuses[(step, status)] += 1
            if status not in (200, 302) and (step, status) not in self.samples:
                self.samples[(step, status)] = (account, body[:300])


def request(record, step, account, call, *args, **kwargs):
    import requests

    try:
        response = call(*args, timeout=120, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        record.status(step, f"{type(exc).__name__}", account, str(exc))
        return None
    record.status(step, response.status_code, account, response.text if response.status_code != 200 else "")
    return response


def new_session():
    """A requests.Session that, like a browser, sends a GET again when a kept-alive connection turns
    out to have been closed by the server (gunicorn closes idle ones after 2 s). POSTs are never
    sent twice: urllib3 retries them only when the connection could not be made at all."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    retry = Retry(
        total=2, connect=2, read=2, status=0, redirect=0, allowed_methods=frozenset({"GET"}), raise_on_status=False
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


def sign_in(base, email, record):
    session = new_session()
    page = request(record, "GET /sign-in", email, session.get, base + "/sign-in")
    token = CSRF.search(page.text).group(1) if page is not None and CSRF.search(page.text) else ""
    done = request(
        record,
        "POST /sign-in",
        email,
        session.post,
        base + "/sign-in",
        data={"csrf_token": token, "email": email, "password": _common.PASSWORD},
    )
    session.close()  # its connection would sit idle until the responding phase: start afresh then
    return session if done is not None and done.status_code == 302 else None


def respond(base, consultation_id, session, account, form, record, barrier=None, review=True, together=True):
    """One response through the pages; returns (review status, submit status). Never raises, so
    that the other party of a barrier is not left waiting.

    With a barrier (a double account) the two sessions send their submit POSTs at the same
    moment. together=True: their review POSTs too (both windows filled in and sent at once).
    together=False: the first session reviews alone (review=True), the second one (review=False)
    only opens the review page once the first has saved, then both submit."""
    url = f"{base}/consultations/{consultation_id}/respond"
    started = time.monotonic()
    reviewed, review_time = None, None
    token = ""
    if review:
        page = request(record, "GET respond", account, session.get, url)
        token = CSRF.search(page.text).group(1) if page is not None and CSRF.search(page.text) else ""
        if barrier is not None and together:
            barrier.wait()
        review_start = time.monotonic()
        reviewed = request(
            record,
            "POST respond (review)",
            account,
            session.post,
            url,
            data={**form, "csrf_token": token, "action": "review"},
        )
        review_time = time.monotonic() - review_start
        if (
            reviewed is not None
            and reviewed.status_code == 302
            and not reviewed.headers.get("Location", "").endswith("/respond/review")
        ):
            record.status("POST respond (review)", f"302 to {reviewed.headers.get('Location')}", account)
    if barrier is not None and not together:
        barrier.wait()
    page = request(record, "GET review", account, session.get, url + "/review")
    token = CSRF.search(page.text).group(1) if page is not None and CSRF.search(page.text) else token
    if barrier is not None:
        barrier.wait()
    submit_start = time.monotonic()
    submitted = request(record, "POST submit", account, session.post, url + "/submit", data={"csrf_token": token})
    end = time.monotonic()
    with record.lock:
        if review_time is not None:
            record.review.append(review_time)
        record.submit.append(end - submit_start)
        if barrier is None:
            record.flow.append(end - started)
    return (
        reviewed.status_code if reviewed is not None else "-" if not review else "error",
        submitted.status_code if submitted is not None else "error",
    )


def run_clients(base, consultation_id, accounts, sessions, second_sessions, forms, clients, record, together):
    """--clients threads share the accounts; a double account also gets a helper thread for its
    second session. Returns the wall time of the whole phase."""
    work = queue.Queue()
    for n in accounts:
        work.put(n)
    start_gate = threading.Barrier(clients)

    def client():
        start_gate.wait()
        while True:
            try:
                n = work.get_nowait()
            except queue.Empty:
                return
            session = sessions[n]
            second = second_sessions.get(n)
            if second is None:
                respond(base, consultation_id, session, n, forms[n], record)
                continue
            barrier = threading.Barrier(2, timeout=300)
            other = {}
            helper = threading.Thread(
                target=lambda other=other, second=second, n=n, barrier=barrier: other.update(
                    result=respond(
                        base, consultation_id, second, n, forms[n], record, barrier, review=together, together=together
                    )
                )
            )
            helper.start()
            first = respond(base, consultation_id, session, n, forms[n], record, barrier, together=together)
            helper.join()
            with record.lock:
                record.pairs[
                    (
                        tuple(sorted(map(str, (first[0], other["result"][0])))),
                        tuple(sorted(map(str, (first[1], other["result"][1])))),
                    )
                ] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def sign_everyone_in(base, emails, doubles, clients, record):
    """{account: session} and {account: second session}, signed in --clients at a time."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(n, False) for n in range(len(emails))] + [(n, True) for n in doubles]
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda job: (job, sign_in(base, emails[job[0]], record)), jobs))
    sessions = {n: s for (n, second), s in results if not second}
    seconds = {n: s for (n, second), s in results if second}
    return sessions, seconds


# --- checks --------------------------------------------------------------------------------


def check_database(workdir, database_uri, consultation_id, users, expected):
    from sqlalchemy import func, select

    from civic import create_app
    from civic.consultations.models import Answer, Consultation, Response
    from civic.extensions import db

    app = create_app(_common.bench_config(workdir, SQLALCHEMY_DATABASE_URI=database_uri))
    with app.app_context():
        mine = Response.consultation_id == consultation_id
        rows = db.session.execute(
            select(Response.id, Response.user_id, Response.submitted_at, Response.first_submitted_at).where(mine)
        ).all()
        per_user = Counter(row.user_id for row in rows)
        count = db.session.scalar(select(Consultation.response_count).where(Consultation.id == consultation_id))
        answers = {}
        for answer in db.session.execute(
            select(Answer.response_id, Answer.question_id, Answer.value, Answer.other_text).join(Response).where(mine)
        ):
            answers.setdefault(answer.response_id, {})[answer.question_id] = (answer.value, answer.other_text)
        answer_rows = db.session.scalar(select(func.count(Answer.id)).join(Response).where(mine))
        db.session.remove()
        db.engine.dispose()
    by_user = {row.user_id: row for row in rows}
    account_of = {user_id: int(email[len("citizen") : -len("@example.org")]) for email, user_id in users.items()}
    matching = sum(
        1 for row in rows if row.user_id in account_of and answers.get(row.id) == expected[account_of[row.user_id]]
    )
    return {
        "rows": len(rows),
        "submitted": sum(1 for row in rows if row.submitted_at is not None),
        "first_submitted": sum(1 for row in rows if row.first_submitted_at is not None),
        "duplicates": sum(1 for c in per_user.values() if c > 1),
        "missing": sum(
            1 for user_id in users.values() if user_id not in by_user or by_user[user_id].submitted_at is None
        ),
        "response_count": count,
        "answer_rows": answer_rows,
        "matching": matching,
    }


def cpu_seconds(pids):
    """utime + stime of these processes, in seconds (Linux; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            total += int(parts[11]) + int(parts[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def server_log_errors(path):
    """Unhandled errors logged by the server: the exception lines of its tracebacks."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return 0, Counter()
    unhandled = text.count("Unhandled error on")
    kinds = Counter()
    for line in text.splitlines():
        match = EXCEPTION_LINE.match(line.strip())
        if match:
            kinds[f"{match.group(1)}: {match.group(2)[:140]}"] += 1
    return unhandled, kinds


# --- the coordinator -----------------------------------------------------------------------


def fmt(values):
    median, p95, top = _common.summary_ms(values)
    return f"p50 {median:7.1f} ms   p95 {p95:7.1f} ms   max {top:7.1f} ms   (n={len(values)})"


def run(args, workdir, database_uri, label):
    started = time.monotonic()
    consultation_id, questions, emails, users = prepare_database(workdir, database_uri, args.accounts)
    rng = random.Random(args.seed)
    planned = [plan_answers(n, questions, rng) for n in range(args.accounts)]
    forms = [form for form, _expected in planned]
    expected = [exp for _form, exp in planned]
    step = max(1, round(1 / args.double_fraction)) if args.double_fraction > 0 else 0
    doubles = [n for n in range(args.accounts) if step and n % step == step // 2]
    print(
        f"database: {label}; seeded {args.accounts:,} citizens and consultation {consultation_id} "
        f"({len(questions)} questions: {', '.join(q.kind for q in questions)}) in "
        f"{time.monotonic() - started:.1f} s"
    )

    port = fanout.free_port()
    env = fanout.server_environment(workdir, database_uri, port, None, f"civic-bench-{uuid.uuid4().hex[:8]}")
    server_args = SimpleNamespace(server=args.server, gunicorn_threads=args.threads)
    process, log = fanout.start_server(workdir, 0, env, sys.executable, server_args)
    base = f"http://127.0.0.1:{port}"
    log_path = Path(workdir) / "server0.log"
    try:
        fanout.wait_until_serving(base, process, log_path)
        kind = (
            f"gunicorn -w 1 --threads {args.threads} wsgi:app"
            if args.server == "gunicorn"
            else "python wsgi.py (Werkzeug development server)"
        )
        print(f"server: {kind} at {base}")
        record = Record()
        t0 = time.monotonic()
        sessions, second_sessions = sign_everyone_in(base, emails, doubles, args.clients, record)
        sign_in_time = time.monotonic() - t0
        signed = sum(1 for s in sessions.values() if s) + sum(1 for s in second_sessions.values() if s)
        print(
            f"signed in {signed:,} of {args.accounts + len(doubles):,} sessions ({args.accounts:,} accounts + "
            f"{len(doubles)} second sessions) with {args.clients} clients in {sign_in_time:.1f} s "
            f"({signed / sign_in_time:.0f}/s)"
        )
        ready = [n for n in range(args.accounts) if sessions.get(n)]
        second_sessions = {n: s for n, s in second_sessions.items() if s and sessions.get(n)}

        server_pids = fanout.process_tree(process.pid)
        watch = _common.CpuWatch([os.getpid()] + server_pids)
        cpu_before = cpu_seconds(server_pids), cpu_seconds([os.getpid()])
        wall = run_clients(
            base,
            consultation_id,
            ready,
            sessions,
            second_sessions,
            forms,
            args.clients,
            record,
            args.double_step == "both",
        )
        cpu = watch.report()
        server_cpu = cpu_seconds(server_pids) - cpu_before[0]
        client_cpu = cpu_seconds([os.getpid()]) - cpu_before[1]
    finally:
        fanout.stop_server(process)
        log.close()
    checks = check_database(workdir, database_uri, consultation_id, users, expected)
    unhandled, kinds = server_log_errors(log_path)
    mails = len(list((Path(workdir) / "instance" / "outbox").glob("*.eml")))

    print(
        f"\nresponding: {len(ready):,} accounts by {args.clients} client threads in {wall:.1f} s: "
        f"{len(ready) / wall:.1f} responses/s ({len(second_sessions)} of them also from a second session "
        f"at the same moment, on a helper thread; --double-step {args.double_step})"
    )
    print("  each response is GET respond, POST respond (action=review), GET review, POST submit")
    if record.flow:
        print(f"  whole response (4 requests, single sessions): {fmt(record.flow)}")
    print(f"  POST respond (review):                        {fmt(record.review)}")
    print(f"  POST respond/submit:                          {fmt(record.submit)}")
    print("  HTTP statuses per step:")
    for step in ("GET /sign-in", "POST /sign-in", "GET respond", "POST respond (review)", "GET review", "POST submit"):
        found = {status: c for (s, status), c in record.statuses.items() if s == step}
        print(f"    {step:24} " + ", ".join(f"{status}: {c:,}" for status, c in sorted(found.items(), key=str)))
    if record.pairs:
        print(
            f"  the {len(second_sessions)} double accounts, statuses of the two sessions' (review POSTs) and "
            f"(submit POSTs):"
        )
        for (review, submit), c in sorted(record.pairs.items(), key=lambda item: -item[1]):
            print(f"    review {'+'.join(review):9} submit {'+'.join(submit):9} {c:4} accounts")
    for (step, status), (account, body) in sorted(record.samples.items(), key=str):
        text = " ".join(re.sub(r"<[^>]+>", " ", body).split())[:160]
        print(f"  first {status} on {step} (account {account}): {text}")
    print(f"  receipts in the outbox: {mails:,}")
    print(cpu + " (while responding)")
    print(
        f"  of which the server process(es) {server_cpu / wall:.2f} cores (one gunicorn worker is one GIL), "
        f"the client threads {client_cpu / wall:.2f} cores"
    )
    print(f"  server log: {unhandled} unhandled errors" + ("; exception lines:" if kinds else ""))
    for line, c in kinds.most_common(8):
        print(f"    {c:5} x {line}")

    n = args.accounts
    http_500 = sum(c for (step, status), c in record.statuses.items() if status == 500)
    other_failures = sum(
        c
        for (step, status), c in record.statuses.items()
        if not isinstance(status, int) or (status >= 400 and status != 500)
    )
    results = [
        ("response rows for the consultation", checks["rows"], n),
        ("submitted responses", checks["submitted"], n),
        ("responses with first_submitted_at", checks["first_submitted"], n),
        ("accounts with more than one response", checks["duplicates"], 0),
        ("accounts without a submitted response", checks["missing"], 0),
        ("consultation.response_count", checks["response_count"], n),
        ("answer rows", checks["answer_rows"], n * len(questions)),
        ("responses whose answers equal what the account sent", checks["matching"], n),
        ("HTTP 500 responses", http_500, 0),
        ("unhandled errors in the server log", unhandled, 0),
        ("sessions that failed to sign in", args.accounts + len(doubles) - signed, 0),
    ]
    print("\nchecks:")
    ok = True
    for name, value, want in results:
        good = value == want
        ok &= good
        print(f"  {name + ':':55} {value:>7,} (expected {want:,})  {'ok' if good else 'FAIL'}")
    print(f"  (other 4xx or failed requests, not a check: {other_failures:,})")
    print(
        f"\nRESULT: {len(ready) / wall:.1f} responses/s; submit p50 {_common.summary_ms(record.submit)[0]:.0f} ms, "
        f"p95 {_common.summary_ms(record.submit)[1]:.0f} ms; every response stored exactly once: "
        f"{'ok' if ok else 'FAIL'}"
    )
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server to create a temporary database on (default: a SQLite file in a temporary directory)",
    )
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--double-fraction",
        type=float,
        default=0.05,
        help="share of accounts that also respond from a second session at the same moment",
    )
    parser.add_argument(
        "--double-step",
        choices=("both", "submit"),
        default="both",
        help="both: the two sessions send the review POST and the submit POST at the same "
        "moment; submit: the first session reviews alone, then both submit at once",
    )
    parser.add_argument(
        "--server",
        choices=("auto", "gunicorn", "werkzeug"),
        default="auto",
        help="auto: gunicorn when it is installed in this Python, else python wsgi.py",
    )
    parser.add_argument("--threads", type=int, default=64, help="gunicorn --threads")
    parser.add_argument("--db-dir", help="directory for the SQLite file (default: the temporary directory)")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    if args.server == "auto":
        args.server = "gunicorn" if importlib.util.find_spec("gunicorn") else "werkzeug"
    _common.quiet_werkzeug()
    ok = _common.run_on_database(run, args, postgres_url=args.database_url, prefix="submit")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
