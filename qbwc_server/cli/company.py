"""`qbwc-server company …`: create, list, show, change, pause and resume companies."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from qbwc_server import companies, passwords, status
from qbwc_server.errors import QbwcError


class UsageProblem(QbwcError):
    """Raised when a command cannot go on without something only the person at the terminal can give."""


@click.group("company")
def company_group() -> None:
    """Manage companies and their Web Connector users."""


def stdin_is_interactive() -> bool:
    """Tell whether a person can be prompted (kept separate so tests can pretend)."""
    return sys.stdin.isatty()


def read_password(from_stdin: bool) -> str:
    """Read a person's password from standard input's first line, or prompt twice in a terminal."""
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not stdin_is_interactive():
        raise UsageProblem("no terminal to ask in: pass --password-stdin and pipe the password in")
    return click.prompt("Web Connector password", hide_input=True, confirmation_prompt=True)


def _password_options(command):
    command = click.option(
        "--choose-password", is_flag=True, help="Type a password of your own at a prompt instead of a generated one."
    )(command)
    return click.option("--password-stdin", is_flag=True, help="Read a password of your own from standard input.")(
        command
    )


def _new_password(password_stdin: bool, choose_password: bool) -> tuple[str, bool]:
    """Return the password and whether the server generated it (the default: nothing to guess, fast to check)."""
    if password_stdin or choose_password:
        return read_password(password_stdin), False
    return passwords.generate_password(), True


def _show_generated(password: str) -> None:
    click.echo(f"Web Connector password: {password}")
    click.echo("  Type it into the Web Connector when it asks. It is shown only this once and not stored;")
    click.echo("  a new one: qbwc-server company password SLUG")


@company_group.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="The company's display name.")
@click.option("--qbwc-user", "qbwc_user", required=True, help="The user name typed into the Web Connector.")
@_password_options
@click.pass_obj
def add(obj, slug: str, name: str, qbwc_user: str, password_stdin: bool, choose_password: bool) -> None:
    """Create a company with its Web Connector user (OwnerID and FileID are generated once).

    The Web Connector password is generated and printed once, unless you give your own.
    """
    password, generated = _new_password(password_stdin, choose_password)
    runtime = obj.runtime
    with runtime.transaction() as db:
        company = companies.create_company(
            db, slug, name, qbwc_user, password, schema_dir=runtime.settings.qbxml_schema_dir, generated=generated
        )
        slug = company.slug
    click.echo(f"Created company {slug}. Next: qbwc-server qwc {slug} --url https://YOUR-HOST/qbwc -o {slug}.qwc")
    if generated:
        _show_generated(password)


@company_group.command("password")
@click.argument("slug")
@_password_options
@click.pass_obj
def password_(obj, slug: str, password_stdin: bool, choose_password: bool) -> None:
    """Give the company's Web Connector user a new password (generated and printed once, unless you give one)."""
    password, generated = _new_password(password_stdin, choose_password)
    with obj.runtime.transaction() as db:
        companies.set_password(db, slug, password, generated=generated)
    click.echo(f"Changed the Web Connector password of {slug}; the Web Connector asks for it at its next update.")
    if generated:
        _show_generated(password)


@company_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_(obj, as_json: bool) -> None:
    """List the companies."""
    with obj.runtime.transaction() as db:
        rows = [_with_status(db, c) for c in companies.list_companies(db)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No companies yet. Create one with: qbwc-server company add SLUG --name NAME --qbwc-user USER")
        return
    for row in rows:
        seen = row["last_checkin_at"] or "never"
        label = row["status"]["label"]
        click.echo(f"{row['slug']:<20} {row['name']:<30} user={row['qbwc_user']:<16} {label:<16} last check-in: {seen}")
        if row["status"]["checks"]:
            click.echo(f"  {row['status']['explanation']}")
            for check in row["status"]["checks"]:
                click.echo(f"  - {check}")


def _with_status(db, company) -> dict[str, Any]:
    """Describe a company with its connection status, as the page shows it."""
    found = status.company_status(db, company)
    return {
        **companies.describe(company),
        "status": {
            "state": found.state,
            "label": found.label,
            "explanation": found.explanation,
            "checks": found.checks,
            "last_good_session_at": found.as_dict()["last_good_session_at"],
        },
    }


@company_group.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(obj, slug: str, as_json: bool) -> None:
    """Show one company's details and settings (never its password)."""
    with obj.runtime.transaction() as db:
        data = companies.describe(companies.get_company(db, slug))
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        if isinstance(value, dict):
            click.echo(f"{key}:")
            for sub, subvalue in value.items():
                click.echo(f"  {sub}: {_plain(subvalue)}")
        else:
            click.echo(f"{key}: {_plain(value)}")


@company_group.command("set")
@click.argument("slug")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.pass_obj
def set_(obj, slug: str, assignments: tuple[str, ...]) -> None:
    """Change columns (name, company_file, run_every_minutes, qbxml_version_cap) or sync settings."""
    runtime = obj.runtime
    changes = companies.parse_assignments(assignments)
    with runtime.transaction() as db:
        companies.update_company(db, slug, changes, schema_dir=runtime.settings.qbxml_schema_dir)
    click.echo(f"Updated {slug}: {', '.join(sorted(changes))}.")


@company_group.command("pause")
@click.argument("slug")
@click.pass_obj
def pause(obj, slug: str) -> None:
    """Pause all syncing: the Web Connector is told there is nothing to do."""
    with obj.runtime.transaction() as db:
        companies.set_paused(db, slug, True)
    click.echo(f"Paused {slug}.")


@company_group.command("resume")
@click.argument("slug")
@click.pass_obj
def resume(obj, slug: str) -> None:
    """Resume syncing after a pause."""
    with obj.runtime.transaction() as db:
        companies.set_paused(db, slug, False)
    click.echo(f"Resumed {slug}.")


def _plain(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


COMMANDS = [company_group]
