"""Link a record to something QuickBooks already has, instead of letting the server add a second one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import synclog
from qbwc_server.company_settings import effective
from qbwc_server.errors import InvalidInput, QbwcError
from qbwc_server.models import Company, LogEvent, QueueAction, QueueStatus, Record
from qbwc_server.sync import lifecycle, queue
from qbwc_server.sync.eligibility import Verdict, decide
from qbwc_server.sync.lifecycle import Event, ItemEvent
from qbwc_server.sync.naming import same_list
from qbwc_server.sync.planner import display_name

MAX_ID_LENGTH = 50


def link_record(
    db: Session, company: Company, record: Record, qb_id: str, full_name: str | None = None, *, by: str = ""
) -> None:
    """Point a record at an existing QuickBooks ListID/TxnID; the next session reads it.

    Under link policy keep_quickbooks (and for link-only items) QuickBooks keeps its values; else our data is sent.
    """
    qb_id = qb_id.strip()
    if not qb_id or len(qb_id) > MAX_ID_LENGTH or any(ch.isspace() for ch in qb_id):
        raise InvalidInput({"qb_id": "must be a QuickBooks ListID or TxnID such as 80000001-1700000000"})
    # One QuickBooks entry belongs to one record (customers and jobs share QuickBooks' customer list).
    taken = db.scalar(
        select(Record).where(
            Record.company_id == company.id,
            Record.kind.in_(same_list(record.kind)),
            Record.qb_id == qb_id,
            Record.id != record.id,
        )
    )
    if taken is not None:
        raise QbwcError(
            f"{taken.kind.value} '{display_name(taken)}' ({taken.external_id}) is already linked to {qb_id}"
        )
    item = queue.open_item(db, record)
    if item is not None:
        if item.status is QueueStatus.SENT:
            queue.raise_busy(record)
        lifecycle.move_item(item, ItemEvent.CANCEL)
    # The EditSequence and line ids are unknown until QuickBooks is asked: the first request reads them.
    lifecycle.link(record, qb_id, full_name)
    shown = f"'{full_name}' ({qb_id})" if full_name else qb_id
    who = f" by {by}" if by else ""
    synclog.append(db, record, LogEvent.LINKED, f"Linked{who} to {shown} in QuickBooks.")
    lifecycle.move(db, record, Event.RESET)
    if decide(record, effective(company.settings), explicit=True).verdict is Verdict.SEND:
        queue.enqueue(db, company, record, action=QueueAction.REFRESH)
    else:
        queue.record_changed(db, company, record, explicit=True)
