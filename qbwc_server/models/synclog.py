"""The append-only sync log: every event in a record's life with QuickBooks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qbwc_server import clock
from qbwc_server.models.base import Base, HashedByIdentity, UtcDateTime, enum_column


class LogEvent(HashedByIdentity):
    """What happened to a record."""

    STORED = "stored"
    QUEUED = "queued"
    SENT = "sent"
    SYNCED = "synced"
    LINKED = "linked"
    RETRIED = "retried"
    FAILED = "failed"
    WARNING = "warning"
    EXCLUDED = "excluded"
    CANCELLED = "cancelled"
    IMPORTED = "imported"
    CHANGED_IN_QUICKBOOKS = "changed_in_quickbooks"
    REMOVED = "removed"  # the app removed it: voided, deleted or made inactive in QuickBooks, or dropped
    PAID = "paid"  # QuickBooks' balance of an invoice reached zero (or rose again) after a payment
    DELETED_IN_QUICKBOOKS = "deleted_in_quickbooks"
    CONFLICT = "conflict"


class SyncLogEntry(Base):
    """One event on one record, with QuickBooks' status and the qbXML exchanged."""

    __tablename__ = "sync_log"
    __table_args__ = (Index("ix_sync_log_record", "record_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    event: Mapped[LogEvent] = mapped_column(enum_column(LogEvent))
    message: Mapped[str] = mapped_column(Text, default="")
    status_code: Mapped[int | None] = mapped_column(Integer)
    rq_type: Mapped[str | None] = mapped_column(String(60))
    request_xml: Mapped[str | None] = mapped_column(Text)
    response_xml: Mapped[str | None] = mapped_column(Text)
    ticket_prefix: Mapped[str | None] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
