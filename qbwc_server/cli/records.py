"""`qbwc-server records load` stores a JSON Lines file of records as the batch API does, with a progress bar;
`records remove` takes one out of sync and makes QuickBooks agree, as the API's DELETE does."""

from __future__ import annotations

import json
import sys
from collections import Counter
from decimal import Decimal
from typing import IO, Any

import click

from qbwc_server.cli.token import find_company
from qbwc_server.models import RecordKind
from qbwc_server.records import store
from qbwc_server.records.batch import MAX_BATCH, save_many
from qbwc_server.sync import removal

KINDS = [kind.resource for kind in RecordKind] + [kind.value for kind in RecordKind]


@click.group("records")
def records_group() -> None:
    """Load the host app's records from a file, or remove one."""


@records_group.command("load")
@click.argument("slug")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True, help="Print the counts and each refused line as JSON.")
@click.pass_obj
def load(obj, slug: str, kind: str, file: IO[str], as_json: bool) -> None:
    """Store each line of FILE (one JSON object with its external_id per line); refused lines are listed."""
    record_kind = RecordKind(kind) if kind in {k.value for k in RecordKind} else RecordKind.from_resource(kind)
    lines = [(number, text) for number, text in enumerate(file, start=1) if text.strip()]
    counts: Counter[str] = Counter()
    refused: list[dict[str, Any]] = []
    with click.progressbar(length=len(lines), label=f"Loading {record_kind.resource}", file=sys.stderr) as bar:
        for start in range(0, len(lines), MAX_BATCH):
            chunk = lines[start : start + MAX_BATCH]
            parsed = []
            for number, text in chunk:
                try:
                    parsed.append((number, json.loads(text, parse_float=Decimal)))
                except ValueError as exc:
                    counts["invalid"] += 1
                    refused.append({"line": number, "external_id": None, "errors": {"body": f"is not JSON: {exc}"}})
            # One transaction per chunk: a long file neither holds one huge transaction nor commits per line.
            with obj.runtime.transaction() as db:
                result = save_many(db, find_company(db, slug), record_kind, [item for _, item in parsed])
            for (number, _), item in zip(parsed, result.results, strict=True):
                counts[item.status] += 1
                if item.errors is not None:
                    refused.append({"line": number, "external_id": item.external_id, "errors": item.errors})
            bar.update(len(chunk))
    refused.sort(key=lambda entry: entry["line"])
    if as_json:
        click.echo(json.dumps({"counts": dict(counts), "refused": refused}))
    else:
        click.echo(", ".join(f"{number} {status}" for status, number in sorted(counts.items())) or "no records")
        for entry in refused:
            details = "; ".join(f"{field}: {message}" for field, message in entry["errors"].items())
            click.echo(f"line {entry['line']}: {details}", err=True)
    if refused:
        raise click.ClickException(f"{len(refused)} of {len(lines)} lines were not stored (listed above)")


@records_group.command("remove")
@click.argument("slug")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("external_id")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@click.pass_obj
def remove(obj, slug: str, kind: str, external_id: str, as_json: bool) -> None:
    """Remove a record from sync: transactions voided (or deleted), payments deleted, list records made inactive."""
    record_kind = RecordKind(kind) if kind in {k.value for k in RecordKind} else RecordKind.from_resource(kind)
    with obj.runtime.transaction() as db:
        company = find_company(db, slug)
        record = store.get(db, company, record_kind, external_id)
        done = removal.remove(db, company, record)
        state = record.sync_state.value
    if as_json:
        action = done.action.value if done.action else None
        click.echo(json.dumps({"state": state, "removal": action, "message": done.message, "effects": done.effects}))
        return
    click.echo(f"{record_kind.value} {external_id}: {done.message}")
    for effect in done.effects:
        click.echo(f"  {effect}")


COMMANDS = [records_group]
