"""Command-line tools: `flask users ...` and `flask civic ...`."""
import click
from flask.cli import AppGroup

from civic.errors import CivicError

users_cli = AppGroup("users", help="Manage people's accounts.")
civic_cli = AppGroup("civic", help="Civic maintenance: demo content, imports.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", "display_name", default=None, help="Display name for a new account.")
@click.option("--password", default=None, help="Password for a new account (default: generate and print one).")
def create_admin_command(email, display_name, password):
    """Create an administrator with EMAIL, or give an existing account the admin role."""
    from civic.accounts.services import create_admin

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
    from civic.cli.demo import database_is_empty, seed_demo

    if if_empty and not database_is_empty():
        click.echo("Demo content: the database already has accounts; nothing seeded.")
        return
    accounts = seed_demo()
    click.echo("Demo content seeded. Sign in at http://127.0.0.1:5000/sign-in with:")
    for role, email, password in accounts:
        click.echo(f"  {role:<10} {email:<32} {password}")


@civic_cli.command("tick")
def tick_command():
    """Run the periodic tasks once (tell people about consultations that closed). Run it every
    minute from cron or a systemd timer in production; the development server runs it itself."""
    from civic.tasks import run_periodic_tasks

    for line in run_periodic_tasks():
        click.echo(line)
