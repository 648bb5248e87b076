"""One PUT's edit of a stored record as a few Core statements instead of the ORM's unit of work.

What the edit needs is decided as for any change (`sync.changes.needed`, which `queue.record_changed` acts on),
and the state it moves to is the lifecycle's (`lifecycle.stored_move`). The record's data, version and state go in
one UPDATE, a new queue item in one INSERT, and the log lines with the caller's `synclog.gathered` block; the loaded
record gets the written values as its stored ones, so no flush writes them again. An edit whose need only the ORM
path handles (a waiting item to drop, a removal, a confirmation a webhook announces) is left to `store.update`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, exists, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from qbwc_server import clock, multirow, synclog
from qbwc_server.models import CompanyRef, LogEvent, QueueItem, Record
from qbwc_server.records import together
from qbwc_server.records.bulk import item_row
from qbwc_server.records.together import QUEUE_ITEMS, RECORDS
from qbwc_server.sync import lifecycle, queue
from qbwc_server.sync.changes import Change, Need, needed
from qbwc_server.sync.dependencies import prerequisites
from qbwc_server.sync.lifecycle import Event

_KEPT = ("data", "version", "updated_at")  # what every edit writes
_MOVED = ("sync_state", "last_error")  # … and an edit that moves the record


class QueuedMeanwhile(Exception):
    """Another process queued the record after it was read (its open item is there): nothing of the edit is
    written but its log lines, which the caller's `synclog.gathered` block drops as the exception leaves it."""


def edit(
    db: Session,
    company: CompanyRef,
    record: Record,
    data: dict[str, Any],
    item: QueueItem | None,
    *,
    guarded: bool = True,
) -> bool:
    """Store checked data that differs from a stored record's (not a removed one), whose open queue item (or None)
    was read with it; return False, with nothing written or changed, when the ORM path must do it. The record and
    item may be the session's objects or their columns as read (`lookup.Columns`).

    `guarded`: no other process can queue the record meanwhile (SQLite's write lock, an open item read, or the
    caller's savepoint, where a clash is an IntegrityError of the item's INSERT). Unguarded (PostgreSQL, no open item,
    no savepoint: two statements fewer), the item's INSERT and the record's UPDATE are one statement, which writes
    nothing when another process added an open item meanwhile, and QueuedMeanwhile is raised; a record with
    prerequisites to queue is left to the ORM path (False), which the caller runs in a savepoint.
    """
    if isinstance(record, Record) and (inspect(record).modified or (item is not None and inspect(item).modified)):
        return False  # the session holds unwritten changes of them: the ORM writes everything in order
    before = {key: getattr(record, key) for key in _KEPT}
    columns: dict[str, Any] = {"data": data, "version": record.version + 1, "updated_at": clock.now()}
    _stored(record, columns)  # the change is decided on the record as it will be
    change = needed(company, record, item)
    if not _without_orm(change, item):
        _stored(record, before)
        return False
    changed = sorted(key for key in {*before["data"], *data} if before["data"].get(key) != data.get(key))
    synclog.append(db, record, LogEvent.STORED, f"Updated by the app (version {record.version}): {', '.join(changed)}.")
    if not guarded and change.need is Need.QUEUE and item is None and prerequisites(record.kind, data):
        _stored(record, before)
        return False
    if change.need is Need.QUEUE:
        queue.queue_prerequisites(db, company, record, {record.id})
        if item is None:
            action = queue.first_action(db, company, record)
            row = item_row(company.id, record.id, record.kind, action, columns["updated_at"])
            columns |= lifecycle.stored_move(record, Event.QUEUE)
            if not guarded:  # PostgreSQL (SQLite's transactions are serial): the item's INSERT and the UPDATE in one
                _queue_and_update(db, record, row, columns)
                synclog.append(db, record, LogEvent.QUEUED, "Queued for QuickBooks.")
                _stored(record, columns)
                return True
            multirow.insert(db, QUEUE_ITEMS, [row])
            synclog.append(db, record, LogEvent.QUEUED, "Queued for QuickBooks.")
    elif change.moves:
        event = Event.EXCLUDE if change.need is Need.EXCLUDE else Event.HOLD
        columns |= lifecycle.stored_move(record, event, change.note)
        if change.need is Need.EXCLUDE and change.note is not None:
            synclog.append(db, record, LogEvent.EXCLUDED, change.note.message)
    statement = _UPDATE_MOVED if "sync_state" in columns else _UPDATE
    db.connection().execute(statement, {"record_id": record.id, **{f"new_{key}": v for key, v in columns.items()}})
    _stored(record, columns)
    return True


def _queue_and_update(db: Session, record: Record, item: dict[str, Any], columns: dict[str, Any]) -> None:
    """PostgreSQL, unguarded: insert the record's queue item and, only when it went in, write the record's columns,
    as one statement; raise QueuedMeanwhile, nothing written, when another process's open item is there."""
    params = {f"item_{key}": value for key, value in item.items()}
    params.update({f"new_{key}": value for key, value in columns.items()}, record_id=record.id)
    if db.connection().execute(_queue_and_update_of(tuple(item)), params).first() is None:
        raise QueuedMeanwhile(record.id)


def _without_orm(change: Change, item: QueueItem | None) -> bool:
    """Tell whether this module writes what the change needs: queueing, or nothing, or a move with no item to drop."""
    if change.need in (Need.NOTHING, Need.QUEUE):
        return True
    return change.need in (Need.EXCLUDE, Need.HOLD) and item is None


def _stored(record: Record, values: dict[str, Any]) -> None:
    """Put values on the loaded record as its stored ones (no flush writes them); on its columns when it was read
    as `lookup.Columns`, not made into the session's object."""
    if not isinstance(record, Record):
        vars(record).update(values)
        return
    for key, value in values.items():
        set_committed_value(record, key, value)


def _update_of(keys: tuple[str, ...]) -> Any:
    return (
        update(RECORDS)
        .where(RECORDS.c.id == bindparam("record_id"))
        .values({key: bindparam(f"new_{key}") for key in keys})
    )


# Built once (SQLAlchemy compiles each once): an edit that leaves the record's state, and one that moves it.
_UPDATE = _update_of(_KEPT)
_UPDATE_MOVED = _update_of(_KEPT + _MOVED)


@cache
def _queue_and_update_of(keys: tuple[str, ...]) -> Any:
    """Build once per item's columns: the item's INSERT skipping a clash with another open item of the record (ON
    CONFLICT DO NOTHING, as `multirow`'s), and the record's UPDATE, which runs only when the item went in (it reads
    the INSERT's returned id), so a clash writes nothing."""
    new_item = together.inserted_id(QUEUE_ITEMS, keys, "item_", "new_item")
    return _update_of(_KEPT + _MOVED).where(exists(select(new_item.c.id))).returning(RECORDS.c.id).add_cte(new_item)
