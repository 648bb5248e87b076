"""Append events to a record's sync log (the log is never edited, only added to)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import clock, multirow
from qbwc_server.models import LogEvent, Record, SyncLogEntry

MAX_BODY_CHARS = 200_000
_GATHERED = "synclog.gathered"  # the Session.info key of the entries a `gathered` block holds back


class Logged(Protocol):
    """What a log entry reads of its record: a `Record`, or a row of one."""

    @property
    def id(self) -> int: ...  # noqa: D102 - the record's own
    @property
    def company_id(self) -> int: ...  # noqa: D102


def append(
    db: Session,
    record: Logged,
    event: LogEvent,
    message: str = "",
    *,
    status_code: int | None = None,
    rq_type: str | None = None,
    request_xml: str | None = None,
    response_xml: str | None = None,
    ticket: str | None = None,
) -> None:
    """Add one event to a record's log (inside a `gathered` block, it is written at the block's end)."""
    values = {
        "company_id": record.company_id,
        "record_id": record.id,
        "event": event,
        "message": message,
        "status_code": status_code,
        "rq_type": rq_type,
        "request_xml": _clip(request_xml),
        "response_xml": _clip(response_xml),
        "ticket_prefix": ticket[:8] if ticket else None,
    }
    held = db.info.get(_GATHERED)
    if held is not None:
        held.append(values)
    else:
        db.add(SyncLogEntry(**values))


@contextmanager
def gathered(db: Session) -> Iterator[None]:
    """Hold back the entries appended inside the block and write them as one multi-row INSERT at its end.

    Each entry added through the ORM is an INSERT of its own (the ORM reads every new id back), so a message set
    of 25 records cost 25 statements per log line. The entries keep their order, after anything added before the
    block. When the block fails, its entries are dropped, as the savepoint around it drops its other changes.
    """
    if _GATHERED in db.info:
        yield  # an outer block writes them
        return
    held: list[dict[str, Any]] = []
    db.info[_GATHERED] = held
    try:
        yield
    finally:
        del db.info[_GATHERED]
    if held:
        db.flush()  # what was added before the block comes first
        write_rows(db, held)


def entries(db: Session, record: Record, limit: int = 200) -> list[SyncLogEntry]:
    """Return a record's log, oldest first."""
    rows = db.scalars(
        select(SyncLogEntry).where(SyncLogEntry.record_id == record.id).order_by(SyncLogEntry.id.desc()).limit(limit)
    ).all()
    return list(reversed(rows))


def _clip(body: str | None) -> str | None:
    if body is None or len(body) <= MAX_BODY_CHARS:
        return body
    return body[:MAX_BODY_CHARS] + f"\n… ({len(body) - MAX_BODY_CHARS} more characters not kept)"


def append_all(db: Session, events: Sequence[tuple[int, int, LogEvent, str]], *, ticket: str | None = None) -> None:
    """Add many (company id, record id, event, message) events in one multi-row INSERT, in their order."""
    if not events:
        return
    prefix = ticket[:8] if ticket else None
    now = clock.now()
    rows = [
        {
            "company_id": company_id,
            "record_id": record_id,
            "event": event,
            "message": message,
            "status_code": None,
            "rq_type": None,
            "request_xml": None,
            "response_xml": None,
            "ticket_prefix": prefix,
            "at": now,
        }
        for company_id, record_id, event, message in events
    ]
    write_rows(db, rows)


def write_rows(db: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write log entries given as column values (all with the same keys) in one multi-row INSERT, in their order."""
    # Through the table, not the ORM's bulk insert, which splits the rows wherever the absent fields change; as one
    # statement of arrays on PostgreSQL (`multirow`), where `executemany` runs one INSERT per line. Each line's time
    # is taken here, as the column's default would take it per row.
    # Inside a filing block on PostgreSQL they go in with its UPDATEs, in one statement (`multirow.hold`).
    timed = [row if "at" in row else {**row, "at": clock.now()} for row in rows]
    if not multirow.hold(db, _SYNC_LOG, timed):
        multirow.insert(db, _SYNC_LOG, timed)


_SYNC_LOG = SyncLogEntry.metadata.tables[SyncLogEntry.__tablename__]
