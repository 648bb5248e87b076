"""QuickBooks' own lists (accounts, terms, classes, payment methods, tax codes and items) as last imported."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qbwc_server import clock
from qbwc_server.models.base import Base, JsonType, UtcDateTime


class QbListEntry(Base):
    """One entry of a QuickBooks reference list, for mapping choices and validation."""

    __tablename__ = "qb_list_entries"
    __table_args__ = (UniqueConstraint("company_id", "list_type", "list_id", name="uq_qb_list_entries_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    list_type: Mapped[str] = mapped_column(String(40))  # account, terms, class, payment_method, sales_tax_code, …
    list_id: Mapped[str] = mapped_column(String(50))
    full_name: Mapped[str] = mapped_column(String(260))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    subtype: Mapped[str | None] = mapped_column(String(60))  # account type, item type
    edit_sequence: Mapped[str | None] = mapped_column(String(30))
    time_modified: Mapped[datetime | None] = mapped_column(UtcDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
