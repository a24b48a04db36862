"""`flask search reindex` (rebuild the index from the database, with a progress bar) and
`flask search check` (what the index lacks or has too many)."""

import click
from flask import current_app
from flask.cli import AppGroup

from civic.search.indexing import apply_outbox, backend_name, check_index, count_items, reindex

search_cli = AppGroup("search", help="The full-text search index.")
SHOWN = 20  # keys listed per kind of difference; the counts say the rest


@search_cli.command("reindex")
def reindex_command():
    """Empty the index and build it again from every searchable item in the database."""
    total = count_items()
    click.echo(f"Rebuilding the {backend_name(current_app)} search index from {total} items...")
    # The bar is drawn on a terminal; piped output gets the label and the totals only.
    with click.progressbar(length=total, label="Indexing") as bar:
        indexed = reindex(progress=bar.update)
    click.echo(f"Indexed {indexed} public items of {total}.")


@search_cli.command("check")
def check_command():
    """Report the public items missing from the index and the entries it should not have."""
    pending = apply_outbox()
    if pending:
        click.echo(f"Applied {pending} pending index changes first.")
    result = check_index()
    for label, keys in (("Missing from the index", result.missing), ("In the index but not public", result.extra)):
        click.echo(f"{label}: {len(keys)}")
        for kind, item_id in keys[:SHOWN]:
            click.echo(f"  {kind} {item_id}")
        if len(keys) > SHOWN:
            click.echo(f"  ... and {len(keys) - SHOWN} more")
    if result.in_step:
        click.echo("The search index is in step with the database.")
    else:
        click.echo("Run `flask search reindex` to rebuild it.")
        raise SystemExit(1)
