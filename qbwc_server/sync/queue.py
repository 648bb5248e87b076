"""The persistent queue: what goes to QuickBooks, in which order; the moves themselves go through `lifecycle`."""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from qbwc_server import synclog
from qbwc_server.company_settings import effective
from qbwc_server.errors import QbwcError
from qbwc_server.models import (
    REMOVALS,
    Company,
    CompanyRef,
    LogEvent,
    Note,
    NoteKind,
    QueueAction,
    QueueItem,
    QueueStatus,
    Record,
    RecordKind,
    SyncState,
    is_open,
)
from qbwc_server.sync import changes, lifecycle, references
from qbwc_server.sync.changes import UNSYNCED as UNSYNCED
from qbwc_server.sync.changes import Need
from qbwc_server.sync.changes import excluded_by_person as excluded_by_person
from qbwc_server.sync.changes import link_only as link_only
from qbwc_server.sync.dependencies import PRIORITY, Ref
from qbwc_server.sync.lifecycle import Event, ItemEvent

log = logging.getLogger(__name__)


class _Look(enum.Enum):
    LOOK = "look"


LOOK = _Look.LOOK  # record_changed's default: look the record's open item up
Known = QueueItem | None | _Look  # a record's open item as the caller read it, or LOOK


def open_item(db: Session, record: Record) -> QueueItem | None:
    """Return the record's open (ready or sent) queue item, if any."""
    return db.scalar(_OPEN_ITEM, {"record_id": record.id})


# Built once: building the select (and its cache key) at each call cost more than running it.
_OPEN_ITEM = select(QueueItem).where(QueueItem.record_id == bindparam("record_id"), is_open())


def open_items(db: Session, records: Iterable[Record]) -> dict[int, QueueItem | None]:
    """Return each record's open queue item (None when it has none), read in one query."""
    found: dict[int, QueueItem | None] = {record.id: None for record in records}
    if found:
        query = select(QueueItem).where(QueueItem.record_id.in_(list(found)), is_open())
        for item in db.scalars(query):
            found[item.record_id] = item  # type: ignore[index]
    return found


def record_changed(
    db: Session,
    company: CompanyRef,
    record: Record,
    *,
    explicit: bool = False,
    new: bool = False,
    item: Known = LOOK,
    unguarded: bool = False,
) -> None:
    """Decide what a new or changed record needs, and queue it when it should go to QuickBooks.

    `new`: the record was inserted in this transaction, so it has no queue item yet and no other session can
    queue it: neither the open-item lookup nor the savepoint around the insert is needed. `item`: the record's
    open queue item, when the caller has read it already (a batch reads all of them in one query). `unguarded`: a
    new queue item goes in with the next flush, without a savepoint of its own: the caller holds one around many
    records and does them again one by one if another session queued one of them meanwhile.
    """
    if changes.ignored(record, explicit):
        return
    if item is LOOK:
        item = None if new else open_item(db, record)
    change = changes.needed(company, record, item, explicit=explicit)
    if change.need is Need.REMOVAL:
        if record.qb_id is None:
            # An Add whose outcome was never settled: look for it first; the removal follows what is found.
            enqueue(db, company, record, action=QueueAction.LOOKUP, unknown_outcome=True, existing=None)
        else:
            enqueue(db, company, record, action=QueueAction(record.removal), existing=None)
    elif change.need in (Need.EXCLUDE, Need.HOLD):
        _drop_ready_item(db, record)
        if change.moves and change.need is Need.EXCLUDE:
            assert change.note is not None
            lifecycle.move(db, record, Event.EXCLUDE, change.note)
            synclog.append(db, record, LogEvent.EXCLUDED, change.note.message)
        elif change.moves:
            lifecycle.move(db, record, Event.HOLD, change.note)
    elif change.need is Need.LINKED:
        # QuickBooks' own item, used as it is: an edit in the app never goes to QuickBooks.
        lifecycle.accept_version(record)
        if record.sync_state is not SyncState.SYNCED:
            lifecycle.move(db, record, Event.CONFIRM)
    elif change.need is Need.CONFIRM:
        lifecycle.move(db, record, Event.CONFIRM)
    elif change.need is Need.QUEUE:
        enqueue(db, company, record, existing=item, fresh=new or (unguarded and item is None))


