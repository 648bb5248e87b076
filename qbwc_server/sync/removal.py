"""Removing a record from sync, and making QuickBooks agree: void or delete a transaction, make a list record inactive.

`remove` is the one domain operation (the API, the CLI and the page call it). A record QuickBooks never had is
dropped at once. One QuickBooks has gets the removal as its queue item's action; one whose request QuickBooks is
running, or whose lost answer is being checked, keeps its item, and `follow` turns the item into the removal once
QuickBooks' answer is known: a void never overtakes the Add it voids, and an Add that never arrived is not voided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import synclog
from qbwc_server.company_settings import effective
from qbwc_server.errors import QbwcError
from qbwc_server.models import (
    REMOVALS,
    Company,
    LogEvent,
    Note,
    NoteKind,
    QueueAction,
    QueueItem,
    QueueStatus,
    Record,
    RecordKind,
    SyncState,
)
from qbwc_server.sync import lifecycle, queue, references
from qbwc_server.sync.lifecycle import Event, ItemEvent
from qbwc_server.sync.planner import display_name

REMOVED_STATES = frozenset({SyncState.VOIDED, SyncState.DELETED, SyncState.INACTIVE})
# The event that ends a record once QuickBooks carried out its removal.
FINISH = {QueueAction.VOID: Event.VOID, QueueAction.DELETE: Event.DELETE, QueueAction.DEACTIVATE: Event.DEACTIVATE}
_VERB = {
    QueueAction.VOID: "voiding it",
    QueueAction.DELETE: "deleting it",
    QueueAction.DEACTIVATE: "making it inactive",
}


class AlreadyRemoved(QbwcError):
    """Raised when the app changes a record it removed (a removed record stays as it was)."""


@dataclass(frozen=True)
class Removal:
    """What removing a record did, and what it does to QuickBooks, in words."""

    action: QueueAction | None  # what QuickBooks is asked to do; None when there was nothing to ask
    message: str
    effects: list[str] = field(default_factory=list)


def action_for(record: Record, settings: dict[str, Any]) -> QueueAction:
    """Return how QuickBooks removes a record of this kind under the company's settings."""
    if record.kind.is_list:
        return QueueAction.DEACTIVATE  # QuickBooks keeps list records that transactions use: never deleted
    if record.kind is RecordKind.PAYMENT:
        return QueueAction.DELETE  # qbXML cannot void a received payment
    return QueueAction.DELETE if settings.get("delete_transactions") == "delete" else QueueAction.VOID


def removal_action(record: Record) -> QueueAction | None:
    """Return the removal a record waits for, or None when the app has not removed it."""
    return QueueAction(record.removal) if record.removal else None


def is_removed(record: Record) -> bool:
    """Tell whether the app removed the record (whether or not QuickBooks has carried it out yet)."""
    return record.removal is not None or record.sync_state in REMOVED_STATES


def remove(db: Session, company: Company, record: Record) -> Removal:
    """Take a record out of sync and queue what makes QuickBooks agree; asking again changes nothing."""
    if is_removed(record):
        return Removal(removal_action(record), _already(record))
    action = action_for(record, effective(company.settings))
    item = queue.open_item(db, record)
    settled = item is None or (item.status is QueueStatus.READY and not item.unknown_outcome)
    record.removal = action.value
    if record.qb_id is None and settled:
        if item is not None:
            lifecycle.move_item(item, ItemEvent.CANCEL)
        text = "Removed by the app before it reached QuickBooks; there is nothing to change in QuickBooks."
        lifecycle.move(db, record, Event.DROP, Note(NoteKind.REMOVED, text))
        synclog.append(db, record, LogEvent.REMOVED, text)
        return Removal(None, text)
    effects = effects_before(db, company, record, action)
    text = f"Removed by the app: {_VERB[action]} in QuickBooks."
    if item is None:
        queue.enqueue(db, company, record, action=action)
    elif item.status is QueueStatus.READY and item.action is QueueAction.SEND and not item.unknown_outcome:
        lifecycle.move_item(item, ItemEvent.AGAIN, action=action)  # the change waiting to go is not needed now
        if record.sync_state is not SyncState.QUEUED:
            lifecycle.move(db, record, Event.QUEUE)
    else:
        text = (
            f"Removed by the app: {_VERB[action]} in QuickBooks as soon as QuickBooks' answer to the request "
            "it is running (or the check of a lost answer) is known."
        )
    lifecycle.note(record, Note(NoteKind.REMOVED, text))
    synclog.append(db, record, LogEvent.REMOVED, " ".join([text, *effects]))
    return Removal(action, text, effects)


def follow(db: Session, company: Company, item: QueueItem, record: Record, result: str, next_action: Any) -> bool:
    """After the answer to a removed record's own send, lookup or refresh, go on to its removal; False: not ours.

    `result` is the transition's result value (done, again, failed) and `next_action` the action it goes again as.
    """
    action = removal_action(record)
    if action is None or item.action in REMOVALS:
        return False
    if result == "again" and (next_action or item.action) is not QueueAction.SEND:
        return False  # a lookup or refresh still checks what QuickBooks has: its answer decides
    if result == "failed" and item.unknown_outcome and record.qb_id is None:
        return False  # the check of a lost Add failed: QuickBooks may have it, so a person reprocesses the check
    if record.qb_id is None:
        # QuickBooks does not have it (the Add was refused, or a lost one was not there): nothing to remove.
        lifecycle.move_item(item, ItemEvent.CANCEL)
        text = "Removed by the app; QuickBooks never got it, so there is nothing to change in QuickBooks."
        lifecycle.move(db, record, Event.DROP, Note(NoteKind.REMOVED, text))
        synclog.append(db, record, LogEvent.REMOVED, text)
        return True
    if record.sync_state is not SyncState.QUEUED:
        lifecycle.move(db, record, Event.REQUEUE if record.sync_state is SyncState.SENT else Event.QUEUE)
    if result == "again":
        lifecycle.move_item(item, ItemEvent.AGAIN, action=action, unknown_outcome=False)
    else:
        lifecycle.move_item(item, ItemEvent.DONE if result == "done" else ItemEvent.CANCEL)
        queue.enqueue(db, company, record, action=action, existing=None)
    text = f"QuickBooks' answer is in: now {_VERB[action]} in QuickBooks, as the app asked."
    lifecycle.note(record, Note(NoteKind.REMOVED, text))
    synclog.append(db, record, LogEvent.REMOVED, text)
    return True


