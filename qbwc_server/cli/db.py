"""`qbwc-server db …`: the database schema."""

from __future__ import annotations

import click

from qbwc_server import db as database


@click.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Migrate to this revision.")
@click.pass_obj
def upgrade(obj, revision: str) -> None:
    """Create or migrate the database's tables."""
    url = obj.runtime.settings.database_url
    database.upgrade(url, revision)
    click.echo(f"Database is at revision {database.current_revision(obj.runtime.engine) or 'none'}.")


COMMANDS = [db_group]
