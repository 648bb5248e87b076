"""`qbwc-server queue …`: what waits for QuickBooks, and retrying or cancelling it."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server.cli.token import find_company
from qbwc_server.models import Company, QueueItem, Record, RecordKind, SyncState, is_open
from qbwc_server.records import store
from qbwc_server.sync import queue

NOT_SYNCED = [SyncState.PENDING, SyncState.QUEUED, SyncState.SENT, SyncState.ERROR, SyncState.BLOCKED]
STATE_CHOICES = [state.value for state in SyncState] + ["all"]


def parse_kind(raw: str) -> RecordKind:
    """Read a kind given as 'customer' or 'customers'."""
    for kind in RecordKind:
        if raw.lower() in (kind.value, kind.resource):
            return kind
    raise click.BadParameter(f"{raw!r} is not a kind; use one of {', '.join(k.value for k in RecordKind)}")


@click.group("queue")
def queue_group() -> None:
    """See what waits for QuickBooks; retry records in error; cancel queued ones."""


@queue_group.command("list")
@click.argument("slug")
@click.option(
    "--state",
    type=click.Choice(STATE_CHOICES),
    help="Only records in this sync state ('all' for every state). Default: every record not in QuickBooks yet.",
)
@click.option("--kind", "kind_name", help="Only this kind of record (customer, job, item, …).")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100000))
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@click.pass_obj
def list_(obj, slug: str, state: str | None, kind_name: str | None, limit: int, as_json: bool) -> None:
    """List records waiting for (or refused by) QuickBooks, with their queue item and last error."""
    kind = parse_kind(kind_name) if kind_name else None
    with obj.runtime.transaction() as db:
        company = find_company(db, slug)
        rows = _rows(db, company, state, kind, limit)
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo("Nothing waits for QuickBooks." if state is None else "No records match.")
        return
    for row in rows:
        item = row["queue"]
        detail = row["reason"] or ""
        if item:
            detail = f"{item['status']} (attempt {item['attempts']}) {detail}".strip()
        click.echo(f"{row['kind']:<8} {row['external_id']:<24} {row['state']:<9} {detail}")


def _rows(db: Session, company: Company, state: str | None, kind: RecordKind | None, limit: int) -> list[dict]:
    query = select(Record, QueueItem).outerjoin(QueueItem, (QueueItem.record_id == Record.id) & is_open())
    query = query.where(Record.company_id == company.id)
    if state != "all":
        states = NOT_SYNCED if state is None else [SyncState(state)]
        query = query.where(Record.sync_state.in_(states))
    if kind is not None:
        query = query.where(Record.kind == kind)
    rows = db.execute(query.order_by(Record.id).limit(limit)).all()
    waited_on = {item.waiting_on for _, item in rows if item is not None and item.waiting_on}
    names = {r.id: r for r in db.scalars(select(Record).where(Record.id.in_(waited_on))).all()} if waited_on else {}
    return [_row(record, item, names) for record, item in rows]


def _row(record: Record, item: QueueItem | None, names: dict[int, Record]) -> dict[str, Any]:
    reason = record.last_error.message if record.last_error else None
    queued: dict[str, Any] | None = None
    if item is not None:
        waiting = names.get(item.waiting_on) if item.waiting_on else None
        if waiting is not None and not reason:
            reason = f"waiting for {waiting.kind.value} {waiting.external_id}"
        queued = {
            "id": item.id,
            "status": item.status.value,
            "action": item.action.value,
            "attempts": item.attempts,
            "not_before": item.not_before.isoformat() if item.not_before else None,
            "waiting_on": f"{waiting.kind.value}/{waiting.external_id}" if waiting else None,
        }
    return {
        "kind": record.kind.value,
        "external_id": record.external_id,
        "state": record.sync_state.value,
        "reason": reason,
        "quickbooks_id": record.qb_id,
        "queue": queued,
    }


@queue_group.command("retry")
@click.argument("slug")
@click.argument("kind_name", metavar="[KIND]", required=False)
@click.argument("external_id", required=False)
@click.option("--all-errors", is_flag=True, help="Retry every record of the company that is in error.")
@click.pass_obj
def retry(obj, slug: str, kind_name: str | None, external_id: str | None, all_errors: bool) -> None:
    """Send a record in error again (after fixing the cause), or every record in error with --all-errors."""
    if all_errors and (kind_name or external_id):
        raise click.UsageError("give either KIND and EXTERNAL_ID or --all-errors, not both")
    if not all_errors and not (kind_name and external_id):
        raise click.UsageError("give KIND and EXTERNAL_ID, or --all-errors")
    with obj.runtime.transaction() as db:
        company = find_company(db, slug)
        if all_errors:
            records = db.scalars(
                select(Record)
                .where(Record.company_id == company.id, Record.sync_state == SyncState.ERROR)
                .order_by(Record.id)
            ).all()
        else:
            records = [store.get(db, company, parse_kind(kind_name), external_id)]  # type: ignore[arg-type]
        for record in records:
            queue.reprocess(db, company, record)
        outcome = [(record.kind.value, record.external_id, record.sync_state.value) for record in records]
    if all_errors:
        click.echo(f"Retrying {len(outcome)} record(s) that were in error.")
        return
    kind, ext, state = outcome[0]
    click.echo(f"{kind} {ext} is now {state}.")


@queue_group.command("cancel")
@click.argument("slug")
@click.argument("kind_name", metavar="KIND")
@click.argument("external_id")
@click.pass_obj
def cancel(obj, slug: str, kind_name: str, external_id: str) -> None:
    """Take a record off the queue; it stays pending until it changes or someone syncs it."""
    kind = parse_kind(kind_name)
    with obj.runtime.transaction() as db:
        company = find_company(db, slug)
        queue.cancel(db, store.get(db, company, kind, external_id), "Cancelled from the command line.")
    click.echo(f"{kind.value} {external_id} was taken off the queue; it is pending.")


@queue_group.command("readd")
@click.argument("slug")
@click.argument("kind_name", metavar="KIND")
@click.argument("external_id")
@click.pass_obj
def readd(obj, slug: str, kind_name: str, external_id: str) -> None:
    """Add a record deleted in QuickBooks to QuickBooks again, as a new entry."""
    kind = parse_kind(kind_name)
    with obj.runtime.transaction() as db:
        company = find_company(db, slug)
        record = store.get(db, company, kind, external_id)
        queue.readd(db, company, record)
        state = record.sync_state.value
    click.echo(f"{kind.value} {external_id} is now {state}; it goes to QuickBooks as a new entry.")


COMMANDS = [queue_group]
