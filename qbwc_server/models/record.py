"""The host app's records (customers, jobs, items, invoices, payments, vendors, bills) and their QuickBooks identity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from qbwc_server import clock
from qbwc_server.models.base import Base, HashedByIdentity, JsonOf, JsonType, UtcDateTime, enum_column
from qbwc_server.models.notes import Note


class RecordKind(HashedByIdentity):
    """The kinds of record; the value is the REST resource's singular."""

    CUSTOMER = "customer"
    JOB = "job"
    ITEM = "item"
    INVOICE = "invoice"
    PAYMENT = "payment"
    VENDOR = "vendor"
    BILL = "bill"
    CREDIT_MEMO = "credit_memo"
    REFUND = "refund"

    @property
    def resource(self) -> str:
        """Return the REST API resource name (plural)."""
        return self.value + "s"

    @property
    def is_transaction(self) -> bool:
        """Tell whether QuickBooks identifies it by TxnID (else ListID)."""
        # A set built once instead of one per call: asked several times per record.
        return self._value_ in _TRANSACTION_KINDS

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


_TRANSACTION_KINDS = frozenset(
    kind.value
    for kind in (RecordKind.INVOICE, RecordKind.PAYMENT, RecordKind.BILL, RecordKind.CREDIT_MEMO, RecordKind.REFUND)
)


class SyncState(HashedByIdentity):
    """A record's sync state as the API and the page show it."""

    PENDING = "pending"  # stored, not queued (manual sync, paused kind, or before the sync start date)
    QUEUED = "queued"  # waiting in the queue (perhaps for a prerequisite)
    SENT = "sent"  # in a batch the Web Connector is running now
    SYNCED = "synced"  # QuickBooks has our current version
    ERROR = "error"  # QuickBooks refused it, or it cannot be sent as it is; waits for reprocess
    BLOCKED = "blocked"  # waits for a prerequisite that is in error
    EXCLUDED = "excluded"  # deliberately not synced (a filter or the bookkeeper said so)
    QB_DELETED = "deleted_in_quickbooks"  # its QuickBooks entry was deleted in QuickBooks; not re-added unless asked
    VOIDED = "voided"  # removed from sync and voided in QuickBooks (its number and audit trail stay there)
    DELETED = "deleted"  # removed from sync and deleted in QuickBooks (or dropped before it ever reached it)
    INACTIVE = "inactive"  # removed from sync and made inactive in QuickBooks (list records are never deleted)


class Origin(HashedByIdentity):
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
        # One QuickBooks entry is linked to at most one record of a kind: two records never collapse into one.
        Index(
            "uq_records_company_kind_qbid",
            "company_id",
            "kind",
            "qb_id",
            unique=True,
            sqlite_where=text("qb_id IS NOT NULL"),
            postgresql_where=text("qb_id IS NOT NULL"),
        ),
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
    # Added to the name in QuickBooks so it differs from another record's or another list's: " (2)", " (V)".
    name_suffix: Mapped[str | None] = mapped_column(String(10))
    # The app's data and version when the record was linked to an entry QuickBooks already had: under the
    # keep_quickbooks link policy only fields that differ from these are sent.
    linked_data: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    linked_version: Mapped[int | None] = mapped_column(Integer)

    # QuickBooks' own figures for a transaction (subtotal, tax, total, balance, paid, ...) as its last answer or
    # import gave them, and the differences from the app's figures a bookkeeper should look at.
    qb_totals: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    warnings: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonType)
    warning_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    sync_state: Mapped[SyncState] = mapped_column(enum_column(SyncState), default=SyncState.PENDING)
    # Why it waits, is held or excluded, or what went wrong (the column keeps its first name).
    last_error: Mapped[Note | None] = mapped_column(JsonOf(Note))
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set when the app removed the record: the queue action that makes QuickBooks agree (void, delete, deactivate).
    removal: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
