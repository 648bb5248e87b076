"""Write events to the outbox in the transaction of the change that caused them: never lost, never for a rollback."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction, object_session

from qbwc_server import clock
from qbwc_server.models import (
    Company,
    DeliveryStatus,
    ImportRun,
    QueueAction,
    QueueItem,
    QueueStatus,
    Record,
    SyncState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from qbwc_server.webhooks.events import EventType, error_view, record_view

_ENDPOINTS = "webhook_endpoints"  # the key of the per-transaction cache in Session.info

_BY_STATE = {
    SyncState.SYNCED: EventType.RECORD_SYNCED,
    SyncState.ERROR: EventType.RECORD_ERROR,
    SyncState.BLOCKED: EventType.RECORD_BLOCKED,
}


def record_event(
    db: Session, record: Record, previous: SyncState | None, *, changed_fields: Sequence[str] = ()
) -> None:
    """Write the events a record's move from `previous` to its current state means (or its QuickBooks-side edits)."""
    if changed_fields:
        data = {"changed_fields": sorted(changed_fields)}
        _emit_for_record(db, record, EventType.RECORD_CHANGED_IN_QUICKBOOKS, data)
        return
    if record.sync_state is previous:
        return
    endpoints: list[WebhookEndpoint] | None = None  # looked up once, and only when an event may be due
    if previous is SyncState.SENT:
        # Leaving "sent" is where a lost answer shows: either one is found unknown now, or an earlier one is settled.
        endpoints = _subscribers(db, record.company_id)
        if endpoints:
            was_unknown = _last_outcome_event(db, record) == EventType.RECORD_OUTCOME_UNKNOWN.value
            unknown = record.sync_state is SyncState.QUEUED and _outcome_unknown(db, record)
            if unknown and not was_unknown:
                data = {"message": "The Web Connector never reported QuickBooks' answer; QuickBooks is checked next."}
                _emit_for_record(db, record, EventType.RECORD_OUTCOME_UNKNOWN, data, endpoints)
            elif was_unknown and not unknown:
                data = {"found_in_quickbooks": record.qb_id is not None}
                _emit_for_record(db, record, EventType.RECORD_OUTCOME_RESOLVED, data, endpoints)
    event_type = _BY_STATE.get(record.sync_state)
    if event_type is None:
        return
    data = {"error": error_view(record)} if event_type is not EventType.RECORD_SYNCED else {}
    _emit_for_record(db, record, event_type, data, endpoints)


def import_finished(run: ImportRun) -> None:
    """Write an `import.finished` event for a run that has just ended (done, failed or cancelled)."""
    from qbwc_server.imports import runs  # the imports package writes through this module

    db = object_session(run)
    if db is None:
        return
    endpoints = _subscribers(db, run.company_id, EventType.IMPORT_FINISHED)
    if endpoints:
        company = db.get(Company, run.company_id)
        assert company is not None
        emit(db, company, EventType.IMPORT_FINISHED, None, {"import": runs.describe(run).as_dict()}, endpoints)


def connection_checked(db: Session, company: Company) -> None:
    """Write a `connection.state_changed` event when the company's connection state is not the one last announced."""
    endpoints = _subscribers(db, company.id, EventType.CONNECTION_STATE_CHANGED)
    if not endpoints:
        return
    from qbwc_server.status import company_status  # status reads the queue, which writes through this module

    status = company_status(db, company)
    last = db.scalar(
        select(WebhookEvent.payload)
        .where(WebhookEvent.company_id == company.id, WebhookEvent.type == EventType.CONNECTION_STATE_CHANGED.value)
        .order_by(WebhookEvent.id.desc())
        .limit(1)
    )
    previous = (last or {}).get("data", {}).get("state")
    if previous == status.state:
        return
    data = {"state": status.state, "label": status.label, "message": status.explanation, "previous_state": previous}
    emit(db, company, EventType.CONNECTION_STATE_CHANGED, None, data, endpoints)


def emit(
    db: Session,
    company: Company,
    event_type: EventType,
    record: Record | None,
    data: dict[str, Any],
    endpoints: Sequence[WebhookEndpoint],
) -> WebhookEvent:
    """Add one event and a pending delivery per endpoint to the current transaction."""
    now = clock.now()
    public_id = "evt_" + secrets.token_urlsafe(18)
    payload = {
        "id": public_id,
        "type": event_type.value,
        "timestamp": now.isoformat(),
        "company": {"slug": company.slug, "name": company.name},
        "record": record_view(record) if record is not None else None,
        "data": data,
    }
    event = WebhookEvent(
        public_id=public_id,
        company_id=company.id,
        type=event_type.value,
        record_id=record.id if record is not None else None,
        payload=payload,
        created_at=now,
    )
    db.add(event)
    for endpoint in endpoints:
        db.add(
            WebhookDelivery(
                event=event,
                endpoint_id=endpoint.id,
                status=DeliveryStatus.PENDING,
                attempts=0,
                history=[],
                next_attempt_at=now,
                created_at=now,
            )
        )
    return event


def _emit_for_record(
    db: Session,
    record: Record,
    event_type: EventType,
    data: dict[str, Any],
    endpoints: Sequence[WebhookEndpoint] | None = None,
) -> None:
    wanted = _wanting(endpoints if endpoints is not None else _subscribers(db, record.company_id), event_type)
    if not wanted:
        return
    company = db.get(Company, record.company_id)
    assert company is not None
    emit(db, company, event_type, record, data, wanted)


def _subscribers(db: Session, company_id: int, event_type: EventType | None = None) -> list[WebhookEndpoint]:
    """Return the company's endpoints (those wanting `event_type`, when given), read once per transaction."""
    known: dict[int, list[WebhookEndpoint]] = db.info.setdefault(_ENDPOINTS, {})
    if company_id not in known:
        with db.no_autoflush:
            query = select(WebhookEndpoint).where(WebhookEndpoint.company_id == company_id)
            known[company_id] = list(db.scalars(query).all())
    endpoints = known[company_id]
    return _wanting(endpoints, event_type) if event_type is not None else endpoints


def forget_endpoints(db: Session) -> None:
    """Drop the endpoints this session has read, after someone added or removed one."""
    db.info.pop(_ENDPOINTS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # Each transaction reads the endpoints afresh, so one added by another process is seen by the next one.
    if transaction.parent is None:
        forget_endpoints(session)


def _wanting(endpoints: Sequence[WebhookEndpoint], event_type: EventType) -> list[WebhookEndpoint]:
    return [e for e in endpoints if not e.event_types or event_type.value in e.event_types]


def _last_outcome_event(db: Session, record: Record) -> str | None:
    return db.scalar(
        select(WebhookEvent.type)
        .where(WebhookEvent.record_id == record.id, WebhookEvent.type.like("record.outcome_%"))
        .order_by(WebhookEvent.id.desc())
        .limit(1)
    )


def _outcome_unknown(db: Session, record: Record) -> bool:
    """Tell whether the record's open item is a check of a send whose answer was lost."""
    item = db.scalar(
        select(QueueItem).where(
            QueueItem.record_id == record.id, QueueItem.status.in_([QueueStatus.READY, QueueStatus.SENT])
        )
    )
    return item is not None and item.unknown_outcome and item.action is QueueAction.LOOKUP
