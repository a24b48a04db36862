"""Command-line tools: `flask users ...` and `flask civic ...`."""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from civic.accounts.models import User, UserRole
from civic.accounts.services.roles import create_admin
from civic.cli.audit import verify_audit_command
from civic.cli.budgets import export_pabulib_command, import_pabulib_command
from civic.cli.demo import database_is_empty, demo_accounts, seed_demo
from civic.consultations.services.statements import import_polis
from civic.errors import CivicError
from civic.extensions import db
from civic.proposals.services.consul import import_consul_proposals
from civic.tasks import run_periodic_tasks

users_cli = AppGroup("users", help="Manage people's accounts.")
civic_cli = AppGroup("civic", help="Civic maintenance: demo content, imports.")
civic_cli.add_command(import_pabulib_command)
civic_cli.add_command(export_pabulib_command)
civic_cli.add_command(verify_audit_command)


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", "display_name", default=None, help="Display name for a new account.")
@click.option("--password", default=None, help="Password for a new account (default: generate and print one).")
def create_admin_command(email, display_name, password):
    """Create an administrator with EMAIL, or give an existing account the admin role."""
    try:
        user, created, generated = create_admin(email, password=password, display_name=display_name)
    except CivicError as error:
        raise click.ClickException(error.message) from error
    if created:
        click.echo(f"Created administrator {user.email} (id {user.id}).")
        if generated:
            click.echo(f"Password: {generated}   (change it after signing in)")
    else:
        click.echo(f"{user.email} (id {user.id}) is now an administrator.")


@civic_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
def seed_demo_command(if_empty):
    """Fill the database with the project's demo content and print the demo sign-in details."""
    sign_in = f"{current_app.config['CIVIC_BASE_URL']}/sign-in"
    if if_empty and not database_is_empty():
        accounts = demo_accounts()
        click.echo("Demo content: the database already has accounts; nothing seeded.")
        if accounts:
            click.echo(f"The demo accounts are still there. Sign in at {sign_in} with:")
    else:
        click.echo(
            "Seeding the demo content (people, discussions, a consultation with its residents' "
            "responses, petitions, participatory budgets): about half a minute..."
        )
        accounts = seed_demo()
        click.echo(f"Demo content seeded. Sign in at {sign_in} with:")
    for role, email, password in accounts:
        click.echo(f"  {role:<10} {email:<32} {password}")
    if accounts and current_app.config["CIVIC_REQUIRE_STAFF_2FA"]:
        click.echo("Staff accounts set up two-factor sign-in the first time they sign in.")


@civic_cli.command("tick")
def tick_command():
    """Run the periodic tasks once (tell people about consultations that closed). Run it every
    minute from cron or a systemd timer in production; the development server runs it itself."""
    for line in run_periodic_tasks():
        click.echo(line)


@civic_cli.command("import-polis")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--as", "admin_email", default=None, help="Email of the official or admin recorded as importer.")
def import_polis_command(folder, admin_email):
    """Import a Pol.is export FOLDER (comments.csv, votes.csv or participants-votes.csv, summary.csv)
    as a closed consultation with its statements and votes."""
    query = select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role.in_(("admin", "official")))
    if admin_email:
        query = query.where(User.email_normalized == admin_email.strip().lower())
    actor = db.session.scalar(query.order_by(User.id).limit(1))
    if actor is None:
        raise click.ClickException(
            "No official or admin account to record the import (create one with `flask users create-admin`)."
        )
    try:
        consultation, statements, votes = import_polis(actor, folder)
    except CivicError as error:
        raise click.ClickException(error.message) from error
    click.echo(
        f"Imported “{consultation.title}” as consultation {consultation.id}: {statements} statements, {votes} votes."
    )


@civic_cli.command("import-consul-proposals")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", default="Decide Madrid", show_default=True, help="Shown as the proposals' author.")
def import_consul_proposals_command(path, source):
    """Import a CONSUL proposals CSV (id;title;description;cached_votes_up;created_at;retired_at).
    Supports are kept as an imported figure; rows that probe the site are reported and left out."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as lines:
            report = import_consul_proposals(lines, source=source)
    except (CivicError, UnicodeDecodeError) as error:
        raise click.ClickException(getattr(error, "message", None) or f"not UTF-8 text: {error}") from error
    states = ", ".join(f"{state} {n}" for state, n in sorted(report.by_state.items()))
    click.echo(f"Imported {report.imported} proposals ({states or 'none'}); {report.already} were imported before.")
    click.echo(f"Left out {len(report.probes)} rows that look like probes or spam:")
    for line, consul_id, title, reason in report.probes:
        click.echo(f"  line {line}: id {consul_id} “{title[:60]}”: {reason}")
    click.echo(f"{len(report.repeated_titles)} rows repeat an earlier title (imported; officials may merge them).")
