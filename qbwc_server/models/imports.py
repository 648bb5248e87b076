"""An import from QuickBooks of one kind of list or history, resumable across sessions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qbwc_server import clock
from qbwc_server.models.base import Base, JsonType, UtcDateTime, enum_column


class ImportStatus(enum.Enum):
    """Where an import is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


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
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    remaining: Mapped[int | None] = mapped_column(Integer)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ImportWatermark(Base):
    """The newest TimeModified imported per company and kind, for incremental imports."""

    __tablename__ = "import_watermarks"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    modified_through: Mapped[datetime] = mapped_column(UtcDateTime)
