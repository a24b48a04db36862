"""2,000 citizens cast budget ballots through 64 concurrent clients: is every ballot stored once?

Issue 13: "2,000 ballots cast by 64 concurrent clients, every ballot stored once."

What it does:
  1. builds a throw-away database with the Alembic migrations (a temporary civic_bench_* database
     on the PostgreSQL server of --database-url, or a SQLite file), inserts --accounts verified
     citizens in bulk, and opens a budget for voting through the services (an official creates it
     with --projects feasible projects, then voting is opened by moving its date);
  2. starts a real server, `gunicorn -w 1 --threads N wsgi:app` (or `python wsgi.py`), and signs
     every citizen in, --clients at a time;
  3. voting, timed: --clients threads, each voter GET /budgets/<id>/ballot (for the CSRF token)
     then POST it with a random set of projects that fits the money. --double-fraction of the
     voters (5%) send two different ballots from two threads at the same moment (two tabs);
  4. counts rows afterwards: exactly one budget_ballot row per voter whose POST succeeded, none for
     anyone else, and each ballot's choices equal to the set that voter sent (for two tabs: one of
     the two sets, never a mixture).

Prints ballots/s, p50/p95/max of the POST, the HTTP statuses and the checks. Exit status 1 when a
check fails.

    .venv/bin/python bench/budget_voting.py                                   # SQLite
    .venv/bin/python bench/budget_voting.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

import argparse
import importlib.util
import random
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import _common
import fanout
from consultation_submit import Record, bulk_citizens, request, server_log_errors, sign_in

CSRF = fanout.CSRF
BUDGET = 1_000_000


def prepare_database(workdir, database_uri, accounts, project_count):
    """Citizens and a budget open for voting. Returns (budget id, {project id: cost}, emails, {email: id})."""
    from civic import create_app
    from civic.budgets.services import budgets, projects
    from civic.common import clock
    from civic.extensions import db

    config = _common.bench_config(workdir, SQLALCHEMY_DATABASE_URI=database_uri, RATELIMIT_ENABLED=False)
    _common.migrate(config)
    app = create_app(config)
    with app.app_context():
        official = _common.make_users(1, prefix="budgetofficial", roles=("citizen", "official"))[0]
        users = bulk_citizens(accounts, "voter")
        now = clock.now()
        budget = budgets.create_budget(
            official,
            budgets.BudgetFields(
                title="Bench budget",
                amount=str(BUDGET),
                currency="EUR",
                rule="greedy",
                ballot_kind="approval",
                within_budget=True,
                dates={"voting_starts_at": now + timedelta(days=1), "voting_ends_at": now + timedelta(days=30)},
            ),
        )
        rng = random.Random(1)
        costs = {}
        for n in range(project_count):
            fields = projects.ProjectFields(title=f"Project {n + 1}", cost=str(rng.randrange(20_000, 400_000, 1000)))
            project = projects.add_project(official, budget, fields)
            projects.assess_feasibility(official, project, "feasible", "")
            costs[project.id] = project.cost
        budget.voting_starts_at = now - timedelta(minutes=1)
        db.session.commit()
        budget_id = budget.id
        db.session.remove()
        db.engine.dispose()
    emails = sorted(users, key=lambda e: users[e])
    return budget_id, costs, emails, users


def plan_ballot(costs, rng):
    """A random set of projects that fits the money."""
    chosen, spent = [], 0
    for project_id in rng.sample(sorted(costs), k=len(costs)):
        if rng.random() < 0.35 and spent + costs[project_id] <= BUDGET:
            chosen.append(project_id)
            spent += costs[project_id]
    return chosen or [min(costs, key=costs.get)]


def cast(base, budget_id, session, email, chosen, record, barrier=None):
    """GET the ballot, POST it; returns the POST's status (or None)."""
    url = f"{base}/budgets/{budget_id}/ballot"
    page = request(record, "GET ballot", email, session.get, url)
    token = CSRF.search(page.text).group(1) if page is not None and CSRF.search(page.text) else ""
    if barrier is not None:
        try:
            barrier.wait(timeout=60)
        except threading.BrokenBarrierError:
            pass
    started = time.monotonic()
    data = {"csrf_token": token, "action": "cast", "project": [str(p) for p in chosen]}
    done = request(record, "POST ballot", email, session.post, url, data=data)
    with record.lock:
        record.submit.append(time.monotonic() - started)
    return done.status_code if done is not None else None


def check_database(workdir, database_uri, budget_id, users, sent):
    """sent: {email: [sets of project ids whose POST succeeded]}."""
    from sqlalchemy import select

    from civic import create_app
    from civic.budgets.models import Ballot, BallotChoice
    from civic.extensions import db

    app = create_app(_common.bench_config(workdir, SQLALCHEMY_DATABASE_URI=database_uri))
    with app.app_context():
        ballots = db.session.execute(select(Ballot.id, Ballot.voter_id).where(Ballot.budget_id == budget_id)).all()
        choices = {}
        for ballot_id, project_id in db.session.execute(
            select(BallotChoice.ballot_id, BallotChoice.project_id)
            .join(Ballot, Ballot.id == BallotChoice.ballot_id)
            .where(Ballot.budget_id == budget_id)
        ):
            choices.setdefault(ballot_id, set()).add(project_id)
        db.session.remove()
        db.engine.dispose()
    by_voter = {}
    for ballot_id, voter_id in ballots:
        by_voter.setdefault(voter_id, []).append(ballot_id)
    voted = {users[email]: sets for email, sets in sent.items() if sets}
    doubled = sum(1 for ids in by_voter.values() if len(ids) > 1)
    missing = sum(1 for voter in voted if voter not in by_voter)
    strangers = sum(1 for voter in by_voter if voter not in voted)
    wrong = sum(
        1
        for voter, sets in voted.items()
        if voter in by_voter and choices.get(by_voter[voter][0], set()) not in [set(s) for s in sets]
    )
    return {
        "ballot rows": len(ballots),
        "voters whose POST succeeded": len(voted),
        "voters with two or more ballots (must be 0)": doubled,
        "voters whose ballot is missing (must be 0)": missing,
        "ballots of people who did not vote (must be 0)": strangers,
        "ballots whose choices are not a set the voter sent (must be 0)": wrong,
    }


