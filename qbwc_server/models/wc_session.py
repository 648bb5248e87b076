"""A Web Connector update session, kept in the database so any server process can answer the next call."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qbwc_server import clock
from qbwc_server.models.base import Base, UtcDateTime, enum_column


class SessionState(enum.Enum):
    """Where a Web Connector session is in its conversation."""

    OPEN = "open"
    CLOSED = "closed"
    FAILED = "failed"
    EXPIRED = "expired"


class WcSession(Base):
    """One ticket: who holds it, what QuickBooks reported, and what it did."""

    __tablename__ = "wc_sessions"
    # A check-in asks whether its company has an open session: found by the index, not among every session it had.
    __table_args__ = (Index("ix_wc_sessions_company_state", "company_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(64), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    state: Mapped[SessionState] = mapped_column(enum_column(SessionState), default=SessionState.OPEN)
    qbxml_version: Mapped[str | None] = mapped_column(String(10))
    country: Mapped[str | None] = mapped_column(String(10))
    company_file: Mapped[str | None] = mapped_column(String(500))
    round_trips: Mapped[int] = mapped_column(Integer, default=0)
    requests_sent: Mapped[int] = mapped_column(Integer, default=0)
    succeeded: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
