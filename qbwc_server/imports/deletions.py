"""File what QuickBooks says was deleted: a linked record whose entry is gone is shown as deleted in QuickBooks.

Such a record keeps its data and its last QuickBooks id (so the page can say what it was), leaves the queue, and is
never added back on its own: edits from the app keep it where it is, and only a person's re-add
(`sync.queue.readd`) sends it to QuickBooks as a new entry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import synclog
from qbwc_server.imports.mapping import LIST_DEL_TYPES, TXN_DEL_TYPES, Entry
from qbwc_server.imports.reference_lists import parse_time
from qbwc_server.imports.store import Counts
from qbwc_server.models import Company, LogEvent, Note, NoteKind, QueueStatus, Record, RecordKind, SyncState
from qbwc_server.sync import lifecycle, queue
from qbwc_server.sync.lifecycle import Event, ItemEvent

log = logging.getLogger(__name__)

_KINDS: dict[str, tuple[RecordKind, ...]] = {
    **{name: (kind,) for name, kind in LIST_DEL_TYPES.items()},
    **{name: (kind,) for name, kind in TXN_DEL_TYPES.items()},
    "Customer": (RecordKind.CUSTOMER, RecordKind.JOB),  # QuickBooks keeps jobs in its customer list
}


def when_text(time_deleted: str | None) -> str:
    """Return QuickBooks' deletion time as a bookkeeper reads it ("2026-03-02 at 10:15"), in QuickBooks' own zone."""
    when = parse_time(time_deleted) if time_deleted else None
    if when is None:
        return "an unknown date"
    return f"{when:%Y-%m-%d} at {when:%H:%M}"


class Deletions:
    """Apply chunks of deleted entries of one import to the linked records."""

    def __init__(self, db: Session, company: Company, ticket: str | None = None) -> None:
        self.db = db
        self.company = company
        self.ticket = ticket

    def apply(self, entries: Sequence[Entry]) -> Counts:
        """Mark each linked record whose QuickBooks entry was deleted; return what the chunk did."""
        counts = Counts()
        by_id: dict[str, Entry] = {entry.qb_id: entry for entry in entries}
        counts.seen = len(entries)
        if not by_id:
            return counts
        rows = self.db.scalars(
            select(Record).where(Record.company_id == self.company.id, Record.qb_id.in_(set(by_id)))
        ).all()
        for record in rows:
            entry = by_id[str(record.qb_id)]
            if record.kind not in _KINDS.get(str(entry.qb_data.get("del_type")), ()):
                continue  # a ListID of another list (ids are unique per list only in theory; be safe)
            counts.updated += self._mark(record, entry)
        return counts

    def _mark(self, record: Record, entry: Entry) -> bool:
        if record.sync_state is SyncState.QB_DELETED:
            return False
        item = queue.open_item(self.db, record)
        if item is not None and item.status is QueueStatus.SENT:
            # QuickBooks is answering a request about it now; that answer (object gone) says what happened.
            log.info("deleted in QuickBooks but in flight: %s %s", record.kind.value, record.external_id)
            return False
        if item is not None:
            lifecycle.move_item(item, ItemEvent.CANCEL)
        time_deleted = entry.qb_data.get("time_deleted")
        message = (
            f"Deleted in QuickBooks on {when_text(time_deleted)}. It is not added again on its own: re-add it if "
            "QuickBooks should have it."
        )
        lifecycle.move(self.db, record, Event.VANISH, Note(NoteKind.DELETED_IN_QUICKBOOKS, message))
        record.qb_data = {**(record.qb_data or {}), "deleted_in_quickbooks": time_deleted}
        synclog.append(self.db, record, LogEvent.DELETED_IN_QUICKBOOKS, message, ticket=self.ticket)
        return True
