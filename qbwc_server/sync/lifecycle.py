"""A record's and a queue item's lifecycle: the allowed moves written as data, and the one writer of each.

`move` is the only code that changes a record's sync state (and its note); `move_item` and `claim` the only code
that changes a queue item's status; the identity functions (in `quickbooks_identity`, re-exported here) the only
code that writes a record's QuickBooks identity (qb_id, EditSequence, full name, line ids, synced_version) and
QuickBooks' figures. A move that is not in the table raises `IllegalMove`. The webhook events of a record's sync
are written here too, in the transaction of the move.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import String, bindparam, cast, func, inspect, literal, update
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from qbwc_server import clock, multirow
from qbwc_server.db import held
from qbwc_server.errors import QbwcError
from qbwc_server.models import (
    Note,
    QueueAction,
    QueueItem,
    QueueStatus,
    Record,
    SentInfo,
    SyncState,
)
from qbwc_server.models.base import HashedByIdentity
from qbwc_server.sync import staging
from qbwc_server.sync.planned import Queued, Renderable, entity
from qbwc_server.sync.quickbooks_identity import (
    Identity,
    accept_version,
    adopt,
    forget_deleted,
    forget_identity,
    forget_synced_version,
    link,
    refresh_identity,
    rename,
    set_name_suffix,
    store_balance,
    store_figures,
    store_identity,
)
from qbwc_server.sync.sent_requests import Request, lost_answer, mark_refused_with, sent_info, split_batch
from qbwc_server.sync.staging import filing
from qbwc_server.webhooks import outbox

log = logging.getLogger(__name__)


class IllegalMove(QbwcError):
    """Raised when code asks for a move the lifecycle table does not allow."""


class Event(HashedByIdentity):
    """What happens to a record; each event moves it from some states to one state."""

    QUEUE = "queue"  # put in the queue for QuickBooks
    WAIT = "wait"  # in the queue, waiting for a prerequisite to reach QuickBooks
    BLOCK = "block"  # waiting for a prerequisite that needs a person
    SEND = "send"  # handed to the Web Connector
    REQUEUE = "requeue"  # answered or recovered, and going again (lookup, refresh, retry, lost answer)
    CONFIRM = "confirm"  # QuickBooks has the record's current version
    FAIL = "fail"  # QuickBooks refused it, or it cannot be sent: a person must act
    HOLD = "hold"  # the settings keep it pending for now
    EXCLUDE = "exclude"  # the settings or a person exclude it
    RESET = "reset"  # back to pending: cancelled, reprocess asked, linked by a person, changed while sent
    VOID = "void"  # removed by the app, and QuickBooks voided it
    DELETE = "delete"  # removed by the app, and QuickBooks deleted it (or no longer has it)
    DEACTIVATE = "deactivate"  # removed by the app, and QuickBooks made it inactive
    DROP = "drop"  # removed by the app before QuickBooks ever had it: nothing to tell QuickBooks
    VANISH = "vanish"  # an import found its QuickBooks entry deleted in QuickBooks
    READD = "readd"  # a person chose to add a record deleted in QuickBooks again


P, Q, S, Y, E, B, X, QD = (
    SyncState.PENDING,
    SyncState.QUEUED,
    SyncState.SENT,
    SyncState.SYNCED,
    SyncState.ERROR,
    SyncState.BLOCKED,
    SyncState.EXCLUDED,
    SyncState.QB_DELETED,
)
# A removed record (voided, deleted, inactive) is in none of these: no event moves it again. A record deleted in
# QuickBooks moves only when a person re-adds it (or the app removes it).
_IDLE = frozenset({P, Q, Y, E, B, X})  # every state but SENT and QB_DELETED

# event: (the states it may start from, the state it leads to)
RECORD_RULES: dict[Event, tuple[frozenset[SyncState], SyncState]] = {
    Event.QUEUE: (_IDLE, Q),
    Event.WAIT: (frozenset({Q, B}), Q),
    Event.BLOCK: (frozenset({Q, B}), B),
    Event.SEND: (frozenset({Q, B}), S),
    Event.REQUEUE: (frozenset({S, Q, B}), Q),
    Event.CONFIRM: (_IDLE | {S}, Y),
    Event.FAIL: (frozenset({S, Q, B}), E),
    Event.HOLD: (_IDLE, P),
    Event.EXCLUDE: (_IDLE, X),
    Event.RESET: (_IDLE | {S}, P),
    Event.VOID: (frozenset({S}), SyncState.VOIDED),
    Event.DELETE: (frozenset({S}), SyncState.DELETED),
    Event.DEACTIVATE: (frozenset({S}), SyncState.INACTIVE),
    Event.DROP: (_IDLE | {S, QD}, SyncState.DELETED),
    Event.VANISH: (_IDLE, QD),
    Event.READD: (frozenset({QD}), P),
}
# The same rules as a table of moves: (state, event) -> state.
RECORD_MOVES: dict[tuple[SyncState, Event], SyncState] = {
    (start, event): end for event, (starts, end) in RECORD_RULES.items() for start in starts
}


class ItemEvent(HashedByIdentity):
    """What happens to a queue item."""

    CLAIM = "claim"  # a session takes it (compare-and-set, so two sessions never both send it)
    AGAIN = "again"  # back in line, perhaps as another action or after a delay
    DONE = "done"  # QuickBooks has what it asked for
    FAIL = "fail"  # it cannot succeed without a person
    CANCEL = "cancel"  # nobody needs it any more


R, SENT_, D, F, C = QueueStatus.READY, QueueStatus.SENT, QueueStatus.DONE, QueueStatus.FAILED, QueueStatus.CANCELLED
ITEM_RULES: dict[ItemEvent, tuple[frozenset[QueueStatus], QueueStatus]] = {
    ItemEvent.CLAIM: (frozenset({R}), SENT_),
    ItemEvent.AGAIN: (frozenset({R, SENT_}), R),
    ItemEvent.DONE: (frozenset({SENT_}), D),
    ItemEvent.FAIL: (frozenset({R, SENT_}), F),
    ItemEvent.CANCEL: (frozenset({R, SENT_}), C),
}
ITEM_MOVES: dict[tuple[QueueStatus, ItemEvent], QueueStatus] = {
    (start, event): end for event, (starts, end) in ITEM_RULES.items() for start in starts
}


def next_state(state: SyncState, event: Event) -> SyncState:
    """Return where an event takes a record in a state; IllegalMove when the table has no such move."""
    try:
        return RECORD_MOVES[(state, event)]
    except KeyError:
        raise IllegalMove(f"a record cannot go from {state.value} by {event.value}") from None


def move(db: Session, record: Record, event: Event, note: Note | None = None) -> SyncState:
    """Move a record by an event and set its note — the one place a record's sync state changes — and announce it."""
    previous = record.sync_state
    state, now = next_state(previous or SyncState.PENDING, event), clock.now()
    # Inside a `filing` block the move is written with the message set's other moves; else the ORM writes it.
    staging.write(record, {"sync_state": state, "last_error": note, "updated_at": now})
    outbox.record_moved(db, record, previous)
    return record.sync_state


