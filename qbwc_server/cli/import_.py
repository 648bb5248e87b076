"""`qbwc-server import …`: queue imports from QuickBooks, follow them, see how they went, cancel them."""

from __future__ import annotations

import json
import time
from typing import Any

import click

from qbwc_server.companies import get_company
from qbwc_server.errors import QbwcError
from qbwc_server.imports import runs
from qbwc_server.imports.kinds import KINDS
from qbwc_server.models import ImportRun

FINISHED = {"done", "failed", "cancelled"}


class ImportGroup(click.Group):
    """A group whose default command is `start`, so `qbwc-server import SLUG KIND…` queues an import."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["start", *args]
        return super().resolve_command(ctx, args)


@click.group("import", cls=ImportGroup)
def import_group() -> None:
    """Import lists and history from QuickBooks: `qbwc-server import SLUG KIND… [--wait] [--full]`.

    KIND is one of accounts, items, customers, vendors, terms, classes, payment_methods, sales_tax_codes,
    invoices, payments, or all. The import runs at the company's next Web Connector session.
    """


@import_group.command("start")
@click.argument("slug")
@click.argument("kinds", nargs=-1, required=True)
@click.option("--full", is_flag=True, help="Read everything again instead of only what changed since the last import.")
@click.option("--wait", is_flag=True, help="Show a progress bar until the imports finish (the Web Connector must run).")
@click.option("--timeout", type=click.FloatRange(min=0), help="With --wait: give up waiting after this many seconds.")
@click.option("--poll", type=click.FloatRange(min=0.01), default=1.0, hidden=True, help="Seconds between checks.")
@click.option("--json", "as_json", is_flag=True, help="Print the queued (or, with --wait, finished) runs as JSON.")
@click.pass_obj
def start(obj, slug: str, kinds: tuple[str, ...], full: bool, wait: bool, timeout, poll, as_json) -> None:
    """Queue imports of KINDS for the company SLUG."""
    with obj.runtime.transaction() as db:
        company = get_company(db, slug)
        queued = runs.start(db, company, kinds, full=full)
        ids = [run.id for run in queued]
        described = [runs.describe(run) for run in queued]
    if not wait:
        if as_json:
            click.echo(json.dumps([d.as_dict() for d in described]))
            return
        for d in described:
            since = f" (changes since {d.incremental_from})" if d.incremental_from else ""
            state = "already " + d.status if d.status == "running" else d.status
            click.echo(f"{_label(d.kind)}: {state}{since}")
        click.echo("The import runs at the next Web Connector session.")
        return
    finished = _follow(obj.runtime, ids, timeout, poll, quiet=as_json)
    if as_json:
        click.echo(json.dumps([d.as_dict() for d in finished]))
    else:
        for d in finished:
            click.echo(_line(d))
    failed = [d for d in finished if d.status != "done"]
    if failed:
        raise QbwcError(f"{len(failed)} import(s) did not finish: " + "; ".join(_line(d) for d in failed))


@import_group.command("status")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@click.pass_obj
def status(obj, slug: str, as_json: bool) -> None:
    """Show the latest import of each kind for the company SLUG, with counts."""
    with obj.runtime.transaction() as db:
        rows = runs.status(db, get_company(db, slug))
    if as_json:
        click.echo(json.dumps([row.as_dict() for row in rows]))
        return
    if not rows:
        click.echo("Nothing was imported yet.")
        return
    for row in rows:
        click.echo(_line(row))


@import_group.command("cancel")
@click.argument("slug")
@click.argument("kinds", nargs=-1)
@click.pass_obj
def cancel(obj, slug: str, kinds: tuple[str, ...]) -> None:
    """Cancel the company's queued or running imports (of KINDS, or all of them)."""
    with obj.runtime.transaction() as db:
        cancelled = runs.cancel(db, get_company(db, slug), kinds or None)
        names = [_label(run.kind) for run in cancelled]
    click.echo(f"Cancelled: {', '.join(names)}." if names else "No import was waiting.")


def _follow(runtime, ids: list[int], timeout: float | None, poll: float, quiet: bool) -> list[runs.RunStatus]:
    """Poll the runs until all have finished, feeding a progress bar; raise QbwcError on timeout."""
    deadline = time.monotonic() + timeout if timeout is not None else None
    label = "Importing " + ", ".join(_label(kind) for kind in _kinds(runtime, ids))
    shown = 0
    sink: Any = None if not quiet else _Null()  # click wants a TextIO; _Null writes nowhere
    with click.progressbar(length=100, label=label, file=sink, show_pos=False) as bar:
        while True:
            with runtime.transaction() as db:
                current = [runs.describe(db.get(ImportRun, run_id)) for run_id in ids]
            percent = sum(100 if d.status in FINISHED else d.percent for d in current) // len(current)
            if percent > shown:
                bar.update(percent - shown)
                shown = percent
            if all(d.status in FINISHED for d in current):
                return current
            if deadline is not None and time.monotonic() >= deadline:
                raise QbwcError(
                    "stopped waiting; the import goes on at the next Web Connector session "
                    "(see `qbwc-server import status`)"
                )
            time.sleep(poll)


def _kinds(runtime, ids: list[int]) -> list[str]:
    with runtime.transaction() as db:
        return [db.get(ImportRun, run_id).kind for run_id in ids]


def _label(kind: str) -> str:
    return KINDS[kind].label if kind in KINDS else kind


def _line(d: runs.RunStatus) -> str:
    counts = f"{d.seen} read, {d.created} new, {d.updated} updated, {d.unchanged} unchanged"
    if d.deleted:
        counts += f", {d.deleted} deleted in QuickBooks"
    text = f"{_label(d.kind)}{' (scheduled)' if d.scheduled else ''}: {d.status}"
    if d.status in ("queued", "running"):
        text += f" {d.percent}%"
    text += f" — {counts}"
    if d.error:
        text += f" ({d.error})"
    return text


class _Null:
    """A file that swallows the progress bar when the output is JSON."""

    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        return None


COMMANDS = [import_group]
