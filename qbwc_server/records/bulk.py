"""Store new records in a few statements: one INSERT each for the records, their queue items and their log entries.

A new record's first state is decided as `queue.record_changed` decides it for any record (held, excluded or
queued, with its prerequisites queued first) and given by `lifecycle.first_state`, so its INSERT already carries
it: no UPDATE follows, nothing is flushed per record and no ORM object is made for it (a batch of a thousand pays
for that a thousand times). A record another request inserted first (same external_id) is left out: the caller
stores it as an update of theirs, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from qbwc_server import clock, multirow
from qbwc_server.company_settings import effective
from qbwc_server.models import (
    CompanyRef,
    LogEvent,
    Note,
    NoteKind,
    Origin,
    QueueAction,
    QueueItem,
    QueueStatus,
    Record,
    RecordKind,
    SyncState,
    is_open,
)
from qbwc_server.records import together
from qbwc_server.records.together import QUEUE_ITEMS, RECORDS, SYNC_LOG
from qbwc_server.sync import lifecycle, queue
from qbwc_server.sync.dependencies import PRIORITY, Ref, prerequisites
from qbwc_server.sync.eligibility import Verdict, decide
from qbwc_server.sync.lifecycle import Event


@dataclass
class NewRecord:
    """A record on its way in: what `eligibility.decide` reads of a record, then its id and first state."""

    company_id: int
    kind: RecordKind
    external_id: str
    data: dict[str, Any]
    created_at: datetime
    qb_id: None = None
    id: int | None = None
    sync_state: SyncState = SyncState.PENDING
    last_error: Note | None = None
    action: QueueAction | None = None  # queued as this action
    # What `store.serialize` reads that a new record has not: it is shown without making an ORM object.
    qb_edit_sequence: None = None
    qb_full_name: None = None
    qb_data: None = None
    qb_totals: None = None
    warnings: None = None
    removal: None = None
    log: list[dict[str, Any]] = field(default_factory=list)  # its log entries, as inserted

    def as_record(self) -> Record:
        """Return the stored record as an ORM object (for a single PUT's answer), without reading it back."""
        return Record(
            id=self.id,
            company_id=self.company_id,
            kind=self.kind,
            external_id=self.external_id,
            data=self.data,
            origin=Origin.APP,
            version=1,
            synced_version=None,
            qb_id=None,
            qb_edit_sequence=None,
            qb_full_name=None,
            qb_line_ids=None,
            qb_data=None,
            name_suffix=None,
            linked_data=None,
            linked_version=None,
            qb_totals=None,
            warnings=None,
            warning_count=0,
            sync_state=self.sync_state,
            last_error=self.last_error,
            synced_at=None,
            removal=None,
            created_at=self.created_at,
            updated_at=self.created_at,
        )

    def log_lines(self) -> list[LogLine]:
        """Return its log entries as the API shows them (they were just written, so they are not read back)."""
        return [LogLine(entry["at"], entry["event"], entry["message"], None) for entry in self.log]


class LogLine(NamedTuple):
    """A log entry as the API shows it (the qbXML bodies are never shown)."""

    at: datetime
    event: LogEvent
    message: str
    status_code: int | None


def insert_new(
    db: Session, company: CompanyRef, kind: RecordKind, rows: Sequence[tuple[str, dict[str, Any]]]
) -> list[NewRecord]:
    """Insert records of one kind whose external_ids (all different) the company does not have; return those inserted.

    `rows` holds checked (external_id, data) pairs. One another request inserted meanwhile is not in the answer.
    """
    if not rows:
        return []
    db.flush()  # Core statements do not flush the session: what it holds goes first, in order
    now = clock.now()
    new = [NewRecord(company.id, kind, external_id, data, now) for external_id, data in rows]
    settings = effective(company.settings)
    _first_states(new, settings)
    found = None
    # PostgreSQL, one record that does not refer to itself (read again once it is there): its references are read
    # before the INSERT, so that the INSERT can carry its queue item and log lines.
    if len(new) == 1 and db.get_bind().dialect.name == "postgresql" and _key(new[0]) not in _refs(new[0]):
        found = _referenced(db, company.id, set(_refs(new[0])))
        if _alone(db, new[0], found):
            return _insert_one(db, new[0], now, found, settings)
    _insert_records(db, new, now)
    inserted = [record for record in new if record.id is not None]
    if not inserted:
        return []
    _queue(db, company, inserted, settings, found)
    return inserted


def _refs(record: NewRecord) -> list[Ref]:
    """The records a new record refers to that must be in QuickBooks before it (none when it is not queued)."""
    return prerequisites(record.kind, record.data) if record.action is not None else []


def _key(record: NewRecord) -> Ref:
    return (record.kind, record.external_id)


def _alone(db: Session, record: NewRecord, found: dict[Ref, Any]) -> bool:
    """Tell whether a new record can go in with its queue item and log lines as one statement: none of the records
    it refers to has to be queued first (their queue items go before its own).

    A referenced record on its way to QuickBooks already (an invoice's customer just stored) is asked about as
    `_queue_prerequisites` asks; when one is not queued, the record goes in as many do, which asks again."""
    waiting = _waiting([found[ref] for ref in _refs(record) if ref in found])
    return not waiting or _queued(db, waiting) >= {row.id for row in waiting}


def _insert_one(
    db: Session, record: NewRecord, now: datetime, found: dict[Ref, Any], settings: dict[str, Any]
) -> list[NewRecord]:
    """PostgreSQL: insert one record with its queue item and log lines as one statement (`together`); return it as
    inserted, or nothing when another request inserted it first."""
    items, log = _items_and_log([record], found, settings)
    record.id = together.insert(db, _values(record, now), items[0] if items else None, log)
    if record.id is None:
        return []
    for line in log:
        line["record_id"] = record.id
    return [record]


def _first_states(new: list[NewRecord], settings: dict[str, Any]) -> None:
    # The first state is decided before the INSERT, from what decide() reads (kind, data, created_at, no qb_id).
    for record in new:
        decision = decide(cast(Record, record), settings)
        if decision.verdict is Verdict.EXCLUDE:
            note = Note(NoteKind.EXCLUDED, f"Not synced: {decision.reason}.")
            state = lifecycle.first_state(Event.EXCLUDE, note)
        elif decision.verdict is Verdict.HOLD:
            state = lifecycle.first_state(Event.HOLD, Note(NoteKind.HELD, f"Not sent yet: {decision.reason}."))
        else:
            state = lifecycle.first_state(Event.QUEUE)
            record.action = QueueAction.SEND
        record.sync_state, record.last_error = state["sync_state"], state["last_error"]


def _values(record: NewRecord, now: datetime) -> dict[str, Any]:
    """Return a new record's columns for its INSERT."""
    return {
        "company_id": record.company_id,
        "kind": record.kind,
        "external_id": record.external_id,
        "data": record.data,
        "origin": Origin.APP,
        "version": 1,
        "warning_count": 0,
        "sync_state": record.sync_state,
        "last_error": record.last_error,
        "created_at": now,
        "updated_at": now,
    }


def _insert_records(db: Session, new: list[NewRecord], now: datetime) -> None:
    values = [_values(record, now) for record in new]
    # A record that exists (another request may have inserted it since we looked) is skipped, not an error.
    returned = multirow.insert(db, RECORDS, values, skip_existing=True, returning=(RECORDS.c.id, RECORDS.c.external_id))
    ids = {row.external_id: row.id for row in returned}
    for record in new:
        record.id = ids.get(record.external_id)


def _queue(
    db: Session,
    company: CompanyRef,
    inserted: list[NewRecord],
    settings: dict[str, Any],
    found: dict[Ref, Any] | None = None,
) -> None:
    """Queue the records that go to QuickBooks (prerequisites first) and write every record's log entries.

    `found`: the referenced records, when they were read already in this transaction."""
    refs = [_refs(record) for record in inserted]
    if found is None:
        found = _referenced(db, company.id, {ref for listed in refs for ref in listed})
    _queue_prerequisites(db, company, [found[ref] for listed in refs for ref in listed if ref in found])
    items, log = _items_and_log(inserted, found, settings)
    # No other session can see these records yet, so none can have queued them: no look, no savepoint.
    multirow.insert(db, QUEUE_ITEMS, items)
    multirow.insert(db, SYNC_LOG, log)


def _items_and_log(
    inserted: list[NewRecord], found: dict[Ref, Any], settings: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the new records' queue items and log entries (each kept on its record too), in order."""
    items: list[dict[str, Any]] = []
    log: list[dict[str, Any]] = []
    for record in inserted:
        record.log.append(_entry(record, LogEvent.STORED, "Received from the app."))
        if record.sync_state is SyncState.EXCLUDED:
            assert record.last_error is not None
            record.log.append(_entry(record, LogEvent.EXCLUDED, record.last_error.message))
        if record.action is not None:
            if queue.link_only(record.kind, record.data) or (
                settings["link_existing_invoices"] and _invoice_may_exist(record, found)
            ):
                record.action = QueueAction.LOOKUP
            items.append(item_row(record.company_id, record.id, record.kind, record.action, record.created_at))
            record.log.append(_entry(record, LogEvent.QUEUED, "Queued for QuickBooks."))
        log.extend(record.log)
    return items, log


def item_row(
    company_id: int, record_id: int | None, kind: RecordKind, action: QueueAction, at: datetime
) -> dict[str, Any]:
    """Return the columns of a record's new queue item, ready to be sent, for a Core INSERT."""
    return {
        "company_id": company_id,
        "record_id": record_id,
        "action": action,
        "status": QueueStatus.READY,
        "priority": PRIORITY[kind],
        "attempts": 0,
        "unknown_outcome": False,
        "created_at": at,
        "updated_at": at,
    }


def _referenced(db: Session, company_id: int, wanted: set[Ref]) -> dict[Ref, Any]:
    """Read what the queue needs to know of the referenced records, in one query and without loading them."""
    if not wanted:
        return {}
    parameters = {
        "company_id": company_id,
        "kinds": sorted({kind for kind, _ in wanted}, key=lambda kind: kind.value),
        "external_ids": sorted({external_id for _, external_id in wanted}),
    }
    rows = db.connection().execute(_REFERENCED, parameters).all()
    return {(row.kind, row.external_id): row for row in rows if (row.kind, row.external_id) in wanted}


# Built once: the columns the queue reads of referenced records (a new invoice's customer and items).
_REFERENCED = select(
    RECORDS.c.id,
    RECORDS.c.kind,
    RECORDS.c.external_id,
    RECORDS.c.qb_id,
    RECORDS.c.version,
    RECORDS.c.synced_version,
    RECORDS.c.sync_state,
).where(
    # The kinds too, so the unique (company, kind, external_id) index finds each one: without them the query read
    # every record of the company (a second per PUT of an invoice in a 200,000-record company).
    RECORDS.c.company_id == bindparam("company_id"),
    RECORDS.c.kind.in_(bindparam("kinds", expanding=True)),
    RECORDS.c.external_id.in_(bindparam("external_ids", expanding=True)),
)


def _queue_prerequisites(db: Session, company: CompanyRef, referenced: list[Any]) -> None:
    """Queue the referenced records that are not on their way to QuickBooks, in order, as `queue.enqueue` does."""
    waiting = _waiting(referenced)
    if not waiting:
        return
    queued = _queued(db, waiting)
    seen: set[int] = set()
    for row in waiting:
        if row.id not in queued and row.id not in seen:
            # Only a record that must be queued now is loaded, to go through the queue as any other.
            queue.enqueue(db, company, db.get_one(Record, row.id), existing=None, _seen=seen)


def _queued(db: Session, referenced: list[Any]) -> set[int]:
    """Return the ids of those of the referenced records that have an open queue item."""
    return set(
        db.scalars(
            select(QueueItem.record_id).where(QueueItem.record_id.in_({row.id for row in referenced}), is_open())
        )
    )


def _waiting(referenced: list[Any]) -> list[Any]:
    """Return the referenced records QuickBooks does not have as they are (queued already or not)."""
    return [
        prerequisite
        for prerequisite in referenced
        if not (prerequisite.qb_id and prerequisite.synced_version == prerequisite.version)
        # one in error, excluded or deleted in QuickBooks waits for a person; its dependants show they are blocked
        and prerequisite.sync_state not in (SyncState.ERROR, SyncState.EXCLUDED, SyncState.QB_DELETED)
    ]


def _entry(record: NewRecord, event: LogEvent, message: str) -> dict[str, Any]:
    return {
        "company_id": record.company_id,
        "record_id": record.id,
        "event": event,
        "message": message,
        "at": clock.now(),
    }


def _invoice_may_exist(record: NewRecord, found: dict[Ref, Any]) -> bool:
    """Tell whether a new invoice is looked for in QuickBooks by its number first (as `queue.enqueue` decides)."""
    if record.kind is not RecordKind.INVOICE or not record.data.get("number"):
        return False
    party = queue.invoice_party(record.data)
    return party in found and bool(found[party].qb_id)
