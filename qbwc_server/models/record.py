"""The host app's records (customers, jobs, items, invoices, payments, vendors, bills) and their QuickBooks identity."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qbwc_server import clock
from qbwc_server.models.base import Base, JsonOf, JsonType, UtcDateTime, enum_column
from qbwc_server.models.notes import Note


class RecordKind(enum.Enum):
    """The seven kinds of record; the value is the REST resource's singular."""

    CUSTOMER = "customer"
    JOB = "job"
    ITEM = "item"
    INVOICE = "invoice"
    PAYMENT = "payment"
    VENDOR = "vendor"
    BILL = "bill"

    @property
    def resource(self) -> str:
        """Return the REST API resource name (plural)."""
        return self.value + "s"

    @property
    def is_transaction(self) -> bool:
        """Tell whether QuickBooks identifies it by TxnID (else ListID)."""
        return self in {RecordKind.INVOICE, RecordKind.PAYMENT, RecordKind.BILL}

    @property
    def is_list(self) -> bool:
        """Tell whether it is a QuickBooks list record (customer, job, item, vendor), known by ListID and FullName."""
        return not self.is_transaction

    @classmethod
    def from_resource(cls, resource: str) -> RecordKind:
        """Return the kind for a REST resource name such as 'customers'."""
        for kind in cls:
            if kind.resource == resource:
                return kind
        raise ValueError(resource)


class SyncState(enum.Enum):
    """A record's sync state as the API and the page show it."""

    PENDING = "pending"  # stored, not queued (manual sync, paused kind, or before the sync start date)
    QUEUED = "queued"  # waiting in the queue (perhaps for a prerequisite)
    SENT = "sent"  # in a batch the Web Connector is running now
    SYNCED = "synced"  # QuickBooks has our current version
    ERROR = "error"  # QuickBooks refused it, or it cannot be sent as it is; waits for reprocess
    BLOCKED = "blocked"  # waits for a prerequisite that is in error
    EXCLUDED = "excluded"  # deliberately not synced (a filter or the bookkeeper said so)
    QB_DELETED = "deleted_in_quickbooks"  # its QuickBooks entry was deleted in QuickBooks; not re-added unless asked


class Origin(enum.Enum):
    """Where a record came from."""

    APP = "app"
    QUICKBOOKS = "quickbooks"


class Record(Base):
    """One host-app record: its current data, QuickBooks identity and sync state."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("company_id", "kind", "external_id", name="uq_records_company_kind_external"),
        Index("ix_records_company_state", "company_id", "sync_state"),
        Index("ix_records_company_kind_qbid", "company_id", "kind", "qb_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    kind: Mapped[RecordKind] = mapped_column(enum_column(RecordKind))
    external_id: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    origin: Mapped[Origin] = mapped_column(enum_column(Origin), default=Origin.APP)
    # Bumped on every change of `data`; `synced_version` says which version QuickBooks has.
    version: Mapped[int] = mapped_column(Integer, default=1)
    synced_version: Mapped[int | None] = mapped_column(Integer)

    qb_id: Mapped[str | None] = mapped_column(String(50))
    qb_edit_sequence: Mapped[str | None] = mapped_column(String(30))
    qb_full_name: Mapped[str | None] = mapped_column(String(260))
    qb_line_ids: Mapped[dict[str, str] | None] = mapped_column(JsonType)
    qb_data: Mapped[dict[str, Any] | None] = mapped_column(JsonType)

    sync_state: Mapped[SyncState] = mapped_column(enum_column(SyncState), default=SyncState.PENDING)
    # Why it waits, is held or excluded, or what went wrong (the column keeps its first name).
    last_error: Mapped[Note | None] = mapped_column(JsonOf(Note))
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
