"""Queue items: one unit of work for QuickBooks (send a record, look one up, or fetch a page of an import)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from qbwc_server import clock
from qbwc_server.models.base import Base, JsonType, UtcDateTime, enum_column


class QueueStatus(enum.Enum):
    """Where a queue item is; only `qbwc_server.queue` changes it."""

    READY = "ready"  # may be sent once its prerequisites are in QuickBooks
    SENT = "sent"  # in a batch handed to the Web Connector, outcome not known yet
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


OPEN_STATUSES = (QueueStatus.READY, QueueStatus.SENT)


class QueueAction(enum.Enum):
    """What the item asks of QuickBooks."""

    SEND = "send"  # Add or Mod, decided when rendered from the record's current state
    LOOKUP = "lookup"  # find what QuickBooks already has (an Add of unknown outcome, or a 3100)
    REFRESH = "refresh"  # re-read the EditSequence after a 3200
    IMPORT = "import"  # one page of an import


class QueueItem(Base):
    """A unit of work; at most one open item per record (a partial unique index enforces it)."""

    __tablename__ = "queue_items"
    __table_args__ = (
        Index(
            "uq_queue_items_open_record",
            "record_id",
            unique=True,
            sqlite_where=text("status IN ('ready', 'sent')"),
            postgresql_where=text("status IN ('ready', 'sent')"),
        ),
        Index("ix_queue_items_claim", "company_id", "status", "priority", "id"),
        Index("ix_queue_items_ticket", "ticket"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"))
    action: Mapped[QueueAction] = mapped_column(enum_column(QueueAction), default=QueueAction.SEND)
    status: Mapped[QueueStatus] = mapped_column(enum_column(QueueStatus), default=QueueStatus.READY)
    # Lower sends first: lists before the transactions that reference them.
    priority: Mapped[int] = mapped_column(Integer, default=50)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime)
    waiting_on: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"))
    ticket: Mapped[str | None] = mapped_column(String(64))
    # What was sent, so a lost response can be reconciled: rq_type, whether it was an Add, the record version.
    sent_info: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    unknown_outcome: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
