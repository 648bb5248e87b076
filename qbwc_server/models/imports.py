"""An import from QuickBooks of one kind of list or history, resumable across sessions."""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qbwc_server import clock
from qbwc_server.models.base import Base, JsonOf, UtcDateTime, enum_column


class ImportStatus(enum.Enum):
    """Where an import is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class ImportCursor:
    """Where an import stands, so a new iterator can start where the data stopped when a session dies.

    QuickBooks answers in TimeModified order: the newest time filed and the ids filed at exactly that time let the
    next iterator start there without gaps or duplicates. Those ids are rows of `import_frontier` (ImportFrontierId),
    not part of the cursor: a bulk change in QuickBooks gives thousands of objects one TimeModified.
    """

    tz: str | None = None  # QuickBooks' local UTC offset, seen in its last answer ("-05:00")
    n: int = 0  # requests sent for the run (the request ID's last part)
    pending: str | None = None  # the request ID sent and not answered yet
    pending_ticket: str | None = None  # the session that sent it
    continuing: bool = False  # the pending request continues an iterator
    iter_from: str | None = None  # the FromModifiedDate the current iterator started at
    skipping: bool = False  # the ids filed at exactly `iter_from` before it started are skipped (import_frontier)
    last: str | None = None  # the TimeModified of the last object filed
    frontier: str | None = None  # the newest TimeModified filed (the ids filed at that time: import_frontier)
    ordered: bool = True  # False once QuickBooks answered out of TimeModified order: restart from the run's start
    max_seen: str | None = None  # the newest TimeModified seen (the watermark when the run is done)
    failures: int = 0  # failed attempts in a row
    deletions: bool = False  # the data is filed: the run's last page asks what QuickBooks deleted …
    deleted_since: str | None = None  # … since then (None: all it remembers)
    last_error: str | None = None

    def copy(self) -> ImportCursor:
        """Return a copy to change and assign back (so the column is seen as changed)."""
        return replace(self)

    def to_json(self) -> dict[str, Any]:
        """Return the value as stored (its fields are plain values: no deep copy needed)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportCursor:
        """Read a stored value (unknown keys are ignored, missing ones take their defaults)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known and v is not None}
        return cls(**values)


class ImportRun(Base):
    """One import of one kind; `cursor` says where to resume when a session dies mid-iterator."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[ImportStatus] = mapped_column(enum_column(ImportStatus), default=ImportStatus.QUEUED)
    from_modified: Mapped[datetime | None] = mapped_column(UtcDateTime)
    iterator_id: Mapped[str | None] = mapped_column(String(60))
    iterator_ticket: Mapped[str | None] = mapped_column(String(64))
    cursor: Mapped[ImportCursor | None] = mapped_column(JsonOf(ImportCursor))
    remaining: Mapped[int | None] = mapped_column(Integer)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)  # linked records found deleted in QuickBooks
    # Started by a Web Connector session on the company's schedule (auto_import_every_minutes), not by a person.
    scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ImportFrontierId(Base):
    """An id a run filed at one TimeModified: the run's newest (`cursor.frontier`), or the one its iterator started
    at (`cursor.iter_from`, whose ids it skips). A page adds its ids in one statement; rows of a time the run has
    moved past are deleted. Kept apart from the cursor, which is written back at every page."""

    __tablename__ = "import_frontier"

    run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[str] = mapped_column(String(40), primary_key=True)  # the TimeModified as QuickBooks wrote it
    qb_id: Mapped[str] = mapped_column(String(50), primary_key=True)


class ImportWatermark(Base):
    """The newest TimeModified imported per company and kind, for incremental imports."""

    __tablename__ = "import_watermarks"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    modified_through: Mapped[datetime] = mapped_column(UtcDateTime)