def run(args, workdir, database_uri, label):
    started = time.monotonic()
    budget_id, costs, emails, users = prepare_database(workdir, database_uri, args.accounts, args.projects)
    print(
        f"database: {label}; seeded {len(emails):,} citizens and a budget of {len(costs)} projects in "
        f"{time.monotonic() - started:.1f} s"
    )
    rng = random.Random(args.seed)
    step = max(1, round(1 / args.double_fraction)) if args.double_fraction > 0 else 0
    jobs = []
    for n, email in enumerate(emails):
        jobs.append((email, [plan_ballot(costs, rng)] + ([plan_ballot(costs, rng)] if step and n % step == 0 else [])))

    port = fanout.free_port()
    env = fanout.server_environment(workdir, database_uri, port, None, f"civic-bench-{uuid.uuid4().hex[:8]}")
    env["CIVIC_LIMIT_BALLOT"] = _common.UNLIMITED
    # A signed-in request can hold two pool connections at once (accounts' sessions note "last
    # seen" on a connection of their own, once a minute per session): with fewer connections than
    # server threads, a burst of such requests waits out CIVIC_DB_POOL_TIMEOUT (found by this
    # benchmark with the default pool of 10 + 10 and 80 threads). One more than the threads here.
    env["CIVIC_DB_POOL_SIZE"] = str(args.threads + 1)
    env["CIVIC_DB_MAX_OVERFLOW"] = "0"
    process, log = fanout.start_server(
        workdir, 0, env, sys.executable, SimpleNamespace(server=args.server, gunicorn_threads=args.threads)
    )
    base = f"http://127.0.0.1:{port}"
    log_path = Path(workdir) / "server0.log"
    record = Record()
    sent = {email: [] for email in emails}
    sent_lock = threading.Lock()
    try:
        fanout.wait_until_serving(base, process, log_path)
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            sessions = dict(zip(emails, pool.map(lambda e: sign_in(base, e, record), emails), strict=True))
        print(f"signed in {sum(1 for s in sessions.values() if s):,} voters in {time.monotonic() - t0:.1f} s")

        def vote(job):
            email, ballots = job
            session = sessions.get(email)
            if session is None:
                return
            if len(ballots) == 1:
                if cast(base, budget_id, session, email, ballots[0], record) == 302:
                    with sent_lock:
                        sent[email].append(ballots[0])
                return
            # Two tabs: the same signed-in session sends two ballots at the same moment.
            barrier = threading.Barrier(2)
            statuses = [None, None]

            def other():
                statuses[1] = cast(base, budget_id, session, email, ballots[1], record, barrier)

            helper = threading.Thread(target=other)
            helper.start()
            statuses[0] = cast(base, budget_id, session, email, ballots[0], record, barrier)
            helper.join()
            with sent_lock:
                sent[email].extend(b for b, status in zip(ballots, statuses, strict=True) if status == 302)

        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            list(pool.map(vote, jobs))
        wall = time.monotonic() - t0
    finally:
        fanout.stop_server(process)
        log.close()
    checks = check_database(workdir, database_uri, budget_id, users, sent)
    unhandled, _kinds = server_log_errors(log_path)
    posted = sum(1 for sets in sent.values() if sets)
    print(
        f"\nvoting: {len(jobs):,} voters by {args.clients} client threads in {wall:.1f} s: "
        f"{posted / wall:.1f} ballots/s "
        f"({sum(1 for _e, b in jobs if len(b) == 2)} voters sent two ballots at once from two tabs)"
    )
    median, p95, most = _common.summary_ms(record.submit)
    print(f"  POST ballot: median {median:.0f} ms, p95 {p95:.0f} ms, max {most:.0f} ms")
    print(
        "  statuses: "
        + ", ".join(f"{step} {status}: {count:,}" for (step, status), count in sorted(record.statuses.items(), key=str))
    )
    for (step, status), (account, body) in record.samples.items():
        print(f"  sample {step} {status} ({account}): {body[:200]!r}")
    failed = bool(unhandled)
    for name, value in checks.items():
        bad = "must be 0" in name and value
        failed |= bool(bad)
        print(f"  {name}: {value:,}{'  <-- FAILED' if bad else ''}")
    if checks["ballot rows"] != checks["voters whose POST succeeded"]:
        failed = True
        print("  ballot rows differ from the voters whose POST succeeded  <-- FAILED")
    if unhandled:
        print(f"  unhandled errors in the server log: {unhandled}  <-- FAILED")
    print("FAILED" if failed else "OK: every ballot stored once")
    return not failed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL server for a temporary database (default: SQLite)")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--projects", type=int, default=30)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--double-fraction", type=float, default=0.05)
    parser.add_argument("--server", choices=("auto", "gunicorn", "werkzeug"), default="auto")
    parser.add_argument("--threads", type=int, default=64, help="gunicorn --threads (and the pool: one more)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if args.server == "auto":
        args.server = "gunicorn" if importlib.util.find_spec("gunicorn") else "werkzeug"
    _common.quiet_werkzeug()
    ok = _common.run_on_database(run, args, postgres_url=args.database_url, prefix="budget-voting")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
