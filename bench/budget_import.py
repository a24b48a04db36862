"""A Wroclaw-sized budget through Civic: import its Pabulib file, open its results page (the rule
runs on the stored ballots, then the page is kept), export it again.

The budget is bench/budget_rules.py's synthetic one (60 projects, 56,000 approval ballots), written
as a Pabulib file; `flask civic import-pabulib` and `export-pabulib` run through Flask's CLI runner
and the results page through the test client, on a temporary database.

    .venv/bin/python bench/budget_import.py                       # SQLite
    .venv/bin/python bench/budget_import.py --rule greedy
    .venv/bin/python bench/budget_import.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

import argparse
import sys
import time
from pathlib import Path

import _common
import budget_rules


def pabulib_text(rule):
    from civic.budgets.pabulib import PabulibFile, PabulibProject, PabulibVote, write_pabulib

    budget, projects, ballots = budget_rules.wroclaw_sized()
    meta = {"description": "Wroclaw-sized", "budget": str(budget), "vote_type": "approval", "rule": rule}
    return write_pabulib(
        PabulibFile(
            meta,
            [PabulibProject(p.id, p.cost, name=f"Project {p.id}") for p in projects],
            [PabulibVote(str(n), list(ballot)) for n, ballot in enumerate(ballots)],
        )
    )


def run(args, workdir, database_uri, label):
    from civic import create_app

    path = Path(workdir) / "budget.pb"
    path.write_text(pabulib_text(args.rule), encoding="utf-8")
    config = _common.bench_config(workdir, SQLALCHEMY_DATABASE_URI=database_uri)
    _common.migrate(config)
    app = create_app(config)
    runner = app.test_cli_runner()
    print(f"database: {label}; file: {path.stat().st_size:,} bytes, rule {args.rule}")
    started = time.monotonic()
    imported = runner.invoke(args=["civic", "import-pabulib", str(path)])
    if imported.exit_code != 0:
        print(f"import failed: {imported.output}")
        return False
    budget_id = imported.output.strip()
    print(f"import-pabulib: {time.monotonic() - started:.1f} s (budget {budget_id})")
    client = app.test_client()
    for attempt in ("first view (the rule runs)", "second view (kept)"):
        started = time.monotonic()
        status = client.get(f"/budgets/{budget_id}/results").status_code
        print(f"results page, {attempt}: {time.monotonic() - started:.2f} s, HTTP {status}")
    started = time.monotonic()
    exported = runner.invoke(args=["civic", "export-pabulib", budget_id])
    print(f"export-pabulib: {time.monotonic() - started:.1f} s, {len(exported.output):,} characters")
    return exported.exit_code == 0 and status == 200


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL server for a temporary database (default: SQLite)")
    parser.add_argument("--rule", default="equalshares/add1", help="META's rule (default: equalshares/add1)")
    args = parser.parse_args()
    ok = _common.run_on_database(run, args, postgres_url=args.database_url, prefix="budget-import")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
