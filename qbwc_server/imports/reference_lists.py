"""Keep QuickBooks' own lists (accounts, terms, classes, tax codes and items …) as QbListEntry rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.imports.mapping import Entry
from qbwc_server.models import QbListEntry


def parse_time(text: str | None) -> datetime | None:
    """Return QuickBooks' TimeModified text as an aware datetime (UTC assumed when it has no offset)."""
    if not text:
        return None
    try:
        return clock.aware(datetime.fromisoformat(text))
    except ValueError:
        return None


def _utc(value: datetime | None) -> datetime | None:
    # SQLite keeps no offset, so only UTC survives a round trip through the database.
    return value.astimezone(timezone.utc) if value is not None else None


def upsert(db: Session, company_id: int, entries: Sequence[Entry]) -> dict[str, str]:
    """Insert or update the list rows of a chunk; return each entry's outcome by id: created, updated, unchanged."""
    wanted = {(list_type, entry.qb_id) for entry in entries for list_type, _ in entry.lists}
    outcome: dict[str, str] = {}
    if not wanted:
        return outcome
    rows = db.scalars(
        select(QbListEntry).where(
            QbListEntry.company_id == company_id,
            QbListEntry.list_type.in_({list_type for list_type, _ in wanted}),
            QbListEntry.list_id.in_({list_id for _, list_id in wanted}),
        )
    ).all()
    existing = {(row.list_type, row.list_id): row for row in rows}
    # New rows go in one multi-row INSERT at the end; an entry twice in the chunk updates its pending row.
    new: dict[tuple[str, str], dict[str, object]] = {}
    now = clock.now()
    for entry in entries:
        result = "unchanged"
        for list_type, subtype in entry.lists:
            values = {
                "full_name": entry.full_name[:260],
                "active": entry.active,
                "subtype": subtype,
                "edit_sequence": entry.edit_sequence,
                "time_modified": _utc(parse_time(entry.time_modified)),
                "data": dict(entry.list_data),
            }
            row = existing.get((list_type, entry.qb_id))
            if row is None:
                pending = new.get((list_type, entry.qb_id))
                if pending is not None:
                    if any(pending[key] != value for key, value in values.items() if key != "time_modified"):
                        pending.update(values)
                        result = "updated" if result == "unchanged" else result
                    continue
                new[(list_type, entry.qb_id)] = {
                    "company_id": company_id,
                    "list_type": list_type,
                    "list_id": entry.qb_id,
                    "updated_at": now,
                    **values,
                }
                result = "created" if result == "unchanged" else result
                continue
            if any(getattr(row, key) != value for key, value in values.items() if key != "time_modified"):
                for key, value in values.items():
                    setattr(row, key, value)
                row.updated_at = now
                if result == "unchanged":
                    result = "updated"
        outcome[entry.qb_id] = result
    if new:
        db.execute(insert(QbListEntry.metadata.tables[QbListEntry.__tablename__]), list(new.values()))
    return outcome
