"""Choose the next batch: ready items in priority order whose prerequisites are already in QuickBooks.

Planning writes (it queues missing prerequisites and notes why records wait) only when asked to: `plan` at a Web
Connector check-in and `plan_batch` when a batch is claimed. `has_sendable` asks the same question and writes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.company_settings import effective
from qbwc_server.models import Company, Note, NoteKind, QueueAction, QueueItem, Record, RecordKind, SyncState
from qbwc_server.sync import lifecycle, planned, queue, references
from qbwc_server.sync.dependencies import prerequisites
from qbwc_server.sync.eligibility import Verdict, before_start_date, decide
from qbwc_server.sync.lifecycle import Event
from qbwc_server.sync.planned import Planned, PlannedItem, Queued, Renderable, entity, item_entity, rows_of

CHUNK = 200
FIRST_CHUNK = 25  # items read at once when the first ones wait (each later read takes twice as many, up to CHUNK)
FIRST_LOOKAHEAD = 4  # items (and records) read beyond those the batch needs: most of them usually can go
MAX_SCAN = 5000


def display_name(record: Record | references.Referenced) -> str:
    """Return the name a bookkeeper knows a record by."""
    data = record.data or {}
    if record.qb_full_name:
        return record.qb_full_name
    for key in ("name", "company_name", "number"):
        if data.get(key):
            return str(data[key])
    if data.get("last_name") or data.get("first_name"):
        return " ".join(str(data[k]) for k in ("first_name", "last_name") if data.get(k))
    return record.external_id


def needed_from_before_start(record: Record, settings: dict[str, Any]) -> bool:
    """Tell whether an excluded record is so only for its date, and so is found (or added) when a record needs it."""
    return not queue.excluded_by_person(record) and before_start_date(record, settings)


class WouldQueue(Exception):
    """Raised while planning without writing, when planning would queue a pending prerequisite (so there is work)."""


def waiting_reason(
    db: Session,
    company: Company,
    record: Renderable,
    in_batch: set[tuple[RecordKind, str]] | frozenset[tuple[RecordKind, str]] = frozenset(),
    *,
    write: bool = True,
) -> tuple[SyncState, str, int | None] | None:
    """Say why a record cannot go yet (state QUEUED: waiting; BLOCKED: a prerequisite needs a person), or None.

    A list record (customer, job, item, vendor) added earlier in the same batch counts as there: QuickBooks runs a
    message set in order, and the dependant refers to it by full name.
    """
    refs = references.prerequisites_of(db, record)
    if not refs:
        return None
    found = references.find_referenced(db, company.id, refs)
    for ref_kind, external_id in refs:
        prerequisite: Record | references.Referenced | None = found.get((ref_kind, external_id))
        if prerequisite is None:
            label = _label(ref_kind)
            return SyncState.QUEUED, f"waiting for {label} '{external_id}', which the app has not sent yet", None
        if prerequisite.sync_state in (SyncState.EXCLUDED, SyncState.PENDING):
            # What is decided (and may be written) next reads and changes the record itself, not its row.
            prerequisite = references.entity(db, prerequisite)
        if prerequisite.sync_state is SyncState.QB_DELETED:
            label, name = _label(ref_kind), display_name(prerequisite)
            return (
                SyncState.BLOCKED,
                f"waiting for {label} '{name}', which was deleted in QuickBooks: re-add it, or choose another",
                prerequisite.id,
            )
        if prerequisite.qb_id or (ref_kind.is_list and (ref_kind, external_id) in in_batch):
            continue  # there: the usual case, which needs no label or name (six references an invoice of 5 lines)
        label, name = _label(ref_kind), display_name(prerequisite)
        state = prerequisite.sync_state
        if state is SyncState.ERROR:
            reason = prerequisite.last_error.message if prerequisite.last_error else "see its log"
            return SyncState.BLOCKED, f"waiting for {label} '{name}', which failed: {reason}", prerequisite.id
        if (
            state is SyncState.EXCLUDED
            and isinstance(prerequisite, Record)
            and needed_from_before_start(prerequisite, effective(company.settings))
        ):
            # Created before the sync start date, so never sent alone; a record that syncs needs it now.
            if not write:
                raise WouldQueue
            queue.find_by_name(db, company, prerequisite, entity(db, record))
            return (
                SyncState.QUEUED,
                f"waiting for {label} '{name}', created before the sync start date, to be found in QuickBooks",
                prerequisite.id,
            )
        if state is SyncState.PENDING and isinstance(prerequisite, Record):
            if not write:
                if decide(prerequisite, effective(company.settings), explicit=True).verdict is Verdict.SEND:
                    raise WouldQueue
            else:
                queue.request_sync(db, company, prerequisite)
                state = prerequisite.sync_state
        if state in (SyncState.EXCLUDED, SyncState.PENDING):
            why = prerequisite.last_error.message if prerequisite.last_error else "it is excluded from sync"
            return SyncState.BLOCKED, f"waiting for {label} '{name}', which is not synced: {why}", prerequisite.id
        return SyncState.QUEUED, f"waiting for {label} '{name}' to reach QuickBooks", prerequisite.id
    return None


GROUPED_LOOKUPS = 100


def is_grouped_lookup(item: Queued, record: Renderable) -> bool:
    """Tell whether an item is a first-sync invoice lookup, which shares one InvoiceQuery with others."""
    return _may_group(item) and record.kind is RecordKind.INVOICE


def _may_group(item: Queued) -> bool:
    # What the item alone says of `is_grouped_lookup`, so a full batch skips the others without loading records.
    return item.action is QueueAction.LOOKUP and not item.unknown_outcome


def plan(db: Session, company: Company) -> bool:
    """Plan the queue without sending: queue pending prerequisites and note why each waiting record waits.

    Return whether an item could go now (False may still mean work: a prerequisite queued by this planning).
    """
    return bool(plan_batch(db, company, 1, grouped_lookups=1))


def has_sendable(db: Session, company: Company) -> bool:
    """Tell whether a batch could go now; reads only."""
    with references.sending(db):  # the first item's prerequisites, when read as rows, are read once
        goes = _first_goes(db, company)
        if goes is not None:
            return goes
        try:
            return bool(plan_batch(db, company, 1, grouped_lookups=1, write=False, first=True))
        except WouldQueue:
            return True


def _first_goes(db: Session, company: Company) -> bool | None:
    """Tell, from the first ready item and its record as one row, whether a batch can go now (None: plan to tell).

    After most answers the first item in sending order can go: an import's page, a refresh or removal, or a send
    or lookup whose prerequisites are all in QuickBooks (found as rows, as planning reads them). Only what planning
    would send is True here, and only an empty queue is False; anything else (a record waiting, or a prerequisite
    planning might queue) is planned.
    """
    first = db.execute(_FIRST_READY, {"company_id": company.id, "now": clock.now()}).first()
    if first is None:
        return False  # no item is ready now: planning would find none either
    action, record_id, kind, data = first
    if record_id is None or (kind is not None and action not in (QueueAction.SEND, QueueAction.LOOKUP)):
        return True
    if kind is None:
        return None  # its record is gone: planning skips the item and looks further
    refs = prerequisites(kind, data or {})
    if not refs:
        return True
    found = references.find_referenced(db, company.id, refs)
    ready = all(
        (ref := found.get(key)) is not None and bool(ref.qb_id) and ref.sync_state is not SyncState.QB_DELETED
        for key in refs
    )
    return True if ready else None


# Built once: the first ready item in sending order, with its record's kind and data (none for an import's page).
_FIRST_READY = (
    select(QueueItem.action, QueueItem.record_id, Record.kind, Record.data)
    .outerjoin(Record, Record.id == QueueItem.record_id)
    .where(*queue.READY)
    .order_by(*queue.ORDER)
    .limit(1)
)


def plan_batch(
    db: Session,
    company: Company,
    limit: int,
    *,
    grouped_lookups: int = GROUPED_LOOKUPS,
    write: bool = True,
    first: bool = False,
) -> list[tuple[Queued, Planned | None]]:
    """Return up to `limit` sendable items (locked on PostgreSQL), noting on the others why they wait.

    First-sync invoice lookups ride along beyond the limit (up to `grouped_lookups`): many of them go to
    QuickBooks as one query, so looking for invoices typed in by hand does not cost a round trip per batch.
    With `first`, stop at the first sendable item: enough to tell whether there is work (no lookups ride along).
    """
    # The records' prerequisites are looked up once per chunk, not once per record, and read as rows.
    with references.remembering(db), references.sending(db):
        return _plan_batch(db, company, limit, grouped_lookups, write, first)


def _plan_batch(
    db: Session, company: Company, limit: int, grouped_lookups: int, write: bool, first: bool
) -> list[tuple[Queued, Planned | None]]:
    batch: list[tuple[Queued, Planned | None]] = []
    in_batch: set[tuple[RecordKind, str]] = set()
    counted = grouped = scanned_when_full = 0
    offset = 0
    last = False
    riders = True  # whether a first-sync lookup may be among the items a full batch's window reads
    later_reads = 0  # the chunks read after the first
    while offset < MAX_SCAN:
        loaded: dict[int, Planned] = {}
        riding = counted >= limit  # full: only first-sync lookups among the next CHUNK items may still join
        if riding:
            window = CHUNK - scanned_when_full
            if window <= 0 or grouped >= grouped_lookups or not riders:
                return batch
            chunk = _candidates(db, company, window, lock=write, offset=offset, first_lookups=True)
            offset += window
        else:
            # Enough items to fill the batch and see a few waiting ones; a question locks nothing. The first read
            # takes only a few more than the batch needs (each item read is a row read, and on PostgreSQL a row
            # locked); when items wait, the next reads take more at once.
            # Each later read takes twice as many as the one before: a queue of first-sync invoice lookups beyond
            # the grouped share (skipped by their kind alone) was read 26 or 50 items at a time to its end.
            need = 1 if first else limit
            size = min(CHUNK, need + FIRST_LOOKAHEAD if offset == 0 else (need + FIRST_CHUNK) << later_reads)
            if offset == 0:
                # Most of the first chunk is planned (it is the batch and a few more): its records come with it, and
                # whether a first-sync lookup is among the items the window after a full batch would read.
                chunk, loaded, riders = _candidates_and_records(db, company, size, lock=write, riders=not first)
                references.find_references(db, company.id, loaded.values())
            else:
                chunk = _candidates(db, company, size, lock=write, offset=offset)
                later_reads += 1
                riders = True  # the window after this chunk is beyond what the first chunk's answer covers
            if not chunk:
                break
            offset += len(chunk)
            # A short chunk is the queue's last: asking for the next one would find nothing.
            last = len(chunk) < size
        items = [item for item, _ in chunk]
        for index, (item, kind) in enumerate(chunk):
            if batch and _split_limit(batch[0][0]) <= len(batch):
                return batch
            full = counted >= limit
            if full:
                if not riding:
                    scanned_when_full += 1
                if grouped >= grouped_lookups or scanned_when_full > CHUNK:
                    return batch
                if batch and not _may_group(item):
                    continue  # only grouped lookups ride along now: no need to load this item's record
            if item.record_id is None:
                # An item about no record (a page of an import) goes alone: its answer may be large, and is streamed.
                # Its step writes to the item itself.
                if not batch:
                    return [(item_entity(db, item), None)]
                continue
            if grouped >= grouped_lookups and _may_group(item) and kind is RecordKind.INVOICE:
                # The grouped lookups' share is taken, so an invoice's first-sync lookup cannot join: its record's
                # kind, read with the item, alone tells (reading every such record and its references made each set
                # scan the queue).
                continue
            if item.record_id not in loaded:
                # An item of a later chunk (the first's records came with it): read the records of the items ahead
                # in one query rather than one by one (first-sync lookups ride along in their hundred, so as many as
                # may still join them, not the whole chunk: a later chunk holds up to CHUNK), as rows of what
                # planning and rendering read: the steps render from those.
                rest = grouped_lookups - grouped if _may_group(item) else max(limit - counted, 1)
                ahead = rest + FIRST_LOOKAHEAD
                ahead_records = rows_of(db, items[index : index + ahead])
                references.find_references(db, company.id, ahead_records.values())
                loaded.update(ahead_records)
            record = loaded.get(item.record_id)
            if record is None:
                continue
            grouped_lookup = is_grouped_lookup(item, record)
            if (full and not grouped_lookup) or (grouped_lookup and grouped >= grouped_lookups):
                continue
            if item.action in (QueueAction.SEND, QueueAction.LOOKUP):
                # A lookup names its parent by full name too, so it waits for the parent's identity.
                seen = in_batch if item.action is QueueAction.SEND else set()
                wait = waiting_reason(db, company, record, seen, write=write)
                if wait is not None:
                    if write:
                        _note_wait(db, item, record, wait)
                        riders = True  # planning may have queued a lookup of a prerequisite just now
                    continue
            batch.append((item, record))
            if first:
                return batch
            if grouped_lookup:
                grouped += 1
            else:
                counted += 1
            if item.action is QueueAction.SEND and record.qb_id is None and record.kind.is_list:
                in_batch.add((record.kind, record.external_id))
        if riding or last:
            return batch  # the window after the full batch is seen, or the queue's last item
    return batch


def _candidates(
    db: Session, company: Company, limit: int, *, lock: bool, offset: int = 0, first_lookups: bool = False
) -> list[tuple[PlannedItem, RecordKind | None]]:
    """Return ready items in sending order as rows, each with its record's kind; on PostgreSQL they are locked,
    skipping rows others hold.

    With `first_lookups`, return only the first-sync lookups among those `limit` items: the only ones that can
    still join a full batch, so the others need not be read at all.
    """
    query = _FIRST_LOOKUPS if first_lookups else _CANDIDATES
    if lock and db.get_bind().dialect.name == "postgresql":
        query = _LOCKED[query]
    params = {"company_id": company.id, "now": clock.now(), "limit": limit, "offset": offset}
    return [(PlannedItem._make(values[:_ITEM_WIDTH]), values[_ITEM_WIDTH]) for values in db.execute(query, params)]


def _candidates_and_records(
    db: Session, company: Company, limit: int, *, lock: bool, riders: bool
) -> tuple[list[tuple[PlannedItem, RecordKind | None]], dict[int, Planned], bool]:
    """Return the first `_candidates`, their records as rows by id and (with `riders`, else True) whether a first-sync
    lookup is among the first `limit + CHUNK` ready items, in one statement.

    The records were read by a second select of their ids, as `planned.rows_of` still reads those of a later chunk
    (there, most items may wait or be skipped by their kind alone, so their records are read only when needed). A
    full batch looked for lookups to ride along with a select of its own even when the queue had none near.
    """
    query = _CANDIDATES_RIDERS_AND_RECORDS if riders else _CANDIDATES_AND_RECORDS
    if lock and db.get_bind().dialect.name == "postgresql":
        query = _LOCKED[query]
    params = {"company_id": company.id, "now": clock.now(), "limit": limit, "offset": 0, "reach": limit + CHUNK}
    chunk: list[tuple[PlannedItem, RecordKind | None]] = []
    records: dict[int, Planned] = {}
    ahead = not riders
    for values in db.execute(query, params):
        item, record = PlannedItem._make(values[:_ITEM_WIDTH]), values[_ITEM_WIDTH:_RECORD_END]
        chunk.append((item, record[_KIND]))  # no kind: the record is gone, or the item is an import's page
        if record[0] is not None:
            records[record[0]] = Planned._make(record)
        ahead = ahead or bool(values[_RECORD_END:] and values[_RECORD_END])
    return chunk, records, ahead


# Built once (candidates run at every sendRequestXML and every progress question): building the select and its
# cache key at each call cost about what running it did.
_LIMIT, _OFFSET = bindparam("limit", type_=Integer), bindparam("offset", type_=Integer)
_ITEM = tuple(getattr(QueueItem, name) for name in PlannedItem._fields)
_ITEM_AND_KIND = (*_ITEM, Record.kind)
_FIRST_SYNC_LOOKUP = (QueueItem.action == QueueAction.LOOKUP, QueueItem.unknown_outcome.is_(False))


def _joined(*columns: Any) -> Select[Any]:
    """Select `columns` of queue items and their records (joined; an import's page has none)."""
    return select(*columns).select_from(QueueItem).outerjoin(Record, Record.id == QueueItem.record_id)


def _ready(*columns: Any) -> Select[Any]:
    """Select `columns` of the ready items and their records, in sending order."""
    return _joined(*columns).where(*queue.READY).order_by(*queue.ORDER)


_CANDIDATES = _ready(*_ITEM_AND_KIND).limit(_LIMIT).offset(_OFFSET)
_WINDOW = select(QueueItem.id).where(*queue.READY).order_by(*queue.ORDER).limit(_LIMIT).offset(_OFFSET).subquery()
_FIRST_LOOKUPS = (
    _joined(*_ITEM_AND_KIND).where(QueueItem.id.in_(select(_WINDOW.c.id)), *_FIRST_SYNC_LOOKUP).order_by(*queue.ORDER)
)
# And with each item its record's row, as `planned.rows_of` reads it.
_ITEM_WIDTH, _KIND = len(PlannedItem._fields), Planned._fields.index("kind")
_RECORD_END = _ITEM_WIDTH + len(Planned._fields)
_ITEM_AND_RECORD = (*_ITEM, *planned.RECORD_COLUMNS)
_CANDIDATES_AND_RECORDS = _ready(*_ITEM_AND_RECORD).limit(_LIMIT).offset(_OFFSET)
# And whether a first-sync lookup is among the first `reach` ready items: a select of its own queue items, not
# correlated with the rows the statement returns.
_REACH = select(QueueItem.id).where(*queue.READY).order_by(*queue.ORDER).limit(bindparam("reach", type_=Integer))
_A_RIDER_AHEAD = (
    select(QueueItem.id)
    .where(QueueItem.id.in_(select(_REACH.subquery().c.id)), *_FIRST_SYNC_LOOKUP)
    .correlate(None)
    .exists()
)
_CANDIDATES_RIDERS_AND_RECORDS = _CANDIDATES_AND_RECORDS.add_columns(_A_RIDER_AHEAD.label("riders_ahead"))
# Only the items are locked: the records are read, as they were when loaded on their own.
_LOCKED = {
    query: query.with_for_update(skip_locked=True, of=QueueItem)
    for query in (_CANDIDATES, _FIRST_LOOKUPS, _CANDIDATES_AND_RECORDS, _CANDIDATES_RIDERS_AND_RECORDS)
}


def _split_limit(item: Queued) -> int:
    # After QuickBooks rejected a whole message set, its items go in smaller sets until the bad one is alone.
    return item.sent_info.split if item.sent_info is not None and item.sent_info.split else 10**6


def _note_wait(db: Session, item: Queued, record: Planned, wait: tuple[SyncState, str, int | None]) -> None:
    state, message, waiting_on = wait
    if item.waiting_on != waiting_on:
        item_entity(db, item).waiting_on = waiting_on
    reason = Note(NoteKind.WAITING, message[0].upper() + message[1:] + ".")
    if record.sync_state is not state or record.last_error != reason:
        stored = entity(db, record)  # the move is written to the record itself
        lifecycle.move(db, stored, Event.BLOCK if state is SyncState.BLOCKED else Event.WAIT, reason)
        references.changed(db, stored)  # a dependant planned after it reads its new state


def _label(kind: RecordKind) -> str:
    return kind.value