_RECORDS = Record.metadata.tables[Record.__tablename__]
_MOVE_ALL = (  # built once (its bind parameters take the columns' types): SQLAlchemy compiles it once
    update(_RECORDS)
    .where(_RECORDS.c.id.in_(bindparam("ids", expanding=True)))
    .values(sync_state=bindparam("state"), last_error=bindparam("note"), updated_at=bindparam("at"))
)


def move_all(db: Session, records: Sequence[Renderable], event: Event, note: Note | None = None) -> None:
    """Move several stored records by one event, as `move` moves each, in one UPDATE instead of one per record.

    Each move is decided here by the table (IllegalMove as `move`), announced as `move` announces it, and put on
    the loaded records as their stored values, so no flush writes them again. A record given as a batch's row
    (`planned.Planned`) is moved from the state the row read; the session's own object of it, if it holds one, is
    moved instead, as that shows any change made since.
    """
    current = [_current(db, r) for r in records]
    stored = [r for r in current if not isinstance(r, Record) or ((s := inspect(r)).persistent and not s.modified)]
    if len(stored) < len(current):
        kept = {id(r) for r in stored}
        for record in current:
            if id(record) not in kept and isinstance(record, Record):
                move(db, record, event, note)  # a record with unflushed changes keeps the ORM's path
    now = clock.now()
    moves = [(r, r.sync_state, next_state(r.sync_state or SyncState.PENDING, event)) for r in stored]
    for end in {end for _, _, end in moves}:
        ids = [record.id for record, _, to in moves if to is end]
        db.execute(_MOVE_ALL, {"ids": ids, "state": end, "note": note, "at": now})
    for record, previous, end in moves:
        if isinstance(record, Record):
            for key, value in (("sync_state", end), ("last_error", note), ("updated_at", now)):
                set_committed_value(record, key, value)
        elif end is previous or not outbox.announces(end):
            continue  # nothing to announce, so the record itself need not be read
        outbox.record_moved(db, entity(db, record), previous)


def _current(db: Session, record: Renderable) -> Renderable:
    """Return the session's own object of a record given as a row, when it holds one; else what was given."""
    if isinstance(record, Record):
        return record
    return held(db, Record, record.id) or record


