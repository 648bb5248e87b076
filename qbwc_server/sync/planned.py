"""A batch's queue items and their records as plain rows: what planning and rendering a message set read of them.

Planning read every ready item and its record as entities (all of their columns decoded, objects built and tracked
by the session) only for the steps to read a dozen columns while rendering. `PlannedItem` and `Planned` hold those
columns; the few paths that write to an item or a record (a record that must wait, one that cannot be sent, an
import's page) take the item or record itself (`item_entity`, `entity`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from qbwc_server.models import Note, Origin, QueueAction, QueueItem, Record, RecordKind, SentInfo, SyncState


class Planned(NamedTuple):
    """A record of the batch as one row: the columns planning, the steps' `render` and sending read."""

    id: int
    company_id: int
    kind: RecordKind
    external_id: str
    data: dict[str, Any]
    origin: Origin
    version: int
    qb_id: str | None
    qb_edit_sequence: str | None
    qb_full_name: str | None
    qb_line_ids: dict[str, str] | None
    name_suffix: str | None
    linked_data: dict[str, Any] | None
    sync_state: SyncState
    last_error: Note | None


class PlannedItem(NamedTuple):
    """A ready queue item as one row: the columns planning, the steps' `render` and the claim read."""

    id: int
    company_id: int
    record_id: int | None
    import_id: int | None
    action: QueueAction
    unknown_outcome: bool
    sent_info: SentInfo | None
    waiting_on: int | None


# What a step renders from: a batch's row, or the record itself (a step's `handle` renders again from the record).
Renderable = Record | Planned
Queued = QueueItem | PlannedItem  # and of the queue item

# The columns of a `Planned` row, in its order.
RECORD_COLUMNS = tuple(getattr(Record, name) for name in Planned._fields)

# Built once: the rows of several records by id.
_ROWS_BY_ID = select(*RECORD_COLUMNS).where(Record.id.in_(bindparam("ids", expanding=True)))


def rows_of(db: Session, items: Iterable[Queued]) -> dict[int, Planned]:
    """Read the records of several queue items as rows, in one query."""
    ids = {item.record_id for item in items if item.record_id is not None}
    if not ids:
        return {}
    return {values[0]: Planned._make(values) for values in db.execute(_ROWS_BY_ID, {"ids": list(ids)})}


def item_entity(db: Session, item: Queued) -> QueueItem:
    """Return the queue item itself of a batch's row (to write to it)."""
    return item if isinstance(item, QueueItem) else _itself(db, QueueItem, item.id)


def entity(db: Session, record: Renderable) -> Record:
    """Return the record itself of a batch's row (to write to it, or to hand it to what files answers)."""
    return record if isinstance(record, Record) else _itself(db, Record, record.id)


_Stored = TypeVar("_Stored", QueueItem, Record)


def _itself(db: Session, kind: type[_Stored], row_id: int) -> _Stored:
    found = db.get(kind, row_id)
    assert found is not None, "what was planned in this transaction is there"
    return found
