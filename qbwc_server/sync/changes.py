"""What a new or changed record needs from the queue, decided from its columns and its open queue item.

`queue.record_changed` acts on the answer through the ORM; a single PUT's edit (`records/edit.py`) writes the
same answer as a few Core statements. Deciding in one place keeps the two the same.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from qbwc_server.company_settings import effective
from qbwc_server.models import CompanyRef, Note, NoteKind, QueueItem, QueueStatus, Record, RecordKind, SyncState
from qbwc_server.sync.eligibility import Verdict, decide

UNSYNCED = (SyncState.PENDING, SyncState.ERROR, SyncState.BLOCKED)


class Need(enum.Enum):
    """What the queue must do for a changed record."""

    NOTHING = "nothing"  # edits are ignored now, or QuickBooks is running its request (the answer sends it again)
    REMOVAL = "removal"  # the app removed it and it waits: its removal (or a lookup first) is queued
    EXCLUDE = "exclude"  # the settings exclude it: its waiting item is dropped
    HOLD = "hold"  # the settings keep it pending: its waiting item is dropped
    LINKED = "linked"  # QuickBooks' own item, used as it is: its version is accepted, never sent
    CONFIRM = "confirm"  # QuickBooks has its current version already
    QUEUE = "queue"  # it goes to QuickBooks (joining its open item if it has one)


@dataclass(frozen=True)
class Change:
    """A record's need, the note it moves with (excluded, held) and whether its state or note must change."""

    need: Need
    note: Note | None = None
    moves: bool = False


NOTHING = Change(Need.NOTHING)


def excluded_by_person(record: Record) -> bool:
    """Tell whether a person excluded the record (settings changes and edits do not bring it back)."""
    return record.last_error is not None and record.last_error.kind is NoteKind.EXCLUDED_BY_PERSON


def ignored(record: Record, explicit: bool) -> bool:
    """Tell whether a change of the record needs nothing, whatever its queue item (so it need not be looked up)."""
    if record.sync_state is SyncState.EXCLUDED and excluded_by_person(record) and not explicit:
        return True  # a person excluded it: edits do not bring it back, only an explicit sync does
    return record.sync_state is SyncState.QB_DELETED  # only a person's re-add (`readd`) adds it again


def link_only(kind: RecordKind, data: dict[str, Any] | None) -> bool:
    """Tell whether a record is an item QuickBooks already has, found by name and never added or changed."""
    return kind is RecordKind.ITEM and bool((data or {}).get("link_only"))


def needed(company: CompanyRef, record: Record, item: QueueItem | None, *, explicit: bool = False) -> Change:
    """Decide what a new or changed record (with its open queue item, or None) needs from the queue."""
    if ignored(record, explicit):
        return NOTHING
    if record.removal is not None:
        # The app removed it: only its removal goes to QuickBooks (reprocessed after an error), never its data.
        return Change(Need.REMOVAL) if item is None and record.sync_state in UNSYNCED else NOTHING
    if item is not None and item.status is QueueStatus.SENT:
        return NOTHING
    decision = decide(record, effective(company.settings), explicit=explicit)
    if decision.verdict is Verdict.EXCLUDE:
        reason = Note(NoteKind.EXCLUDED, f"Not synced: {decision.reason}.")
        return Change(Need.EXCLUDE, reason, record.sync_state is not SyncState.EXCLUDED or record.last_error != reason)
    if decision.verdict is Verdict.HOLD:
        held = Note(NoteKind.HELD, f"Not sent yet: {decision.reason}.")
        return Change(Need.HOLD, held, record.sync_state is not SyncState.PENDING or record.last_error != held)
    if record.qb_id and link_only(record.kind, record.data):
        return Change(Need.LINKED)
    if record.qb_id and record.synced_version == record.version:
        return Change(Need.CONFIRM, moves=True) if record.sync_state is not SyncState.SYNCED else NOTHING
    return Change(Need.QUEUE)