_LOOK = object()  # enqueue's default: look the record's open item up


def enqueue(
    db: Session,
    company: CompanyRef,
    record: Record,
    *,
    action: QueueAction = QueueAction.SEND,
    priority: int | None = None,
    unknown_outcome: bool = False,
    existing: QueueItem | None | object = _LOOK,
    fresh: bool = False,
    _seen: set[int] | None = None,
) -> QueueItem:
    """Queue a record (one open item per record) and, first, any prerequisite that is not on its way.

    `fresh`: the record was inserted in this transaction; its item goes in with the next flush, without a savepoint.
    """
    seen = _seen if _seen is not None else set()
    seen.add(record.id)
    # A removal (void, delete, deactivation) names only the record's own QuickBooks id: it needs nothing else first.
    if action not in REMOVALS:
        queue_prerequisites(db, company, record, seen)
    if existing is _LOOK:
        existing = open_item(db, record)
    if isinstance(existing, QueueItem):
        if action is QueueAction.LOOKUP and existing.status is QueueStatus.READY:
            # Asked to look it up first (QuickBooks may already hold it): the waiting item does that now.
            lifecycle.move_item(existing, ItemEvent.AGAIN, action=action, unknown_outcome=True)
        return existing
    if action is QueueAction.SEND:
        action = first_action(db, company, record)
    item = QueueItem(
        company_id=company.id,
        record_id=record.id,
        action=action,
        status=QueueStatus.READY,
        priority=priority if priority is not None else PRIORITY[record.kind],
        unknown_outcome=unknown_outcome,
    )
    if fresh:
        db.add(item)  # no other session can see the record, so none can have queued it
    else:
        try:
            with db.begin_nested():
                db.add(item)
                db.flush()
        except IntegrityError:
            # Another process queued it between our look and our insert: theirs is the one open item.
            existing = open_item(db, record)
            assert existing is not None
            return existing
    lifecycle.move(db, record, Event.QUEUE)
    synclog.append(db, record, LogEvent.QUEUED, "Queued for QuickBooks.")
    return item


def queue_prerequisites(db: Session, company: CompanyRef, record: Record, seen: set[int]) -> None:
    """Queue the records this one references that are not on their way to QuickBooks (`seen`: queued already)."""
    for prerequisite in references.referenced_records(db, company, record):
        if prerequisite.id in seen or prerequisite.qb_id and prerequisite.synced_version == prerequisite.version:
            continue
        if prerequisite.sync_state in (SyncState.ERROR, SyncState.EXCLUDED, SyncState.QB_DELETED):
            continue  # it waits for a person; the dependant shows it is blocked when claimed
        if open_item(db, prerequisite) is None:
            enqueue(db, company, prerequisite, existing=None, _seen=seen)


def first_action(db: Session, company: CompanyRef, record: Record) -> QueueAction:
    """The action a record's new item sends it with: a lookup first when QuickBooks may hold it already."""
    if _may_exist_already(db, company, record) or link_only(record.kind, record.data):
        return QueueAction.LOOKUP
    return QueueAction.SEND


def invoice_party(data: dict[str, Any]) -> Ref:
    """The job or customer an invoice is for: QuickBooks can only have the invoice when it has that one."""
    return (RecordKind.JOB, str(data["job"])) if data.get("job") else (RecordKind.CUSTOMER, str(data.get("customer")))


