"""`flask civic verify-audit`: check the audit log's hash chain."""

import sys

import click
from flask.cli import with_appcontext

from civic.audit.chain import verify_chain
from civic.extensions import db


@click.command("verify-audit")
@with_appcontext
def verify_audit_command():
    """Walk the audit log's hash chain from the first entry to the last. Prints "N entries, chain
    intact" and the last entry's hash (keep it somewhere else: an entry deleted from the end, or a
    chain recomputed from the start, is only seen against a hash kept outside the database), or the
    first broken entry's id and why, with exit status 1."""
    verdict = verify_chain(db.session)
    db.session.rollback()
    if verdict.intact:
        click.echo(f"{verdict.count} entries, chain intact. Last hash: {verdict.head_hash}")
        return
    click.echo(
        f"Audit chain broken at entry id {verdict.broken_id} (after {verdict.count} intact entries): "
        f"{verdict.explanation}.",
        err=True,
    )
    sys.exit(1)
