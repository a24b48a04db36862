"""`flask civic import-pabulib` and `flask civic export-pabulib`: participatory budgets in the
Pabulib format, in and out."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from civic.budgets.pabulib import PabulibError
from civic.budgets.services import interchange
from civic.budgets.services.budgets import load_budget
from civic.errors import CivicError


@click.command("import-pabulib")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_pabulib_command(file):
    """Import a Pabulib FILE (.pb) as a finished budget with its projects and anonymous ballots,
    counted under the file's rule; prints the new budget's id. A malformed file writes nothing."""
    try:
        text = Path(file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file} is not UTF-8 text ({error.reason} at byte {error.start}).") from None
    try:
        budget = interchange.import_pabulib(text)
    except PabulibError as error:
        where = f"{file}, line {error.line_number}" if error.line_number else file
        raise click.ClickException(f"{where}: {error.message}. Nothing was imported.") from None
    click.echo(budget.id)


@click.command("export-pabulib")
@click.argument("budget_id", type=int)
@click.option("--area", default=None, help="Write this area's part (default: the city-wide projects).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File to write (default: print).")
@with_appcontext
def export_pabulib_command(budget_id, area, output):
    """Write budget BUDGET_ID as a Pabulib file: its projects, votes and (once voting has closed) results."""
    try:
        text = interchange.export_pabulib(load_budget(budget_id), area)
    except PabulibError as error:
        raise click.ClickException(error.message) from None
    except CivicError as error:
        raise click.ClickException(error.message) from None
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote budget {budget_id} to {output}.", err=True)
    else:
        click.echo(text, nl=False)