def _may_exist_already(db: Session, company: CompanyRef, record: Record) -> bool:
    """Tell whether a new invoice should first be looked for in QuickBooks by its number.

    Only when its customer is already in QuickBooks (imported or synced): an invoice for a customer QuickBooks
    does not have yet cannot be there, and skipping the lookup saves a round trip.
    """
    if record.kind is not RecordKind.INVOICE or record.qb_id or not (record.data or {}).get("number"):
        return False
    if not effective(company.settings)["link_existing_invoices"]:
        return False
    party = invoice_party(record.data or {})
    found = references.find_records(db, company.id, [party]).get(party)
    return found is not None and bool(found.qb_id)


def request_sync(db: Session, company: Company, record: Record) -> None:
    """Queue one record now because someone asked (API, CLI or page), even when automatic sync is off."""
    if record.sync_state is SyncState.QB_DELETED:
        raise QbwcError(
            f"{record.kind.value} {record.external_id} was deleted in QuickBooks; re-add it to send it to QuickBooks "
            "again"
        )
    if record.sync_state in (SyncState.ERROR, SyncState.BLOCKED, SyncState.EXCLUDED):
        lifecycle.move(db, record, Event.RESET)
    record_changed(db, company, record, explicit=True)


def find_by_name(db: Session, company: Company, record: Record, needed_by: Record) -> None:
    """Queue a lookup by name of a record from before the sync start date that a syncing record needs.

    QuickBooks' entry of that name is linked; when it has none, the record is added (setting
    start_date_prerequisites: find_or_add) or fails for a person to link (find_only).
    """
    if open_item(db, record) is not None:
        return
    label = needed_by.kind.value
    shown = (needed_by.data or {}).get("number") or needed_by.external_id
    synclog.append(
        db,
        record,
        LogEvent.QUEUED,
        f"Needed by {label} {shown}, which syncs: looking for it in QuickBooks by name (it was created before the "
        "sync start date, so it is not sent on its own).",
    )
    enqueue(db, company, record, action=QueueAction.LOOKUP)


def force_sync(db: Session, company: Company) -> int:
    """Queue every record of the company that is not in QuickBooks in its current version; return how many."""
    rows = db.scalars(
        select(Record).where(
            Record.company_id == company.id,
            Record.sync_state.in_([*UNSYNCED]),
        )
    ).all()
    queued = 0
    for record in rows:
        request_sync(db, company, record)
        queued += record.sync_state is SyncState.QUEUED
    return queued


def settings_changed(db: Session, company: Company) -> int:
    """Re-decide records held or excluded by the old settings (not those a person excluded); return how many moved."""
    rows = db.scalars(
        select(Record).where(
            Record.company_id == company.id, Record.sync_state.in_([SyncState.PENDING, SyncState.EXCLUDED])
        )
    ).all()
    moved = 0
    for record in rows:
        if record.sync_state is SyncState.EXCLUDED and excluded_by_person(record):
            continue
        before = record.sync_state
        record_changed(db, company, record)
        moved += record.sync_state is not before
    return moved


def readd(db: Session, company: Company, record: Record) -> None:
    """Add a record deleted in QuickBooks to QuickBooks again, because a person chose to."""
    if record.sync_state is not SyncState.QB_DELETED:
        raise QbwcError(f"{record.kind.value} {record.external_id} was not deleted in QuickBooks; nothing to re-add")
    lifecycle.move(db, record, Event.READD)
    lifecycle.forget_deleted(record)
    record.qb_data = {k: v for k, v in (record.qb_data or {}).items() if k != "deleted_in_quickbooks"}
    synclog.append(db, record, LogEvent.RETRIED, "Re-add requested: it goes to QuickBooks as a new entry.")
    record_changed(db, company, record, explicit=True)


def reprocess(db: Session, company: Company, record: Record) -> None:
    """Try a record in error again after someone fixed the cause."""
    synclog.append(db, record, LogEvent.RETRIED, "Reprocess requested.")
    request_sync(db, company, record)


def cancel(db: Session, record: Record, reason: str = "Cancelled.") -> None:
    """Take a record off the queue; it stays pending until it changes or someone syncs it."""
    item = open_item(db, record)
    if item is not None and item.status is QueueStatus.SENT:
        raise_busy(record)
    _drop_ready_item(db, record)
    lifecycle.move(db, record, Event.RESET)
    synclog.append(db, record, LogEvent.CANCELLED, reason)


