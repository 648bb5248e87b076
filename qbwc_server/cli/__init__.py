"""The `qbwc-server` command: one module per subcommand group, registered here."""

from __future__ import annotations

import logging
import sys

import click

from qbwc_server.errors import QbwcError
from qbwc_server.runtime import Runtime


class CliContext:
    """What every subcommand gets in `ctx.obj`: the runtime, built on first use."""

    def __init__(self) -> None:
        self._runtime: Runtime | None = None

    @property
    def runtime(self) -> Runtime:
        """Return the runtime, reading the QBWC_* settings the first time."""
        if self._runtime is None:
            self._runtime = Runtime.from_env()
        return self._runtime

    def close(self) -> None:
        """Release the database connections the command opened (a PostgreSQL server would otherwise keep them)."""
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None


class QbwcGroup(click.Group):
    """A group that turns the project's own errors into one line and a non-zero exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QbwcError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=QbwcGroup)
@click.version_option(package_name="qbwc-server")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Sync a field-service business's records into QuickBooks Desktop through the Web Connector."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = CliContext()
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from qbwc_server.cli import (
        company,
        db,
        demo,
        import_,
        queue,
        qwc,
        reconcile,
        records,
        serve,
        simulate,
        token,
        user,
        webhook,
    )

    for module in (db, company, qwc, token, user, queue, import_, records, serve, simulate, demo, webhook, reconcile):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
