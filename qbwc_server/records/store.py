"""Store the host app's records: create or update by external_id, read them back, and show them as the API does."""

from __future__ import annotations

import enum
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only, make_transient_to_detached

from qbwc_server import clock, synclog
from qbwc_server import db as database
from qbwc_server.errors import InvalidInput, NotFound
from qbwc_server.models import (
    CompanyRef,
    LogEvent,
    QueueItem,
    Record,
    RecordKind,
    SyncLogEntry,
    SyncState,
)
from qbwc_server.records import bulk, edit, lookup
from qbwc_server.records.bulk import NewRecord
from qbwc_server.records.characters import UNSTORABLE, readable
from qbwc_server.records.schemas import EXTERNAL_ID, SCHEMAS, ordered
from qbwc_server.records.validation import validate
from qbwc_server.sync import queue, removal

log = logging.getLogger(__name__)

DEFAULT_PAGE = 50
# The largest id an INTEGER column holds on PostgreSQL; a larger cursor or id cannot name a record.
MAX_ID = 2**31 - 1
MAX_PAGE = 500
LOG_IN_ONE = 200  # log entries shown with one record
LOG_IN_LIST = 20  # … and with each record of a list

# The qbXML bodies can be megabytes and carry customer data: the API never shows them, so never loads them.
_WITHOUT_BODIES = load_only(
    SyncLogEntry.record_id, SyncLogEntry.at, SyncLogEntry.event, SyncLogEntry.message, SyncLogEntry.status_code
)


@dataclass(frozen=True)
class Page:
    """One page of a list and the cursor of the next one (None on the last page)."""

    records: list[Record]
    next_cursor: str | None


