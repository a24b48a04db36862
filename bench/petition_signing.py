"""64 people keep signing one petition for 30 s: is every signature counted exactly once?

Issue 5: "Sustained signing (request + confirm) with 64 concurrent clients against one petition on
PostgreSQL for 30 s: report confirmed signatures per second, p95 latency, and prove zero lost or
duplicated signatures by counting rows afterwards."

What it does:
  1. builds a throw-away database with the Alembic migrations (a temporary civic_bench_* database
     on the PostgreSQL server of --database-url, or with --database sqlite a SQLite file), and
     opens one petition through the services (create_petition by a citizen, approve_petition by
     a moderator; no sponsors needed in the seeding app). The creator's own signature counts 1;
  2. starts a real server process, `gunicorn -w 1 --threads N wsgi:app` (N = --clients + 16), as
     bench/consultation_submit.py does, with rate limits off (CIVIC_RATELIMIT_ENABLED=0) and mail
     going to the development outbox (a folder of .eml files);
  3. a "postman" thread reads the outbox as the server writes it: each message is parsed, deleted,
     and handed to the person it was sent to (by its To: address);
  4. signing, timed: --clients client threads loop for --duration seconds. Each round is one
     person signing in a fresh requests session: GET /petitions/<id> (for the CSRF token), POST
     /petitions/<id>/sign with name, email, area, consent, then wait for the email and GET the
     confirmation link found in it (the client computes nothing itself). --repeat-fraction of the
     rounds (15%) sign again for someone who already signed, half of them among the last --recent
     people (likely still in flight, so the same mailbox races), spelled differently: upper case,
     surrounding spaces, a +tag, dots or googlemail.com for Gmail. Such a round gets either the
     link again (not confirmed yet) or the "you have already signed" email (no link to follow);
  5. after the last round, counts rows: petition_signature rows of the petition, confirmed and
     pending, one per mailbox; petition.signature_count; and compares them with the people the
     clients confirmed (each person is one mailbox by construction, whatever the spelling).

Prints requests/s, confirmed signatures/s, p50/p95/max of the sign POST, the confirmation GET and
the page GET, the HTTP statuses per step, the mail counts and the checks. Exit status 1 when a check
fails (a lost or doubled signature, a count that differs from the rows, an HTTP 500...).

    .venv/bin/python bench/petition_signing.py                       # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python bench/petition_signing.py --database sqlite
"""

import argparse
import email
import email.policy
import importlib.util
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from pathlib import Path
from types import SimpleNamespace

import _common
import fanout
from consultation_submit import cpu_seconds, new_session, server_log_errors

CSRF = fanout.CSRF
CONFIRM_LINK = re.compile(r"https?://[^\s<>\"]+/petitions/\d+/signatures/[^\s<>\"/]+/confirm")
WITHDRAW_LINK = re.compile(r"https?://[^\s<>\"]+/petitions/\d+/signatures/[^\s<>\"/]+/withdraw")
DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DOMAINS = ("example.org", "gmail.com", "outlook.com", "example.net")
PLUS_TAG_DOMAINS = ("gmail.com", "outlook.com")  # providers that deliver name+tag@ to name@
CREATOR_EMAIL = "petitioncreator0@example.org"
STEPS = ("GET petition", "POST sign", "GET confirm")


# --- setup ---------------------------------------------------------------------------------


