"""A batch's own records as plain rows: what planning and rendering a message set read of each record it sends.

Planning read every record of the ready items as an entity (all of its columns decoded, an object built and tracked
by the session) only for the steps to read a dozen of them while rendering. `Planned` holds those columns; the few
paths that write to a record (a record that must wait, one that cannot be sent) take the record itself (`entity`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from qbwc_server.models import Note, Origin, QueueItem, Record, RecordKind, SyncState


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


# What a step renders from: a batch's row, or the record itself (a step's `handle` renders again from the record).
Renderable = Record | Planned

# Built once: the rows of several records by id.
_ROWS_BY_ID = select(*(getattr(Record, name) for name in Planned._fields)).where(
    Record.id.in_(bindparam("ids", expanding=True))
)


def rows_of(db: Session, items: Iterable[QueueItem]) -> dict[int, Planned]:
    """Read the records of several queue items as rows, in one query."""
    ids = {item.record_id for item in items if item.record_id is not None}
    if not ids:
        return {}
    return {values[0]: Planned._make(values) for values in db.execute(_ROWS_BY_ID, {"ids": list(ids)})}


def entity(db: Session, record: Renderable) -> Record:
    """Return the record itself of a batch's row (to write to it, or to hand it to what files answers)."""
    if isinstance(record, Record):
        return record
    found = db.get(Record, record.id)
    assert found is not None, "a record planned in this transaction is there"
    return found