def finish(db: Session, item: QueueItem, record: Record, event: Event, text: str) -> None:
    """End a removal QuickBooks carried out: the record stays readable in its removed state."""
    lifecycle.move_item(item, ItemEvent.DONE)
    lifecycle.move(db, record, event, Note(NoteKind.REMOVED, text))


def effects_before(db: Session, company: Company, record: Record, action: QueueAction) -> list[str]:
    """Say what removing the record does to the payments QuickBooks has on it, before it is done."""
    if record.kind is RecordKind.INVOICE:
        verb = "Voiding" if action is QueueAction.VOID else "Deleting"
        return [
            f"QuickBooks has payment {name} ({_money(amount)}) applied to this invoice. {verb} the invoice takes "
            f"that payment off it: {_money(amount)} becomes unused credit of the customer in QuickBooks, to refund "
            "or apply to another invoice."
            for name, amount in payments_on(db, company, record)
        ] + [
            f"QuickBooks has {_money(amount)} of credit memo {name} applied to this invoice. {verb} the invoice gives "
            "that credit back to the credit memo."
            for name, amount in payments_on(db, company, record, RecordKind.CREDIT_MEMO)
        ]
    if record.kind is RecordKind.PAYMENT:
        return [
            f"Deleting this payment in QuickBooks takes {_money(amount)} off invoice {name}, which is open again "
            "for that amount."
            for name, amount in invoices_paid(db, company, record)
        ]
    return []


def effects_after(db: Session, company: Company, record: Record) -> list[str]:
    """Say what QuickBooks did to the payments on the record, now that it is removed there."""
    if record.kind is RecordKind.INVOICE:
        return [
            f"Payment {name}'s {_money(amount)} is no longer applied to it; it is unused credit of the customer in "
            "QuickBooks."
            for name, amount in payments_on(db, company, record)
        ] + [
            f"Credit memo {name}'s {_money(amount)} is no longer applied to it; the credit memo has it to use again."
            for name, amount in payments_on(db, company, record, RecordKind.CREDIT_MEMO)
        ]
    if record.kind is RecordKind.PAYMENT:
        return [
            f"Invoice {name} is open again for {_money(amount)}." for name, amount in invoices_paid(db, company, record)
        ]
    return []


def payments_on(
    db: Session, company: Company, invoice: Record, kind: RecordKind = RecordKind.PAYMENT
) -> list[tuple[str, Decimal | None]]:
    """Return the payments (or credit memos) of ours in QuickBooks applied to an invoice, with the amount of each."""
    found = []
    rows = db.scalars(
        select(Record).where(Record.company_id == company.id, Record.kind == kind, Record.qb_id.is_not(None))
    )
    for payment in rows:
        if payment.sync_state in REMOVED_STATES or payment.removal:
            continue
        for applied in (payment.data or {}).get("applied_to") or []:
            if str(applied.get("invoice")) == invoice.external_id:
                found.append((_payment_name(payment), _decimal(applied.get("amount"))))
    return found


def invoices_paid(db: Session, company: Company, payment: Record) -> list[tuple[str, Decimal | None]]:
    """Return the invoices a payment of ours pays, by the name a bookkeeper knows, with the amount applied."""
    applied = [(str(a.get("invoice")), _decimal(a.get("amount"))) for a in (payment.data or {}).get("applied_to") or []]
    refs = [(RecordKind.INVOICE, external_id) for external_id, _ in applied]
    found = references.find_records(db, company.id, refs)
    # An invoice removed too (voided or deleted) is not open again: only the others are named.
    removed = {ref for ref, record in found.items() if is_removed(record)}
    applied = [
        (external_id, amount) for external_id, amount in applied if (RecordKind.INVOICE, external_id) not in removed
    ]
    named = {ref: display_name(record) for ref, record in found.items()}
    return [(named.get((RecordKind.INVOICE, external_id), external_id), amount) for external_id, amount in applied]


def _payment_name(payment: Record) -> str:
    reference = (payment.data or {}).get("reference") or (payment.data or {}).get("number")
    return f"'{reference}'" if reference else f"'{payment.external_id}'"


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _money(amount: Decimal | None) -> str:
    return f"${amount:,.2f}" if amount is not None else "its applied amount"


def describe(record: Record) -> str:
    """Say in a few words where a removed record's removal is."""
    if record.sync_state in REMOVED_STATES:
        return f"{record.sync_state.value} in QuickBooks" if record.qb_id else "it never reached QuickBooks"
    action = removal_action(record)
    return f"{_VERB[action]} in QuickBooks" if action is not None else "not removed"


def _already(record: Record) -> str:
    if record.sync_state in REMOVED_STATES:
        return f"Already removed: {record.sync_state.value} in QuickBooks."
    return "Already removed by the app; QuickBooks is being told."
