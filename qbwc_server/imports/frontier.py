"""Where an import's data stopped, so a new iterator starts there without gaps or duplicates.

QuickBooks answers in TimeModified order. The run's cursor keeps the newest TimeModified filed (`frontier`); the
ids filed at exactly that time are rows of `import_frontier`. An iterator dies with its session: the next one starts
at the frontier and skips the ids filed there before (`cursor.skipping`, the rows at `cursor.iter_from`).

The ids are rows rather than a list in the cursor because a bulk change in QuickBooks gives thousands of objects one
TimeModified: the cursor is written back at every page, and a list of every id would be written (and read) whole
each time. A page adds its ids in one statement; the rows of a time the run has moved past are deleted. They are
written on the session's connection, not through the ORM session: nothing the ORM holds must be flushed first (the
run's counts go out with its cursor, in one UPDATE a page).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from qbwc_server.imports.mapping import Entry
from qbwc_server.imports.reference_lists import parse_time
from qbwc_server.models import ImportCursor, ImportFrontierId, ImportRun

FRONTIER: Table = ImportFrontierId.__table__  # type: ignore[assignment]

# Built once per database. An id QuickBooks gives twice at one time is kept once.
_ADD = {
    name: builder(FRONTIER).on_conflict_do_nothing()
    for name, builder in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


class Tracker:
    """Follow the TimeModified order of an answer: the newest time seen, the ids at that time, and the skips."""

    def __init__(self, db: Session, run_id: int, cursor: ImportCursor) -> None:
        self.db = db
        self.run_id = run_id
        self.skip_text = cursor.iter_from if cursor.skipping else None
        self.skip_at = as_datetime(self.skip_text)
        self.frontier_text: str | None = cursor.frontier
        self.frontier = as_datetime(self.frontier_text)
        self.new_ids: list[str] = []  # ids filed at the frontier by this answer
        self.moved = False  # the frontier moved on: the rows of the times before are no longer needed
        self.last = as_datetime(cursor.last)
        self.last_text = cursor.last
        self.ordered = cursor.ordered
        self.max_text: str | None = cursor.max_seen
        self.max_seen = as_datetime(self.max_text)

    def take_all(self, entries: Sequence[Entry]) -> list[Entry]:
        """Return the entries to store, in order (not those already stored before a session ended)."""
        timed = [(entry, parse_time(entry.time_modified)) for entry in entries]
        filed = self._filed_before(timed)
        return [entry for entry, when in timed if self._take(entry, when, filed)]

    def _filed_before(self, timed: list[tuple[Entry, datetime | None]]) -> set[str]:
        """Return which of these ids, at or before the time the iterator started at, were filed before it started."""
        if self.skip_at is None:
            return set()
        skip_at = self.skip_at
        candidates = {entry.qb_id for entry, when in timed if when is not None and when <= skip_at}
        if not candidates:
            return set()
        return set(
            self.db.connection().scalars(
                select(FRONTIER.c.qb_id).where(
                    FRONTIER.c.run_id == self.run_id, FRONTIER.c.at == self.skip_text, FRONTIER.c.qb_id.in_(candidates)
                )
            )
        )

    def _take(self, entry: Entry, when: datetime | None, filed: set[str]) -> bool:
        if when is None:
            self.ordered = False
            return True
        if entry.qb_id in filed:
            return False
        if self.last is not None and when < self.last:
            self.ordered = False
        self.last, self.last_text = when, entry.time_modified
        if self.frontier is None or when > self.frontier:
            self.frontier, self.frontier_text, self.new_ids, self.moved = when, entry.time_modified, [entry.qb_id], True
        elif when == self.frontier:
            self.new_ids.append(entry.qb_id)
        if self.max_seen is None or when > self.max_seen:
            self.max_seen, self.max_text = when, entry.time_modified
        return True

    def save(self, cursor: ImportCursor) -> None:
        """Write where the answer stopped: the cursor's times, and the ids filed at the frontier."""
        cursor.frontier, cursor.last = self.frontier_text, self.last_text
        cursor.ordered, cursor.max_seen = self.ordered, self.max_text
        if self.moved:
            kept = [text for text in (self.frontier_text, self.skip_text) if text is not None]
            self.db.connection().execute(
                delete(FRONTIER).where(FRONTIER.c.run_id == self.run_id, FRONTIER.c.at.not_in(kept))
            )
        if self.new_ids and self.ordered:  # out of order, a run starts again from its start: no frontier needed
            rows = [{"run_id": self.run_id, "at": self.frontier_text, "qb_id": qb_id} for qb_id in self.new_ids]
            connection = self.db.connection()
            connection.execute(_ADD[connection.dialect.name], rows)


def restart_point(db: Session, run: ImportRun, cursor: ImportCursor) -> None:
    """Choose where a new iterator (or a plain query) starts: where the data stopped, else the run's start."""
    if cursor.frontier and cursor.ordered:
        cursor.iter_from = cursor.frontier
        cursor.skipping = True  # the ids filed at the frontier, which now the new iterator starts at
        cursor.last = cursor.frontier
        db.connection().execute(delete(FRONTIER).where(FRONTIER.c.run_id == run.id, FRONTIER.c.at != cursor.frontier))
        return
    start = run.from_modified
    if start is not None:
        offset = parse_offset(cursor.tz)
        start = start.astimezone(timezone(offset)) if offset is not None else start
    cursor.iter_from = start.isoformat() if start is not None else None
    cursor.skipping = False
    cursor.last = None
    if cursor.frontier:
        forget(db, run.id)


def forget(db: Session, run_id: int | None) -> None:
    """Delete a run's frontier ids (it ended, or starts again from its start)."""
    if run_id is not None:
        db.connection().execute(delete(FRONTIER).where(FRONTIER.c.run_id == run_id))


def as_datetime(text: str | None) -> datetime | None:
    """Return a time the cursor keeps as text (as QuickBooks wrote it) as an aware datetime."""
    return parse_time(text) if text else None


def parse_offset(text: str | None) -> timedelta | None:
    """Return a UTC offset such as "-05:00" (QuickBooks' local zone), or None."""
    if not text:
        return None
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    try:
        return sign * timedelta(hours=int(hours), minutes=int(minutes or 0))
    except ValueError:
        return None
