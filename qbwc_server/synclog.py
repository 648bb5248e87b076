"""Append events to a record's sync log (the log is never edited, only added to)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.models import LogEvent, Record, SyncLogEntry

MAX_BODY_CHARS = 200_000


def append(
    db: Session,
    record: Record,
    event: LogEvent,
    message: str = "",
    *,
    status_code: int | None = None,
    rq_type: str | None = None,
    request_xml: str | None = None,
    response_xml: str | None = None,
    ticket: str | None = None,
) -> SyncLogEntry:
    """Add one event to a record's log."""
    entry = SyncLogEntry(
        company_id=record.company_id,
        record_id=record.id,
        event=event,
        message=message,
        status_code=status_code,
        rq_type=rq_type,
        request_xml=_clip(request_xml),
        response_xml=_clip(response_xml),
        ticket_prefix=ticket[:8] if ticket else None,
    )
    db.add(entry)
    return entry


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
    db.execute(insert(SyncLogEntry.metadata.tables[SyncLogEntry.__tablename__]), rows)