def first_state(event: Event, note: Note | None = None) -> dict[str, Any]:
    """Return the state columns of a record inserted already moved by `event` from pending, its first state.

    A new record's INSERT carries them, so no UPDATE follows it; the move is still this table's. A first state a
    webhook would announce is refused: such a move goes through `move` on a stored record.
    """
    state = next_state(SyncState.PENDING, event)
    if outbox.announces(state):
        raise IllegalMove(f"a new record cannot start as {state.value}: that move is announced, use move()")
    return {"sync_state": state, "last_error": note}


def stored_move(record: Record, event: Event, note: Note | None = None) -> dict[str, Any]:
    """Return the state columns of a stored record moved by `event`, for the caller's one UPDATE of the record.

    The move is this table's (IllegalMove as `move`); the caller writes the columns with the record's others and
    puts them on the loaded record as stored. A move a webhook would announce is refused: it goes through `move`.
    """
    state = next_state(record.sync_state or SyncState.PENDING, event)
    if outbox.announces(state) and state is not record.sync_state:
        raise IllegalMove(f"a move to {state.value} is announced: use move()")
    return {"sync_state": state, "last_error": note}


def note(record: Record, new: Note | None) -> None:
    """Change a record's note without moving it (a waiting reason that got more precise)."""
    record.last_error = new


def next_status(status: QueueStatus, event: ItemEvent) -> QueueStatus:
    """Return where an event takes a queue item; IllegalMove when the table has no such move."""
    try:
        return ITEM_MOVES[(status, event)]
    except KeyError:
        raise IllegalMove(f"a queue item cannot go from {status.value} by {event.value}") from None


def move_item(
    item: QueueItem,
    event: ItemEvent,
    *,
    error: str | None = None,
    action: QueueAction | None = None,
    delay_seconds: float = 0,
    unknown_outcome: bool | None = None,
) -> None:
    """Move a queue item by an event (not CLAIM: see `claim`)."""
    if event is ItemEvent.CLAIM:
        raise IllegalMove("a queue item is claimed with claim(), which compares and sets")
    answered, was_unknown = item.status is QueueStatus.SENT, item.unknown_outcome
    now = clock.now()
    values: dict[str, Any] = {"status": next_status(item.status, event), "last_error": error, "updated_at": now}
    if event is ItemEvent.AGAIN:
        values["ticket"] = None
        if action is not None:
            values["action"] = action
        if unknown_outcome is not None:
            values["unknown_outcome"] = unknown_outcome
        values["not_before"] = now + timedelta(seconds=delay_seconds) if delay_seconds else None
    else:
        values["finished_at"] = now
    staging.write(item, values)  # inside a `filing` block, written with the set's other moves
    if answered:
        _announce_outcome(item, event, was_unknown)


def _announce_outcome(item: QueueItem, event: ItemEvent, was_unknown: bool) -> None:
    """Announce a sent item whose answer was lost (now unknown), or the end of the check of one (resolved)."""
    lost = event is ItemEvent.AGAIN and item.unknown_outcome and not was_unknown
    # The check answered: QuickBooks has it (done, or linked and sent again as a Mod), or it goes again as new.
    checked = was_unknown and (event in (ItemEvent.DONE, ItemEvent.FAIL) or not item.unknown_outcome)
    if not (lost or checked):
        return  # most answers: nothing to announce, so the item's session is not looked up
    db = object_session(item)
    if db is None or item.record_id is None:
        return
    record = db.get(Record, item.record_id)
    if record is None:
        return
    if lost:
        outbox.outcome_unknown(db, record)
    else:
        outbox.outcome_resolved(db, record)


def count_refusal(item: QueueItem) -> int:
    """Count one QuickBooks refusal of an item (lost answers never count); return how many there were."""
    item.attempts = (item.attempts or 0) + 1
    return item.attempts


def claim(db: Session, item: QueueItem, ticket: str, info: SentInfo) -> bool:
    """Hand an item to a session; False when another session took it first (compare-and-set)."""
    return item.id in claim_all(db, [(item, info)], ticket)


_ITEMS = QueueItem.metadata.tables[QueueItem.__tablename__]
# Built once (SQLite): compare-and-set per row, returning the ids it got; each row's sent information is its
# entry, by id, in one JSON object (a second statement, one row each, was a third of the claim).
_INFO_OF_ROW = func.json_extract(bindparam("infos"), literal('$."') + cast(_ITEMS.c.id, String) + literal('"'))
_CLAIM = (
    update(_ITEMS)
    .where(_ITEMS.c.id.in_(bindparam("ids", expanding=True)), _ITEMS.c.status == bindparam("expected"))
    .values(
        status=bindparam("claimed"),
        ticket=bindparam("by"),
        sent_at=bindparam("at"),
        updated_at=bindparam("at"),
        sent_info=_INFO_OF_ROW,
    )
    .returning(_ITEMS.c.id)
)


