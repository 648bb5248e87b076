"""A credit memo's credit applied to invoices, after QuickBooks has the credit memo itself.

QuickBooks applies a credit through a payment: a ReceivePayment of zero whose applications carry SetCredit. Once a
credit memo's Add (or Mod) is in QuickBooks, `follow` queues that application as the record's next action; the
record is synced only when QuickBooks shows the credit applied.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from qbwc_server import synclog
from qbwc_server.models import Company, LogEvent, QueueAction, QueueItem, Record, RecordKind, SyncState
from qbwc_server.sync import lifecycle, queue
from qbwc_server.sync.lifecycle import Event, ItemEvent

_RECORD_ACTIONS = (QueueAction.SEND, QueueAction.LOOKUP, QueueAction.REFRESH)


def follow(db: Session, company: Company, item: QueueItem, record: Record) -> bool:
    """After QuickBooks took a credit memo, queue the application of its credit; False when there is none."""
    if record.kind is not RecordKind.CREDIT_MEMO or item.action not in _RECORD_ACTIONS or record.removal:
        return False
    if not (record.data or {}).get("applied_to"):
        return False
    lifecycle.move_item(item, ItemEvent.DONE)
    if record.sync_state is SyncState.SENT:
        lifecycle.move(db, record, Event.REQUEUE)
    # QuickBooks is read first: the credit may be applied already (an earlier version, or a lost answer).
    queue.enqueue(db, company, record, action=QueueAction.APPLY_CREDIT, unknown_outcome=True, existing=None)
    synclog.append(db, record, LogEvent.QUEUED, "In QuickBooks; its credit is applied to the invoices next.")
    return True