def exclude(db: Session, record: Record, reason: str) -> None:
    """Mark a record as never to be synced, with the reason a person gave."""
    item = open_item(db, record)
    if item is not None and item.status is QueueStatus.SENT:
        raise_busy(record)
    _drop_ready_item(db, record)
    lifecycle.move(db, record, Event.EXCLUDE, Note(NoteKind.EXCLUDED_BY_PERSON, f"Excluded by a person: {reason}"))
    synclog.append(db, record, LogEvent.EXCLUDED, f"Excluded: {reason}")


def raise_busy(record: Record) -> None:
    """Refuse to touch a record whose request QuickBooks is running right now."""
    raise QbwcError(
        f"{record.kind.value} {record.external_id} is being sent to QuickBooks right now; try again shortly"
    )


def _drop_ready_item(db: Session, record: Record) -> None:
    item = open_item(db, record)
    if item is not None and item.status is QueueStatus.READY:
        lifecycle.move_item(item, ItemEvent.CANCEL)


# --- claiming and finishing --------------------------------------------------------------------------------

# The ready items and their sending order (the planner reads them), built once.
READY = (
    QueueItem.company_id == bindparam("company_id"),
    QueueItem.status == QueueStatus.READY,
    (QueueItem.not_before.is_(None)) | (QueueItem.not_before <= bindparam("now")),
)
ORDER = (QueueItem.priority, QueueItem.id)  # the sending order


def answered(db: Session, company: Company, ticket: str) -> tuple[list[QueueItem], dict[int, Record]]:
    """Return the items a session has sent and not yet heard back about, and their records, in one query."""
    items, records = [], {}
    for item, record in db.execute(_IN_FLIGHT, {"company_id": company.id, "ticket": ticket}):
        items.append(item)
        if record is not None:
            records[record.id] = record
    return items, records


_UNREAD_ITEM_COLUMNS = (QueueItem.created_at, QueueItem.updated_at, QueueItem.sent_at, QueueItem.finished_at)
# (A record's created_at stays: a lookup that found nothing reads it for an undated transaction and a start date.)
_UNREAD_RECORD_COLUMNS = (Record.updated_at, Record.synced_at, Record.qb_line_ids, Record.warnings, Record.linked_data)
_IN_FLIGHT = (  # built once: a session's items in flight, with their records (an import's item has none)
    select(QueueItem, Record)
    .outerjoin(Record, Record.id == QueueItem.record_id)
    .where(
        QueueItem.company_id == bindparam("company_id"),
        QueueItem.status == QueueStatus.SENT,
        QueueItem.ticket == bindparam("ticket"),
    )
    .order_by(QueueItem.id)
    # Filing writes these columns (or never looks at them) and does not read them: they are not read and decoded for
    # every item and record (a five-line invoice's two answers: 12 timestamps and 6 JSON columns fewer). One that
    # something does read later is loaded then, on its own.
    .options(*(defer(column) for column in (*_UNREAD_ITEM_COLUMNS, *_UNREAD_RECORD_COLUMNS)))
)


def orphaned(db: Session, company: Company, current_ticket: str) -> list[QueueItem]:
    """Return items sent by sessions other than the current one (they died before answering)."""
    return list(
        db.scalars(
            select(QueueItem)
            .where(
                QueueItem.company_id == company.id,
                QueueItem.status == QueueStatus.SENT,
                QueueItem.ticket != current_ticket,
            )
            .order_by(QueueItem.id)
        ).all()
    )


def counts(db: Session, company: Company) -> dict[str, int]:
    """Return how many records are in each sync state."""
    rows = db.execute(
        select(Record.sync_state, func.count()).where(Record.company_id == company.id).group_by(Record.sync_state)
    ).all()
    result = {state.value: 0 for state in SyncState}
    for state, number in rows:
        result[state.value] = number
    return result