def prepare_database(workdir, database_uri):
    """An open petition, through the services. Returns (petition id, areas)."""
    from civic import create_app
    from civic.extensions import db
    from civic.petitions.services import lifecycle, moderation, queries

    config = _common.bench_config(
        workdir, SQLALCHEMY_DATABASE_URI=database_uri, CIVIC_PETITION_SPONSORS=0, RATELIMIT_ENABLED=False
    )
    _common.migrate(config)
    app = create_app(config)
    app.extensions["civic_mail"].echo = False  # the creator's emails, of no interest here
    with app.app_context():
        creator = _common.make_users(1, prefix="petitioncreator")[0]
        moderator = _common.make_users(1, prefix="petitionmoderator", roles=("citizen", "moderator"))[0]
        petition = lifecycle.create_petition(
            creator,
            lifecycle.PetitionFields(
                title="Plant more trees on Riverside Avenue",
                background="The avenue has lost 40 trees in ten years and is the hottest street in summer.",
                topic="Environment",
                area="Riverside",
            ),
        )
        moderation.approve_petition(moderator, petition)
        assert petition.current_state.value == "open", petition.state
        petition_id, areas = petition.id, list(queries.areas())
        db.session.remove()
        db.engine.dispose()
    return petition_id, areas


def start_server(workdir, env, args):
    """gunicorn as wsgi.py's docstring runs it (or `python wsgi.py`); output in server0.log."""
    log = open(Path(workdir) / "server0.log", "wb")
    if args.server == "gunicorn":
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(args.workers),
            "--threads",
            str(args.threads),
            "-b",
            f"{env['CIVIC_HOST']}:{env['CIVIC_PORT']}",
            "wsgi:app",
        ]
    else:
        command = [sys.executable, str(_common.PROJECT_ROOT / "wsgi.py")]
    process = subprocess.Popen(
        command, cwd=str(_common.PROJECT_ROOT), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    return process, log


# --- the people who sign -------------------------------------------------------------------


def spellings(person):
    """[(kind, address)] for one mailbox: different spellings that all reach the same person."""
    local, domain = f"signer{person:06d}", DOMAINS[person % len(DOMAINS)]
    found = [
        ("exact", f"{local}@{domain}"),
        ("upper case", f"{local}@{domain}".upper()),
        ("spaces", f"  {local}@{domain} "),
        ("mixed case", f"{local.capitalize()}@{domain.upper()}"),
    ]
    if domain in PLUS_TAG_DOMAINS:
        found.append(("+tag", f"{local}+petition{person % 7}@{domain}"))
    if domain == "gmail.com":
        found += [
            ("dots", f"{local[:3]}.{local[3:6]}.{local[6:]}@gmail.com"),
            ("googlemail.com", f"{local}@googlemail.com"),
        ]
    return found


class People:
    """Hands out who signs next: a new person, or (--repeat-fraction) someone who signed before,
    spelled another way. Every spelling is registered so that the postman can route mail."""

    def __init__(self, repeat_fraction, recent):
        self.lock = threading.Lock()
        self.repeat_fraction, self.recent = repeat_fraction, recent
        self.by_address = {}  # address as the server writes it (trimmed, lower case) -> person
        self.started = []
        self.confirmed = set()  # people a client saw confirmed (counted now or already)
        self.kinds = Counter()

    def _register(self, person):
        for _kind, address in spellings(person):
            self.by_address[address.strip().lower()] = person

    def pick(self, rng):
        with self.lock:
            if self.started and rng.random() < self.repeat_fraction:
                pool = self.started[-self.recent :] if rng.random() < 0.5 else self.started
                person = rng.choice(pool)
                kind, address = rng.choice(spellings(person))
                self.kinds[
                    "repeat: "
                    + ("of a confirmed signer" if person in self.confirmed else "of a signer not confirmed yet")
                ] += 1
                self.kinds["repeat spelled: " + kind] += 1
            else:
                person = len(self.started)
                self.started.append(person)
                self._register(person)
                kind, address = (
                    ("exact", spellings(person)[0][1]) if rng.random() > 0.1 else rng.choice(spellings(person)[1:])
                )
                self.kinds["new signer"] += 1
            return person, address, kind

    def person_of(self, address):
        with self.lock:
            return self.by_address.get((address or "").strip().lower())


# --- mail ----------------------------------------------------------------------------------


class Postman(threading.Thread):
    """Reads the server's outbox as it is written: parses each .eml, deletes it (so the folder
    stays small), and keeps the mail for its person until a client takes it."""

    def __init__(self, directory, people):
        super().__init__(daemon=True, name="postman")
        self.directory = Path(directory)
        self.people = people
        self.cond = threading.Condition()
        self.boxes = defaultdict(deque)
        self.stopping = threading.Event()
        self.kinds = Counter()
        self.unrouted = []
        self.broken = 0
        self._first_seen = {}

    def run(self):
        while not self.stopping.is_set():
            try:
                names = sorted(entry.name for entry in os.scandir(self.directory) if entry.name.endswith(".eml"))
            except FileNotFoundError:
                names = []
            for name in names:
                self._read(name)
            if not names:
                time.sleep(0.003)

    def _read(self, name):
        path = self.directory / name
        try:
            data = path.read_bytes()
            message = email.message_from_bytes(data, policy=email.policy.default)
            body = message.get_body(("plain",))
            text = body.get_content() if body is not None else ""
        except Exception:  # noqa: BLE001 - being written right now: look again next time
            data, text, message = b"", "", None
        confirm, withdraw = CONFIRM_LINK.search(text), WITHDRAW_LINK.search(text)
        if message is None or not message["To"] or not (confirm or withdraw):
            first = self._first_seen.setdefault(name, time.monotonic())
            if time.monotonic() - first > 5:  # not a file being written: a message we cannot use
                self.broken += 1
                path.unlink(missing_ok=True)
            return
        path.unlink(missing_ok=True)
        self._first_seen.pop(name, None)
        kind = "confirmation" if confirm else "already signed"
        person = self.people.person_of(message["To"])
        self.kinds[kind] += 1
        if person is None:
            self.unrouted.append(message["To"])
            return
        mail = SimpleNamespace(kind=kind, link=confirm.group(0) if confirm else None, arrived=time.monotonic())
        with self.cond:
            self.boxes[person].append(mail)
            self.cond.notify_all()

    def take(self, person, timeout):
        with self.cond:
            if not self.cond.wait_for(lambda: self.boxes[person], timeout=timeout):
                return None
            return self.boxes[person].popleft()

    def left_over(self):
        with self.cond:
            return sum(len(box) for box in self.boxes.values())


# --- the clients ---------------------------------------------------------------------------


class Record:
    """Statuses, timings and what the clients saw, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = Counter()  # (step, status) -> count
        self.samples = {}  # (step, status) -> (address, a bit of the body), unexpected ones only
        self.times = defaultdict(list)  # step -> seconds
        self.mail_delay = []
        self.signed = set()  # people whose sign POST was accepted (302 to "check your email")
        self.counted_now = Counter()  # person -> confirmation pages saying "is confirmed" (counted now)
        self.already_confirmed = Counter()  # person -> pages saying "was confirmed already"
        self.outcomes = Counter()
        self.confirm_started = {}  # person -> when a client first sent the GET of their link
        self.already_mails = []  # (person, when the "already signed" email was read)
        self.requests = 0
        self.rounds = 0

    def status(self, step, status, address="", body=""):
        with self.lock:
            self.statuses[(step, status)] += 1
            if status not in (200, 302) and (step, status) not in self.samples:
                self.samples[(step, status)] = (address, body[:300])


def request(record, step, address, call, *args, **kwargs):
    import requests

    started = time.monotonic()
    try:
        response = call(*args, timeout=120, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        record.status(step, type(exc).__name__, address, str(exc))
        return None
    elapsed = time.monotonic() - started
    with record.lock:
        record.requests += 1
        record.times[step].append(elapsed)
    record.status(step, response.status_code, address, response.text if response.status_code != 200 else "")
    return response


def sign_once(base, petition_id, person, address, areas, rng, record, postman, mail_timeout, people):
    """One round: the petition page, the signing form, the email, the link in it."""
    session = new_session()
    url = f"{base}/petitions/{petition_id}"
    try:
        started = time.monotonic()
        page = request(record, "GET petition", address, session.get, url)
        match = CSRF.search(page.text) if page is not None else None
        if match is None:
            record.status("GET petition", "no CSRF token", address, page.text if page is not None else "")
            return
        form = {
            "csrf_token": match.group(1),
            "sponsor_token": "",
            "name": f"Signer {person}",
            "email": address,
            "area": rng.choice(areas),
            "consent": "y",
        }
        if rng.random() < 0.3:
            form["notify"] = "y"
        signed = request(record, "POST sign", address, session.post, url + "/sign", data=form)
        if signed is None or signed.status_code != 302:
            return
        where = signed.headers.get("Location", "")
        if "status=check_email" not in where:
            record.status("POST sign", f"302 to {where}", address)
            return
        answered = time.monotonic()
        with record.lock:
            record.signed.add(person)
        mail = postman.take(person, mail_timeout)
        if mail is None:
            with record.lock:
                record.outcomes["no email within the timeout"] += 1
            return
        with record.lock:
            record.mail_delay.append(max(0.0, mail.arrived - answered))
        if mail.kind == "already signed":
            with record.lock:
                record.outcomes["'you have already signed' email (no link to follow)"] += 1
                record.already_mails.append((person, mail.arrived))
            return
        with record.lock:
            record.confirm_started.setdefault(person, time.monotonic())
        confirmed = request(record, "GET confirm", address, session.get, mail.link)
        if confirmed is None or confirmed.status_code != 200:
            with record.lock:
                record.outcomes["confirmation link refused"] += 1
            return
        text = confirmed.text
        with record.lock:
            if "Your signature is confirmed" in text:
                record.counted_now[person] += 1
                record.outcomes["confirmation page: counted now"] += 1
            elif "Your signature was confirmed already" in text:
                record.already_confirmed[person] += 1
                record.outcomes["confirmation page: confirmed already"] += 1
            else:
                record.outcomes["confirmation page: something else"] += 1
                record.samples.setdefault(("GET confirm", "unexpected page"), (address, text[:300]))
                return
            record.times["round"].append(time.monotonic() - started)
        with people.lock:
            people.confirmed.add(person)
    finally:
        session.close()
        with record.lock:
            record.rounds += 1


def run_clients(args, base, petition_id, areas, people, postman, record):
    """--clients threads sign until --duration is over; a round under way is finished. Returns
    (time until the deadline, time until the last round ended)."""
    gate = threading.Barrier(args.clients + 1)
    deadline = {}

    def client(n):
        rng = random.Random(args.seed * 1000 + n)
        gate.wait()
        while time.monotonic() < deadline["at"]:
            person, address, _kind = people.pick(rng)
            sign_once(base, petition_id, person, address, areas, rng, record, postman, args.mail_timeout, people)

    threads = [threading.Thread(target=client, args=(n,), name=f"client-{n}") for n in range(args.clients)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    deadline["at"] = started + args.duration
    gate.wait()
    for thread in threads:
        thread.join()
    return args.duration, time.monotonic() - started


# --- checks --------------------------------------------------------------------------------


def count_rows(workdir, database_uri, petition_id, people, args):
    from sqlalchemy import func, select

    from civic import create_app
    from civic.extensions import db
    from civic.petitions.models import Petition, Signature

    app = create_app(_common.bench_config(workdir, SQLALCHEMY_DATABASE_URI=database_uri))
    with app.app_context():
        rows = db.session.execute(
            select(Signature.email, Signature.email_key, Signature.validated_at, Signature.invalidated_at).where(
                Signature.petition_id == petition_id
            )
        ).all()
        petition = db.session.get(Petition, petition_id)
        counted = db.session.scalar(
            select(func.count())
            .select_from(Signature)
            .where(
                Signature.petition_id == petition_id,
                Signature.validated_at.isnot(None),
                Signature.invalidated_at.is_(None),
            )
        )
        facts = SimpleNamespace(
            signature_count=petition.signature_count,
            counted=counted,
            response_reached=petition.response_threshold_reached_at is not None,
            debate_reached=petition.debate_threshold_reached_at is not None,
            response_threshold=args.response_threshold,
            debate_threshold=args.debate_threshold,
        )
        db.session.remove()
        db.engine.dispose()
    facts.rows = len(rows)
    facts.keys = len({row.email_key for row in rows})
    facts.validated = sum(1 for row in rows if row.validated_at is not None and row.invalidated_at is None)
    facts.pending = sum(1 for row in rows if row.validated_at is None)
    facts.rows_per_person = Counter()
    facts.validated_people = set()
    facts.unknown = 0
    for row in rows:
        if row.email == CREATOR_EMAIL:
            continue
        person = people.person_of(row.email)
        if person is None:
            facts.unknown += 1
            continue
        facts.rows_per_person[person] += 1
        if row.validated_at is not None and row.invalidated_at is None:
            facts.validated_people.add(person)
    return facts


# --- the coordinator -----------------------------------------------------------------------


def fmt(values):
    if not values:
        return "(none)"
    median, p95, top = _common.summary_ms(values)
    return f"p50 {median:7.1f} ms   p95 {p95:7.1f} ms   max {top:7.1f} ms   (n={len(values):,})"


def run(args, workdir, database_uri, label):
    started = time.monotonic()
    petition_id, areas = prepare_database(workdir, database_uri)
    print(
        f"database: {label}; petition {petition_id} open (its creator's signature counts 1), "
        f"set up in {time.monotonic() - started:.1f} s"
    )

    port = fanout.free_port()
    env = fanout.server_environment(workdir, database_uri, port, None, f"civic-bench-{uuid.uuid4().hex[:8]}")
    env.update(
        {
            "CIVIC_RATELIMIT_ENABLED": "0",
            "CIVIC_PETITION_RESPONSE_THRESHOLD": str(args.response_threshold),
            "CIVIC_PETITION_DEBATE_THRESHOLD": str(args.debate_threshold),
        }
    )
    env.pop("MAIL_SERVER", None)  # the outbox, whatever this shell says
    process, log = start_server(workdir, env, args)
    base = f"http://127.0.0.1:{port}"
    log_path = Path(workdir) / "server0.log"
    outbox = Path(workdir) / "instance" / "outbox"
    people = People(args.repeat_fraction, args.recent)
    postman = Postman(outbox, people)
    record = Record()
    try:
        fanout.wait_until_serving(base, process, log_path)
        kind = (
            f"gunicorn -w {args.workers} --threads {args.threads} wsgi:app"
            if args.server == "gunicorn"
            else "python wsgi.py (Werkzeug development server)"
        )
        print(
            f"server: {kind} at {base}; rate limits off; mail to the outbox folder, read by the bench as it is written"
        )
        postman.start()
        server_pids = fanout.process_tree(process.pid)
        watch = _common.CpuWatch([os.getpid()] + server_pids)
        cpu_before = cpu_seconds(server_pids), cpu_seconds([os.getpid()])
        window, wall = run_clients(args, base, petition_id, areas, people, postman, record)
        cpu = watch.report()
        server_cpu = cpu_seconds(fanout.process_tree(process.pid)) - cpu_before[0]
        client_cpu = cpu_seconds([os.getpid()]) - cpu_before[1]
        time.sleep(0.5)  # anything still on its way to the outbox
    finally:
        postman.stopping.set()
        fanout.stop_server(process)
        log.close()
    postman.join(timeout=5)
    facts = count_rows(workdir, database_uri, petition_id, people, args)
    unhandled, kinds = server_log_errors(log_path)

    counted_now = sum(record.counted_now.values())
    confirmed_people = set(record.counted_now) | set(record.already_confirmed)
    signed_ok = record.statuses.get(("POST sign", 302), 0)
    print(
        f"\nsigning: {args.clients} clients for {window:.0f} s; the rounds under way then took "
        f"{wall - window:.1f} s more to finish ({wall:.1f} s in all)"
    )
    print(
        f"  {record.rounds:,} rounds ("
        + ", ".join(f"{k}: {c:,}" for k, c in sorted(people.kinds.items()) if not k.startswith("repeat spelled"))
        + ")"
    )
    print(
        "  repeats spelled as: "
        + ", ".join(
            f"{k[len('repeat spelled: ') :]} {c:,}"
            for k, c in sorted(people.kinds.items())
            if k.startswith("repeat spelled")
        )
    )
    print(f"  {record.requests:,} HTTP requests: {record.requests / wall:.1f} requests/s")
    print(
        f"  confirmed signatures (pages saying 'Your signature is confirmed'): {counted_now:,}: "
        f"{counted_now / wall:.1f} confirmed signatures/s"
    )
    print(f"  POST sign:          {fmt(record.times['POST sign'])}")
    print(f"  GET confirm link:   {fmt(record.times['GET confirm'])}")
    print(f"  GET petition page:  {fmt(record.times['GET petition'])}")
    print(f"  whole round (GET page, POST sign, email, GET link): {fmt(record.times['round'])}")
    print(f"  email: from the sign response until the bench had read it: {fmt(record.mail_delay)}")
    print("  what the rounds ended with:")
    for outcome, c in sorted(record.outcomes.items(), key=lambda item: -item[1]):
        print(f"    {c:7,}  {outcome}")
    # Only a confirmed signature gets "you have already signed" in the normal way; one written
    # before anyone had even opened that person's link comes from two requests for a new mailbox
    # at the same moment (the second one's insert fails on the unique key).
    premature = sum(1 for person, at in record.already_mails if at < record.confirm_started.get(person, float("inf")))
    print(f"  'already signed' emails sent before anyone had opened that person's link: {premature:,}")
    print("  HTTP statuses per step:")
    for step in STEPS:
        found = {status: c for (s, status), c in record.statuses.items() if s == step}
        print(f"    {step:14} " + ", ".join(f"{status}: {c:,}" for status, c in sorted(found.items(), key=str)))
    for (step, status), (address, body) in sorted(record.samples.items(), key=str):
        text = " ".join(re.sub(r"<[^>]+>", " ", body).split())[:200]
        print(f"  first {status} on {step} ({address.strip()}): {text}")
    print(
        "  mail read: "
        + ", ".join(f"{k} {c:,}" for k, c in sorted(postman.kinds.items()))
        + f"; not for a known signer {len(postman.unrouted)}; unreadable {postman.broken}; "
        f"never taken {postman.left_over()}"
    )
    print(cpu + " (while signing)")
    print(
        f"  of which the server process(es) {server_cpu / wall:.2f} cores (one gunicorn worker is one GIL), "
        f"the bench's clients and postman {client_cpu / wall:.2f} cores"
    )
    print(f"  server log: {unhandled} unhandled errors" + ("; exception lines:" if kinds else ""))
    for line, c in kinds.most_common(8):
        print(f"    {c:5} x {line}")

    print(
        f"\nrows afterwards: {facts.rows:,} petition_signature rows for the petition ({facts.validated:,} counted, "
        f"{facts.pending:,} never confirmed), {facts.keys:,} distinct mailbox keys; "
        f"petition.signature_count {facts.signature_count:,}"
    )
    http_500 = sum(c for (_step, status), c in record.statuses.items() if status == 500)
    failed = sum(
        c
        for (_step, status), c in record.statuses.items()
        if not isinstance(status, int) or (status >= 400 and status != 500)
    )
    doubled = sum(1 for c in record.counted_now.values() if c > 1)
    split = sum(1 for c in facts.rows_per_person.values() if c > 1)
    lost_rows = sum(1 for person in record.signed if facts.rows_per_person[person] == 0)
    lost_confirmed = len(confirmed_people - facts.validated_people)
    unexplained = len(facts.validated_people - confirmed_people)
    threshold_ok = facts.response_reached == (facts.counted >= facts.response_threshold) and facts.debate_reached == (
        facts.counted >= facts.debate_threshold
    )
    results = [
        ("counted rows (confirmed, not invalidated)", facts.validated, 1 + len(confirmed_people)),
        ("petition.signature_count", facts.signature_count, facts.validated),
        ("'counted now' confirmation pages, plus the creator", 1 + counted_now, facts.validated),
        ("people shown 'counted now' more than once", doubled, 0),
        ("rows with the same mailbox key (duplicates)", facts.rows - facts.keys, 0),
        ("people with more than one row (any spelling)", split, 0),
        ("rows of nobody the clients signed as", facts.unknown, 0),
        ("accepted signers without a row (lost)", lost_rows, 0),
        ("people confirmed by a client but not counted (lost)", lost_confirmed, 0),
        ("people counted that no client confirmed", unexplained, 0),
        ("thresholds stamped exactly when reached (1 = yes)", int(threshold_ok), 1),
        ("emails, one per accepted signing", sum(postman.kinds.values()), signed_ok),
        (
            "emails to an unknown address, unreadable, or never taken",
            len(postman.unrouted) + postman.broken + postman.left_over(),
            0,
        ),
        ("HTTP 500 responses", http_500, 0),
        ("unhandled errors in the server log", unhandled, 0),
    ]
    print("\nchecks:")
    ok = True
    for name, value, want in results:
        good = value == want
        ok &= good
        print(f"  {name + ':':58} {value:>7,} (expected {want:,})  {'ok' if good else 'FAIL'}")
    print(
        f"  (other 4xx or failed requests, not a check: {failed:,}; signatures left unconfirmed: "
        f"{facts.pending:,}; response threshold {facts.response_threshold:,} "
        f"{'reached' if facts.response_reached else 'not reached'}, debate threshold {facts.debate_threshold:,} "
        f"{'reached' if facts.debate_reached else 'not reached'})"
    )
    sign_p95 = _common.summary_ms(record.times["POST sign"])[1] if record.times["POST sign"] else 0
    confirm_p95 = _common.summary_ms(record.times["GET confirm"])[1] if record.times["GET confirm"] else 0
    print(
        f"\nRESULT: {counted_now / wall:.1f} confirmed signatures/s, {record.requests / wall:.1f} requests/s; "
        f"p95 sign {sign_p95:.0f} ms, confirm {confirm_p95:.0f} ms; zero lost or duplicated signatures: "
        f"{'ok' if ok else 'FAIL'}"
    )
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_SERVER_URL,
        help="PostgreSQL server to create the temporary database on (its own database is not touched)",
    )
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--db-dir", help="directory for the SQLite file (default: the temporary directory)")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of signing")
    parser.add_argument(
        "--repeat-fraction",
        type=float,
        default=0.15,
        help="share of rounds that sign again for someone who signed before, spelled differently",
    )
    parser.add_argument(
        "--recent",
        type=int,
        default=64,
        help="half of the repeats are among the last N people (likely still in flight)",
    )
    parser.add_argument("--mail-timeout", type=float, default=30.0)
    parser.add_argument(
        "--response-threshold",
        type=int,
        default=1000,
        help="low enough to be crossed during the run, so that its stamp is checked too",
    )
    parser.add_argument("--debate-threshold", type=int, default=100_000)
    parser.add_argument("--server", choices=("auto", "gunicorn", "werkzeug"), default="auto")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn -w")
    parser.add_argument("--threads", type=int, help="gunicorn --threads (default: --clients + 16)")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    if args.server == "auto":
        args.server = "gunicorn" if importlib.util.find_spec("gunicorn") else "werkzeug"
    args.threads = args.threads or args.clients + 16
    _common.quiet_werkzeug()
    ok = _common.run_on_database(
        run, args, postgres_url=args.database_url if args.database == "postgresql" else None, prefix="petition"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
