"""Carry out what a step decided: identity, sync log, the item's and the record's moves, through `lifecycle`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from qbwc_server import clock, synclog
from qbwc_server.company_settings import effective
from qbwc_server.models import Company, LogEvent, Note, NoteKind, QueueAction, QueueItem, Record, SyncState
from qbwc_server.sync import credits, lifecycle, policy, queue, removal, totals
from qbwc_server.sync.lifecycle import Event, ItemEvent
from qbwc_server.sync.steps.base import Result, Transition


class Outcome:
    """Counts of what one response did, for the session's summary."""

    def __init__(self) -> None:
        self.succeeded = 0
        self.failed = 0
        self.imported = 0


def apply(
    db: Session,
    company: Company,
    ticket: str,
    item: QueueItem,
    record: Record | None,
    change: Transition,
    outcome: Outcome,
) -> None:
    """Apply one answer's transition to its item and record (an item about no record only moves itself)."""
    outcome.imported += change.imported
    if record is None:
        _apply_to_item(item, change)
        return
    for line in change.log:
        synclog.append(
            db,
            record,
            line.event,
            line.message,
            status_code=line.status_code,
            rq_type=line.rq_type,
            response_xml=line.response_xml,
            ticket=ticket,
        )
    # An Add's or Mod's answer: the record's identity and its figures are stored in one step (nothing between them
    # changes the record).
    figures = change.figures if change.identity is not None and _figures_with_identity(change) else None
    if change.identity is not None:
        lifecycle.store_identity(
            record,
            change.identity,
            change.synced_version,
            linked=change.linked,
            figures=figures.totals if figures is not None else None,
            warnings=figures.warnings if figures is not None else None,
        )
    if change.name_suffix is not None:
        lifecycle.set_name_suffix(record, change.name_suffix)
    if change.refreshed is not None:
        lifecycle.refresh_identity(record, change.refreshed)
    if change.forget_identity:
        lifecycle.forget_identity(record)
    if change.deleted_in_quickbooks:
        deleted_in_quickbooks(db, item, record, ticket)
        return
    if change.figures is not None:
        totals.apply(db, company, record, change.figures, ticket, stored=figures is not None)
    if change.refusal is not None:
        refusals = lifecycle.count_refusal(item)
        max_attempts = int(effective(company.settings)["max_attempts"])
        if change.result is Result.AGAIN and refusals >= max_attempts:
            text = f"{change.refusal.message} (gave up after {refusals} attempts)"
            fail(
                db, item, record, policy.quickbooks_error(change.refusal.status_code, text, record.kind.value), outcome
            )
            return
    if change.finish is not None:
        removal.finish(db, item, record, change.finish, change.log[0].message if change.log else "")
        outcome.succeeded += 1
        return
    if removal.follow(db, company, item, record, change.result.value, change.next_action):
        return  # the app removed the record meanwhile: its removal goes next (or nothing, if QuickBooks lacks it)
    if change.result is Result.DONE and credits.follow(db, company, item, record):
        outcome.succeeded += 1
        return  # a credit memo in QuickBooks: its credit is applied to the invoices next
    if change.result is Result.DONE:
        lifecycle.move_item(item, ItemEvent.DONE)
        confirm(db, company, record)
        outcome.succeeded += 1
        return
    if change.result is Result.FAILED:
        assert change.error is not None
        fail(db, item, record, change.error, outcome)
        return
    if change.look_up_first is not None and change.look_up_first.sync_state is not SyncState.QB_DELETED:
        # (A prerequisite deleted in QuickBooks is not added back on its own: the dependant shows it is blocked.)
        lifecycle.forget_synced_version(change.look_up_first)
        queue.enqueue(db, company, change.look_up_first, action=QueueAction.LOOKUP)
    if change.refused_with is not None:
        lifecycle.mark_refused_with(item, change.refused_with)
    again(
        db,
        item,
        record,
        action=change.next_action,
        unknown_outcome=change.unknown_outcome,
        delay_seconds=change.delay_seconds,
        error=change.item_error,
    )


def _figures_with_identity(change: Transition) -> bool:
    """Tell whether a transition's figures can be stored with its identity: it has its own figures, and none of the
    changes `apply` makes between the two (a name suffix, a refreshed or forgotten identity, a deletion)."""
    return (
        change.figures is not None
        and totals.own(change.figures)
        and change.name_suffix is None
        and change.refreshed is None
        and not change.forget_identity
        and not change.deleted_in_quickbooks
    )


def _apply_to_item(item: QueueItem, change: Transition) -> None:
    """Move an item that is about no record: done, failed, or again after a delay."""
    if change.result is Result.DONE:
        lifecycle.move_item(item, ItemEvent.DONE)
    elif change.result is Result.FAILED:
        lifecycle.move_item(
            item, ItemEvent.FAIL, error=change.item_error or (change.error.message if change.error else None)
        )
    else:
        lifecycle.move_item(
            item,
            ItemEvent.AGAIN,
            action=change.next_action,
            delay_seconds=change.delay_seconds,
            error=change.item_error,
        )


def confirm(db: Session, company: Company, record: Record) -> None:
    """Say QuickBooks has the record; when it changed meanwhile, queue the newer version."""
    if record.synced_version == record.version:
        lifecycle.move(db, record, Event.CONFIRM)
    else:
        # It changed while QuickBooks was busy with the previous version: send the newer one.
        lifecycle.move(db, record, Event.RESET)
        queue.record_changed(db, company, record)


def fail(db: Session, item: QueueItem, record: Record, error: Note, outcome: Outcome) -> None:
    """End an item that a person must act on, and show its error on the record."""
    lifecycle.move_item(item, ItemEvent.FAIL, error=error.message)
    lifecycle.move(db, record, Event.FAIL, error)
    outcome.failed += 1


def again(
    db: Session,
    item: QueueItem,
    record: Record | None,
    *,
    action: QueueAction | None = None,
    unknown_outcome: bool | None = None,
    delay_seconds: float = 0,
    error: str | None = None,
) -> None:
    """Put an item back in line (perhaps as another action) and show its record as queued."""
    lifecycle.move_item(
        item, ItemEvent.AGAIN, action=action, unknown_outcome=unknown_outcome, delay_seconds=delay_seconds, error=error
    )
    if record is not None and record.sync_state is not SyncState.QUEUED:
        lifecycle.move(db, record, Event.REQUEUE)


def deleted_in_quickbooks(db: Session, item: QueueItem, record: Record, ticket: str) -> None:
    """Our Mod found the record's entry deleted in QuickBooks: off the queue, shown as deleted, never re-added alone."""
    lifecycle.move_item(item, ItemEvent.CANCEL)
    lifecycle.move(db, record, Event.RESET)  # back from sent: QuickBooks ran the request, and it changed nothing
    message = (
        f"Deleted in QuickBooks: it no longer has this {record.kind.value} (found when sending a change on "
        f"{clock.now():%Y-%m-%d}). It is not added again on its own: re-add it if QuickBooks should have it."
    )
    lifecycle.move(db, record, Event.VANISH, Note(NoteKind.DELETED_IN_QUICKBOOKS, message))
    record.qb_data = {**(record.qb_data or {}), "deleted_in_quickbooks": None}
    synclog.append(db, record, LogEvent.DELETED_IN_QUICKBOOKS, message, ticket=ticket)