class Outcome(enum.Enum):
    """What storing a record from the host app did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # the same data as stored: nothing re-queued


def upsert(db: Session, company: CompanyRef, kind: RecordKind, external_id: str, payload: Any) -> tuple[Record, bool]:
    """Create or replace a record from the host app; return it and whether it was new.

    Invalid input raises InvalidInput and stores nothing. The version goes up only when the data really changed,
    and only then does the queue hear about it (an unchanged PUT does not retry a record in error).
    """
    stored = put(db, company, kind, external_id, payload)
    return stored.record, stored.outcome is Outcome.CREATED


@dataclass(frozen=True)
class Stored:
    """A stored record and what was done."""

    record: Record
    outcome: Outcome


def put(db: Session, company: CompanyRef, kind: RecordKind, external_id: str, payload: Any) -> Stored:
    """Create or replace one record as `upsert` does; a new one goes in with its first state, queue item and log."""
    stored = _store(db, company, kind, external_id, payload)
    if isinstance(stored, Stored):
        return stored
    record = stored.as_record()
    # Known to be as stored: the session holds it without reading it back.
    make_transient_to_detached(record)
    db.add(record)
    return Stored(record, Outcome.CREATED)


def put_shown(
    db: Session,
    company: CompanyRef,
    kind: RecordKind,
    external_id: str,
    payload: Any,
    *,
    storable: bool = False,
    found: Any = None,
) -> tuple[dict[str, Any], Outcome]:
    """Store one record as `put` does and return it as the API shows it, with what was done.

    A new record is shown from what was inserted (its log entries too): nothing is read back and no ORM object is
    made for it. A stored one is shown with its latest log entries. `storable`: as `validation.validate` takes it.
    `found`: the row of `lookup.with_token`'s query for this record, read in this transaction (else it is looked up).
    """
    stored = _store(db, company, kind, external_id, payload, storable=storable, found=found)
    if isinstance(stored, Stored):
        db.flush()  # the log is read through the connection, which does not flush the session
        return serialize(stored.record, record_log(db, stored.record.id)), stored.outcome
    return serialize(stored, stored.log_lines()), Outcome.CREATED


def _store(
    db: Session,
    company: CompanyRef,
    kind: RecordKind,
    external_id: str,
    payload: Any,
    *,
    storable: bool = False,
    found: Any = None,
) -> Stored | NewRecord:
    """Create or replace one record; return a new one as inserted, a stored one with what was done."""
    external_id = check_external_id(external_id)
    data = validate(kind, payload, storable=storable)
    if found is None:
        record, item = lookup.find_with_item(db, company, kind, external_id)
    else:
        record, item = lookup.found(db, found)
    if record is None:
        inserted = bulk.insert_new(db, company, kind, [(external_id, data)])
        if inserted:
            log.info("Stored %s %s for %s (version 1)", kind.value, external_id, company.slug)
            return inserted[0]
        # Another request created it between our look and our insert: this PUT becomes an update of theirs.
        record, item = lookup.find_with_item(db, company, kind, external_id)
        if record is None:  # pragma: no cover - the insert was skipped only because the row exists
            raise NotFound(f"no {kind.value} with external_id {readable(external_id)!r}")
    record, outcome = _edit(db, company, record, data, item)
    log.info("Stored %s %s for %s (version %d)", kind.value, record.external_id, company.slug, record.version)
    return Stored(record, outcome)


def _edit(
    db: Session, company: CompanyRef, record: Record, data: dict[str, Any], item: QueueItem | None
) -> tuple[Record, Outcome]:
    """Store one PUT's data on a stored record whose open queue item (or None) was read with it; return the record as
    stored (the session's object when the ORM stored it: the record and item may be `lookup.Columns`).

    Its log lines (stored, and queued when it sends a Mod) go in as one multi-row INSERT after the flush.
    """
    # Nothing can be queued anew when the record has an open item or its data did not change; and a SQLite
    # transaction holds the write lock from its first statement (BEGIN IMMEDIATE), so no other session can queue
    # the record between our look and our insert. Then its queue item needs no savepoint of its own.
    if item is not None or record.data == data or database.serialised(db):
        with synclog.gathered(db):
            return _update(db, company, record, data, item)
    # Another process may queue it meanwhile. Through Core, its queue item's INSERT skips theirs and says so before
    # anything else is written (no savepoint: two statements fewer on PostgreSQL).
    try:
        with synclog.gathered(db):
            if not removal.is_removed(record) and edit.edit(db, company, record, data, None, guarded=False):
                return record, Outcome.UPDATED
    except edit.QueuedMeanwhile:
        return _again(db, company, record, data)
    # Through the ORM, the record's UPDATE and its new queue item go in one savepoint (not an UPDATE, a savepoint of
    # the queue's own and a second UPDATE for its state).
    record = lookup.loaded(db, record, None)[0]
    try:
        with db.begin_nested(), synclog.gathered(db):
            return record, update(db, company, record, data, item=None, unguarded=True)
    except IntegrityError:
        return _again(db, company, record, data)


def _again(db: Session, company: CompanyRef, record: Record, data: dict[str, Any]) -> tuple[Record, Outcome]:
    """Store an edit again joining the open item another request gave the record meanwhile (the first try undone)."""
    # Theirs is the record's one open item: the edit, undone, is done again joining it.
    log.info("%s %s was queued by another request meanwhile; storing the edit again", record.kind.value, record.id)
    record = lookup.loaded(db, record, None)[0]
    db.expire(record)  # the values the undone edit put on it as stored are read again
    with synclog.gathered(db):
        return record, update(db, company, record, data)


def _update(
    db: Session, company: CompanyRef, record: Record, data: dict[str, Any], item: QueueItem | None
) -> tuple[Record, Outcome]:
    """`update` with the record's open item read already, as Core statements when `edit.edit` can write it."""
    if record.data == data:
        return record, Outcome.UNCHANGED  # as `update` answers, without making the session's objects
    if not removal.is_removed(record) and edit.edit(db, company, record, data, item):
        return record, Outcome.UPDATED
    record, item = lookup.loaded(db, record, item)  # the ORM stores the rest
    return record, update(db, company, record, data, item=item, unguarded=True)


def save(db: Session, company: CompanyRef, kind: RecordKind, external_id: Any, payload: Any) -> tuple[Record, Outcome]:
    """Create or replace a record; return it and what was done. Everything is checked before anything is written."""
    stored = put(db, company, kind, external_id, payload)
    return stored.record, stored.outcome


def update(
    db: Session,
    company: CompanyRef,
    record: Record,
    data: dict[str, Any],
    *,
    item: queue.Known = queue.LOOK,
    unguarded: bool = False,
) -> Outcome:
    """Store checked data on an existing record and tell the queue; refuse a change to a removed record.

    `item`: the record's open queue item when the caller has read it already (a batch reads them all at once).
    `unguarded`: a new queue item goes in without a savepoint of its own, the caller having one around all of them.
    """
    if record.data == data:
        return Outcome.UNCHANGED
    if removal.is_removed(record):
        raise InvalidInput(
            {
                "external_id": f"this {record.kind.value} was removed ({removal.describe(record)}); a removed record "
                "cannot change. Send a new record with another external_id instead."
            }
        )
    if item is queue.LOOK:
        item = queue.open_item(db, record)  # read before the change, so the record is written in one UPDATE
    changed = sorted(key for key in {*record.data, *data} if record.data.get(key) != data.get(key))
    record.data = data
    record.version += 1
    record.updated_at = clock.now()
    synclog.append(db, record, LogEvent.STORED, f"Updated by the app (version {record.version}): {', '.join(changed)}.")
    queue.record_changed(db, company, record, item=item, unguarded=unguarded)
    return Outcome.UPDATED


def check_external_id(external_id: Any) -> str:
    """Return a usable external_id, or raise InvalidInput saying why it is not."""
    if not isinstance(external_id, str) or not external_id.strip():
        raise InvalidInput({"external_id": "must not be empty"})
    if len(external_id) > EXTERNAL_ID:
        raise InvalidInput({"external_id": f"must be at most {EXTERNAL_ID} characters"})
    if (
        external_id != external_id.strip()
        or any(ord(char) < 32 for char in external_id)
        or UNSTORABLE.search(external_id)
    ):
        raise InvalidInput({"external_id": "must not start or end with spaces or contain control characters"})
    return external_id


def find(db: Session, company: CompanyRef, kind: RecordKind, external_id: str) -> Record | None:
    """Return a company's record by kind and external_id, or None."""
    return db.scalar(_FIND, {"company_id": company.id, "kind": kind, "external_id": external_id})


# Built once: the lookup every PUT and GET of one record makes (the unique company, kind, external_id index).
_FIND = select(Record).where(
    Record.company_id == bindparam("company_id"),
    Record.kind == bindparam("kind"),
    Record.external_id == bindparam("external_id"),
)


def find_many(db: Session, company: CompanyRef, kind: RecordKind, external_ids: Iterable[str]) -> dict[str, Record]:
    """Return a company's records of one kind by external_id, read in one query (missing ones are absent)."""
    wanted = list(external_ids)
    if not wanted:
        return {}
    query = select(Record).where(Record.company_id == company.id, Record.kind == kind, Record.external_id.in_(wanted))
    return {record.external_id: record for record in db.scalars(query)}


def get(db: Session, company: CompanyRef, kind: RecordKind, external_id: str) -> Record:
    """Return a company's record by kind and external_id; raise NotFound (another company's record is not found)."""
    # An id holding text no record can have (NUL breaks PostgreSQL's query) is simply not found.
    record = None if UNSTORABLE.search(external_id) else find(db, company, kind, external_id)
    if record is None:
        raise NotFound(f"no {kind.value} with external_id {readable(external_id)!r}")
    return record


def list_records(
    db: Session,
    company: CompanyRef,
    kind: RecordKind,
    sync_state: SyncState | None = None,
    limit: int = DEFAULT_PAGE,
    cursor: str | None = None,
) -> Page:
    """Return one page of a company's records of one kind, oldest first; `cursor` continues after the last page."""
    limit = max(1, min(int(limit), MAX_PAGE))
    query = select(Record).where(Record.company_id == company.id, Record.kind == kind)
    if sync_state is not None:
        query = query.where(Record.sync_state == sync_state)
    if cursor:
        query = query.where(Record.id > parse_cursor(cursor))
    rows = list(db.scalars(query.order_by(Record.id).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, str(rows[-1].id) if more else None)


def parse_cursor(cursor: str) -> int:
    """Read a list cursor; raise InvalidInput when it is not one this server handed out."""
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 10 or int(cursor) > MAX_ID:
        raise InvalidInput({"cursor": "is not a cursor from a previous page"})
    return int(cursor)


def record_log(db: Session, record_id: int, limit: int = LOG_IN_ONE) -> list[Any]:
    """Return one record's latest log entries, oldest first, without the qbXML bodies (as `serialize` shows them)."""
    # Through the connection: plain rows of four columns, read newest first on the (record_id, id) index.
    rows = db.connection().execute(_ONE_RECORDS_LOG, {"record_id": record_id, "limit": limit}).all()
    return list(reversed(rows))


# Built once: the latest entries of one record, newest first (every PUT or GET of one record answers with them).
_ONE_RECORDS_LOG = (
    select(SyncLogEntry.at, SyncLogEntry.event, SyncLogEntry.message, SyncLogEntry.status_code)
    .where(SyncLogEntry.record_id == bindparam("record_id"))
    .order_by(SyncLogEntry.id.desc())
    .limit(bindparam("limit"))
)


def log_entries(db: Session, records: list[Record], per_record: int = LOG_IN_ONE) -> dict[int, list[SyncLogEntry]]:
    """Return the latest log entries of several records in one query, without the qbXML bodies."""
    if not records:
        return {}
    # Number each record's entries newest first, so one query returns only the latest few of each.
    ranked = (
        select(
            SyncLogEntry.id,
            func.row_number()
            .over(partition_by=SyncLogEntry.record_id, order_by=SyncLogEntry.id.desc())
            .label("newest"),
        )
        .where(SyncLogEntry.record_id.in_([record.id for record in records]))
        .subquery()
    )
    rows = db.scalars(
        select(SyncLogEntry)
        .options(_WITHOUT_BODIES)
        .join(ranked, ranked.c.id == SyncLogEntry.id)
        .where(ranked.c.newest <= per_record)
        .order_by(SyncLogEntry.id)
    ).all()
    by_record: dict[int, list[SyncLogEntry]] = defaultdict(list)
    for entry in rows:
        by_record[entry.record_id].append(entry)  # type: ignore[index]
    return dict(by_record)


def serialize(record: Record | NewRecord, entries: Sequence[Any]) -> dict[str, Any]:
    """Show a record as the API does: its fields, its QuickBooks identity and its sync state with the log.

    `entries`: its log entries, oldest first, each with `at`, `event`, `message` and `status_code`.
    """
    return {
        "external_id": record.external_id,
        **ordered(SCHEMAS[record.kind], record.data or {}),
        "quickbooks": {
            "id": record.qb_id,
            "edit_sequence": record.qb_edit_sequence,
            "full_name": record.qb_full_name,
            **quickbooks_figures(record),
        },
        "sync": {
            "state": record.sync_state.value,
            "last_error": record.last_error.to_json() if record.last_error else None,
            "removal": record.removal,
            "warnings": list(record.warnings or []),
            "deleted_in_quickbooks_at": (record.qb_data or {}).get("deleted_in_quickbooks")
            if record.sync_state is SyncState.QB_DELETED
            else None,
            "conflicts": list((record.qb_data or {}).get("conflicts") or []),
            "log": [
                {
                    "at": entry.at.isoformat() if entry.at else None,
                    "event": entry.event.value,
                    "message": entry.message,
                    "status_code": entry.status_code,
                }
                for entry in entries
            ],
        },
    }


def quickbooks_figures(record: Record | NewRecord) -> dict[str, Any]:
    """Return QuickBooks' totals and paid status of a transaction as the API shows them (nothing for list records)."""
    if not record.kind.is_transaction:
        return {}
    figures = record.qb_totals or {}
    paid = figures.get("paid")
    return {
        "totals": {key: figures.get(key) for key in ("subtotal", "tax", "total", "balance")},
        "paid": paid if isinstance(paid, bool) else None,
    }
