"""Queue items: one unit of work for QuickBooks (send a record, look one up, or fetch a page of an import)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, Integer, String, Text, bindparam, text
from sqlalchemy.orm import Mapped, mapped_column

from qbwc_server import clock
from qbwc_server.models.base import Base, HashedByIdentity, JsonOf, UtcDateTime, enum_column


class QueueStatus(HashedByIdentity):
    """Where a queue item is; only `qbwc_server.sync.lifecycle` changes it."""

    READY = "ready"  # may be sent once its prerequisites are in QuickBooks
    SENT = "sent"  # in a batch handed to the Web Connector, outcome not known yet
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


OPEN_STATUSES = (QueueStatus.READY, QueueStatus.SENT)


class QueueAction(HashedByIdentity):
    """What the item asks of QuickBooks."""

    SEND = "send"  # Add or Mod, decided when rendered from the record's current state
    LOOKUP = "lookup"  # find what QuickBooks already has (an Add of unknown outcome, or a 3100)
    REFRESH = "refresh"  # re-read the EditSequence after a 3200
    IMPORT = "import"  # one page of an import
    VOID = "void"  # void a removed transaction (TxnVoid: its number stays, its amounts become zero)
    DELETE = "delete"  # delete a removed transaction (TxnDel; payments, or the setting delete_transactions)
    DEACTIVATE = "deactivate"  # make a removed list record inactive (a Mod with IsActive false)
    APPLY_CREDIT = "apply_credit"  # apply a credit memo to invoices (a ReceivePayment of zero with SetCredit)


# The actions that carry out a record's removal; the record's `removal` names one of them.
REMOVALS = frozenset({QueueAction.VOID, QueueAction.DELETE, QueueAction.DEACTIVATE})
# Actions whose lost answer is checked by reading QuickBooks before they are sent again (besides Adds and Mods).
CHECKED_AFTER_LOSS = REMOVALS | {QueueAction.APPLY_CREDIT}


@dataclass(frozen=True)
class SentInfo:
    """What the last request of an item carried, so its answer (or its loss) can be reconciled."""

    rq_type: str
    add: bool  # an Add: QuickBooks may hold it already when the answer is lost
    version: int  # the record version the request carried
    edit_sequence: str | None = None  # the EditSequence a Mod carried
    split: int | None = None  # after a refused message set: at most this many items per set
    group: str | None = None  # the requestID of a query shared with other items
    # The version of an Add whose outcome is unknown, kept through any number of lookups and lost answers.
    add_version: int | None = None
    # The version and EditSequence of a Mod whose outcome is unknown, kept until QuickBooks is read again.
    mod_version: int | None = None
    mod_edit_sequence: str | None = None
    # The status code of the QuickBooks refusal that turned this item into a lookup (3100: the name is in use).
    refused_with: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the value as stored (every field is a plain value: no deep copy as `asdict` makes is needed)."""
        return {name: getattr(self, name) for name in _SENT_INFO_FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SentInfo:
        """Read a stored value (unknown keys of older rows are ignored)."""
        return cls(
            rq_type=str(data.get("rq_type") or ""),
            add=bool(data.get("add")),
            version=int(data.get("version") or 0),
            edit_sequence=data.get("edit_sequence"),
            split=data.get("split"),
            group=data.get("group"),
            add_version=data.get("add_version"),
            mod_version=data.get("mod_version"),
            mod_edit_sequence=data.get("mod_edit_sequence"),
            refused_with=data.get("refused_with"),
        )


_SENT_INFO_FIELDS = tuple(field.name for field in fields(SentInfo))


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
        # The two references to a record: removing a record finds its items and the items waiting on it by these.
        Index("ix_queue_items_record", "record_id"),
        Index("ix_queue_items_waiting_on", "waiting_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"))
    action: Mapped[QueueAction] = mapped_column(enum_column(QueueAction), default=QueueAction.SEND)
    status: Mapped[QueueStatus] = mapped_column(enum_column(QueueStatus), default=QueueStatus.READY)
    # Lower sends first: lists before the transactions that reference them.
    priority: Mapped[int] = mapped_column(Integer, default=50)
    # QuickBooks' refusals of this item; a lost answer is not one (max_attempts counts these).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime)
    waiting_on: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"))
    ticket: Mapped[str | None] = mapped_column(String(64))
    sent_info: Mapped[SentInfo | None] = mapped_column(JsonOf(SentInfo))
    unknown_outcome: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


def is_open() -> ColumnElement[bool]:
    """The condition "the item is open" (ready or sent), with the statuses written into the statement, not bound.

    SQLite uses the partial index of open items (`uq_queue_items_open_record`) only when the statement's own text
    says the status is open, and PostgreSQL's generic plan of a prepared statement cannot tell that a bound list
    holds the rare statuses: either would read every queue item the company ever had.
    """
    statuses = bindparam(None, list(OPEN_STATUSES), type_=QueueItem.status.type, expanding=True, literal_execute=True)
    return QueueItem.status.in_(statuses)
