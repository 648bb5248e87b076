"""Find the local record an imported object is, by the QuickBooks name it has (or would have), and keep jobs in step.

QuickBooks names are unique (ignoring case) per list, so a local record whose name QuickBooks already has is that
object: it is linked instead of imported a second time. Invoices are recognised by their number.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server.imports.mapping import Entry
from qbwc_server.models import Origin, Record, RecordKind
from qbwc_server.sync import lifecycle
from qbwc_server.sync.builders.names import qb_name
from qbwc_server.sync.builders.types import RecordProblem


def baseline(record: Record, settings: Mapping[str, Any], data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the record's data (or `data`, an earlier version of it) with the name as QuickBooks has it."""
    data = dict(record.data or {}) if data is None else dict(data)
    if record.kind.is_list:
        if record.qb_full_name:
            data["name"] = record.qb_full_name.rsplit(":", 1)[-1]
        else:
            with contextlib.suppress(RecordProblem, ValueError):
                data["name"] = qb_name(record.kind.value, data, settings)
    return data


def match_key(entry: Entry) -> str:
    """Return the key an imported object is looked up by among the local records."""
    if entry.record_kind is RecordKind.INVOICE:
        return f"#{str(entry.data.get('number') or '').casefold()}"
    return entry.full_name.casefold()


def unlinked_by_name(
    db: Session, company_id: int, kinds: tuple[RecordKind, ...], settings: Mapping[str, Any]
) -> dict[str, Record]:
    """Index the app's records of these kinds that QuickBooks does not know yet, by the name they would have."""
    rows = db.scalars(
        select(Record).where(
            Record.company_id == company_id,
            Record.kind.in_(kinds),
            Record.qb_id.is_(None),
            Record.origin == Origin.APP,
        )
    ).all()
    parents: dict[str, Record] = {}
    if any(r.kind is RecordKind.JOB for r in rows):
        customers = db.scalars(
            select(Record).where(Record.company_id == company_id, Record.kind == RecordKind.CUSTOMER)
        ).all()
        parents = {r.external_id: r for r in customers}
    index: dict[str, Record] = {}
    for record in rows:
        key = _local_key(record, parents, settings)
        if key:
            index.setdefault(key, record)
    return index


def _local_key(record: Record, parents: dict[str, Record], settings: Mapping[str, Any]) -> str | None:
    data = record.data or {}
    if record.kind is RecordKind.INVOICE:
        return f"#{str(data.get('number') or '').strip().casefold()}" if data.get("number") else None
    try:
        name = qb_name(record.kind.value, data, settings)
    except (RecordProblem, ValueError):
        return None
    if record.kind is RecordKind.JOB:
        parent = parents.get(str(data.get("customer")))
        parent_name = (parent.qb_full_name or baseline(parent, settings).get("name")) if parent is not None else None
        if not parent_name:
            return None
        name = f"{parent_name}:{name}"
    return name.casefold()


def _jobs_under(db: Session, company_id: int, full_name: str) -> list[Record]:
    escaped = full_name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(
        db.scalars(
            select(Record).where(
                Record.company_id == company_id,
                Record.kind == RecordKind.JOB,
                Record.qb_full_name.like(f"{escaped}:%", escape="\\"),
            )
        ).all()
    )


def repoint_jobs(db: Session, company_id: int, customer_full_name: str, old_external: str, new_external: str) -> None:
    """Jobs imported before their customer point at "qb-<id>"; point them at the local customer it was linked to."""
    if old_external == new_external:
        return
    for job in _jobs_under(db, company_id, customer_full_name):
        if (job.data or {}).get("customer") == old_external:
            job.data = {**job.data, "customer": new_external}
            snapshot = (job.qb_data or {}).get("snapshot")
            if snapshot is not None:
                job.qb_data = {**(job.qb_data or {}), "snapshot": {**snapshot, "customer": new_external}}


def rename_jobs(db: Session, company_id: int, old_name: str, new_name: str) -> None:
    """A customer renamed in QuickBooks renames the FullName of its jobs too."""
    for job in _jobs_under(db, company_id, old_name):
        lifecycle.rename(job, new_name + (job.qb_full_name or "")[len(old_name) :])
