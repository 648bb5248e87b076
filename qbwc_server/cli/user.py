"""`qbwc-server user …`: logins for the bookkeeper's page."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from qbwc_server.models import Role
from qbwc_server.users import MIN_PASSWORD_LENGTH, create_user, list_users


@click.group("user")
def user_group() -> None:
    """Manage the logins of the bookkeeper's web page."""


@user_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True, help="admin or bookkeeper.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of asking.")
@click.option("--company", "companies", multiple=True, metavar="SLUG", help="A company a bookkeeper may see (repeat).")
@click.pass_obj
def add(obj, email: str, role: str, password_stdin: bool, companies: tuple[str, ...]) -> None:
    """Add a login; bookkeepers see only the companies given with --company, admins see all."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise click.UsageError("no terminal to ask for the password: pipe it in with --password-stdin")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.UsageError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    with obj.runtime.transaction() as db:
        user = create_user(db, email, role, password, companies)
        email, role_name = user.email, user.role.value
        slugs = ", ".join(c.slug for c in user.companies)
        scope = "every company" if user.role is Role.ADMIN else slugs or "no company yet"
    click.echo(f"User {email} added as {role_name} (sees {scope}).")


@user_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the users as JSON.")
@click.pass_obj
def list_(obj, as_json: bool) -> None:
    """List the page's logins."""
    with obj.runtime.transaction() as db:
        rows: list[dict[str, Any]] = [
            {
                "email": u.email,
                "role": u.role.value,
                "active": u.active,
                "companies": [c.slug for c in u.companies],
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in list_users(db)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No users yet: add one with `qbwc-server user add EMAIL --role admin`.")
        return
    for row in rows:
        scope = "all companies" if row["role"] == "admin" else ", ".join(row["companies"]) or "no companies"
        state = "" if row["active"] else "  (switched off)"
        click.echo(f"{row['email']:<40} {row['role']:<11} {scope}{state}")


COMMANDS = [user_group]