def claim_all(db: Session, claims: Sequence[tuple[Queued, SentInfo]], ticket: str) -> set[int]:
    """Hand several items to a session; return the ids it got (compare-and-set per row, in one UPDATE).

    An item another session took first keeps its row as that session left it and is not in the answer. The items
    it got carry their sent information, written in the same statement.
    """
    if not claims:
        return set()
    now = clock.now()
    by_id: dict[int, SentInfo] = {}
    for item, info in claims:
        by_id.setdefault(item.id, info)  # an item listed twice is claimed once, as it was first listed
    status = next_status(QueueStatus.READY, ItemEvent.CLAIM)  # the rows are compared with READY below
    if db.autoflush:
        db.flush()  # as the ORM's own UPDATE would: what the session holds goes first
    if db.get_bind().dialect.name == "postgresql":
        # One statement: the compare-and-set and each item's sent information (the same rows, one version each).
        rows = [{"id": i, "sent_info": info} for i, info in by_id.items()]
        same = {"status": status, "ticket": ticket, "sent_at": now, "updated_at": now}
        claimed = multirow.update_where(
            db.connection(), _ITEMS, rows, expected={"status": QueueStatus.READY}, same=same
        )
    else:
        infos = json.dumps({str(i): info.to_json() for i, info in by_id.items()})
        params = {"ids": list(by_id), "expected": QueueStatus.READY, "claimed": status, "by": ticket, "at": now}
        claimed = set(db.execute(_CLAIM, {**params, "infos": infos}).scalars())
    # The rows now hold exactly these values: put them on the loaded items instead of reading the rows back (an
    # item given as a batch's row has no object to update, unless the session holds one of it).
    values = {"status": status, "ticket": ticket, "sent_at": now, "updated_at": now}
    for given, _ in claims:
        loaded = given if isinstance(given, QueueItem) else held(db, QueueItem, given.id)
        if loaded is not None and loaded.id in claimed:
            for key, value in values.items():
                set_committed_value(loaded, key, value)
            set_committed_value(loaded, "sent_info", by_id[loaded.id])
    return claimed


def describe_moves() -> str:
    """Return the record and queue-item tables as Markdown (the README shows this text, checked by a test)."""
    lines = ["| event | from | to |", "| --- | --- | --- |"]
    # A removed record (voided, deleted, inactive) never moves again, so "any state" leaves those out.
    movable = [s for s in SyncState if s not in (SyncState.VOIDED, SyncState.DELETED, SyncState.INACTIVE)]
    for event, (starts, end) in RECORD_RULES.items():
        missing = [s.value for s in movable if s not in starts]
        if not missing:
            names = "any state"
        elif len(missing) <= 2 < len(starts):
            names = "any state but " + " and ".join(missing)
        else:
            names = ", ".join(s.value for s in SyncState if s in starts)
        lines.append(f"| {event.value} | {names} | {end.value} |")
    lines += ["", "| queue item event | from | to |", "| --- | --- | --- |"]
    for item_event, (item_starts, item_end) in ITEM_RULES.items():
        names = ", ".join(s.value for s in QueueStatus if s in item_starts)
        lines.append(f"| {item_event.value} | {names} | {item_end.value} |")
    return "\n".join(lines)


def imported_columns(identity: Identity, version: int, figures: dict[str, Any] | None) -> dict[str, Any]:
    """Return the state, identity and figures columns of a record created from QuickBooks' own copy, for a
    multi-row INSERT: what `adopt` (lines, confirmed version) and `store_figures` give a new record, in sync.
    A list record has no figures: its row leaves `qb_totals` out (empty, as a new record's is)."""
    columns = {
        "sync_state": SyncState.SYNCED,
        "last_error": None,
        "synced_at": clock.now(),
        "qb_id": identity.id,
        "qb_edit_sequence": identity.edit_sequence,
        "qb_full_name": identity.full_name,
        "qb_line_ids": dict(identity.line_ids or {}) or None,
        "synced_version": version,
    }
    if figures is not None:
        columns["qb_totals"] = dict(figures)
    return columns


# The lifecycle as callers name it: its moves, and the identity and sent-information writers it re-exports.
__all__ = [
    "accept_version",
    "adopt",
    "claim",
    "claim_all",
    "count_refusal",
    "describe_moves",
    "Event",
    "filing",
    "first_state",
    "forget_deleted",
    "forget_identity",
    "forget_synced_version",
    "Identity",
    "IllegalMove",
    "imported_columns",
    "ITEM_MOVES",
    "ITEM_RULES",
    "ItemEvent",
    "link",
    "lost_answer",
    "mark_refused_with",
    "move",
    "move_all",
    "move_item",
    "next_state",
    "next_status",
    "note",
    "RECORD_MOVES",
    "RECORD_RULES",
    "refresh_identity",
    "rename",
    "Request",
    "sent_info",
    "set_name_suffix",
    "split_batch",
    "store_balance",
    "store_figures",
    "store_identity",
    "stored_move",
]
