"""Write events to the outbox in the transaction of the change that caused them: never lost, never for a rollback."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, event, exists, select
from sqlalchemy.orm import Session, SessionTransaction, object_session

from qbwc_server import clock
from qbwc_server.models import (
    Company,
    DeliveryStatus,
    ImportRun,
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
    SyncState.VOIDED: EventType.RECORD_REMOVED,
    SyncState.DELETED: EventType.RECORD_REMOVED,
    SyncState.INACTIVE: EventType.RECORD_REMOVED,
    SyncState.QB_DELETED: EventType.RECORD_DELETED_IN_QUICKBOOKS,
}


def record_moved(db: Session, record: Record, previous: SyncState | None) -> None:
    """Write the event a record's move from `previous` to its current state means (synced, in error or blocked)."""
    event_type = _BY_STATE.get(record.sync_state)
    if event_type is None or record.sync_state is previous:
        return
    data: dict[str, Any] = {}
    if event_type is EventType.RECORD_REMOVED:
        # What QuickBooks did (the record's state: voided, deleted, inactive) and the note that says it in words.
        data = {"removal": record.sync_state.value, "message": error_view(record)["message"]}
    elif event_type is EventType.RECORD_DELETED_IN_QUICKBOOKS:
        data = {"message": error_view(record)["message"]}
    elif event_type is not EventType.RECORD_SYNCED:
        data = {"error": error_view(record)}
    _emit_for_record(db, record, event_type, data)


def announces(state: SyncState) -> bool:
    """Tell whether a record's move into `state` writes an event."""
    return state in _BY_STATE


def outcome_unknown(db: Session, record: Record) -> None:
    """Write that a send's answer was lost, so QuickBooks is checked before the record goes again."""
    data = {"message": "The Web Connector never reported QuickBooks' answer; QuickBooks is checked next."}
    _emit_for_record(db, record, EventType.RECORD_OUTCOME_UNKNOWN, data)


def outcome_resolved(db: Session, record: Record) -> None:
    """Write that the check of a lost answer ended: QuickBooks has the record, or it is sent again."""
    endpoints = subscribers(db, record.company_id, EventType.RECORD_OUTCOME_RESOLVED)
    # Only a check the host app was told about is resolved (the server also looks records up on its own).
    if endpoints and _last_outcome_event(db, record) == EventType.RECORD_OUTCOME_UNKNOWN.value:
        data = {"found_in_quickbooks": record.qb_id is not None}
        _emit_for_record(db, record, EventType.RECORD_OUTCOME_RESOLVED, data, endpoints)


def changed_in_quickbooks(db: Session, record: Record, changed_fields: Sequence[str]) -> None:
    """Write that an import brought QuickBooks-side edits of these fields into the record."""
    data = {"changed_fields": sorted(changed_fields)}
    _emit_for_record(db, record, EventType.RECORD_CHANGED_IN_QUICKBOOKS, data)


def import_finished(run: ImportRun, view: dict[str, Any]) -> None:
    """Write an `import.finished` event, carrying `view`, for a run that has just ended (done, failed or cancelled)."""
    db = object_session(run)
    if db is None:
        return
    endpoints = subscribers(db, run.company_id, EventType.IMPORT_FINISHED)
    if endpoints:
        company = db.get(Company, run.company_id)
        assert company is not None
        emit(db, company, EventType.IMPORT_FINISHED, None, {"import": view}, endpoints)


def connection_changed(
    db: Session, company: Company, state: str, label: str, message: str, checks: Sequence[str] = ()
) -> None:
    """Write a `connection.state_changed` event when `state` is not the connection state last announced (`checks`:
    what a bookkeeper should look at, for a Web Connector not checking in)."""
    endpoints = subscribers(db, company.id, EventType.CONNECTION_STATE_CHANGED)
    if not endpoints:
        return
    previous = last_connection_state(db, company.id)
    if previous == state:
        return
    data = {"state": state, "label": label, "message": message, "previous_state": previous, "checks": list(checks)}
    emit(db, company, EventType.CONNECTION_STATE_CHANGED, None, data, endpoints)


def last_connection_state(db: Session, company_id: int) -> str | None:
    """Return the connection state last announced for a company (None: never announced)."""
    last = db.scalar(
        select(WebhookEvent.payload)
        .where(WebhookEvent.company_id == company_id, WebhookEvent.type == EventType.CONNECTION_STATE_CHANGED.value)
        .order_by(WebhookEvent.id.desc())
        .limit(1)
    )
    state = (last or {}).get("data", {}).get("state")
    return state if isinstance(state, str) else None


def wanted(db: Session, company: Company, event_type: EventType) -> bool:
    """Tell whether any endpoint of the company wants events of this type (read once per transaction)."""
    return bool(subscribers(db, company.id, event_type))


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
    wanted = _wanting(endpoints if endpoints is not None else subscribers(db, record.company_id), event_type)
    if not wanted:
        return
    company = db.get(Company, record.company_id)
    assert company is not None
    emit(db, company, event_type, record, data, wanted)


def subscribers(db: Session, company_id: int, event_type: EventType | None = None) -> list[WebhookEndpoint]:
    """Return the company's endpoints (those wanting `event_type`, when given), read once per transaction."""
    known: dict[int, list[WebhookEndpoint]] = db.info.setdefault(_ENDPOINTS, {})
    if company_id not in known:
        with db.no_autoflush:
            known[company_id] = list(db.scalars(_SUBSCRIBERS, {"company_id": company_id}).all())
    endpoints = known[company_id]
    return _wanting(endpoints, event_type) if event_type is not None else endpoints


# Built once: authenticate and closeConnection ask at every session, and building the query cost more than running it.
_SUBSCRIBERS = select(WebhookEndpoint).where(WebhookEndpoint.company_id == bindparam("company_id"))


# Whether the company of the row being read has a webhook endpoint (a column of a query on companies). A SOAP call
# reads it with its company's row and hands the answer to `note_any_endpoint`: with none, it asks no more in that call.
ANY_ENDPOINT = exists().where(WebhookEndpoint.company_id == Company.id)


def note_any_endpoint(db: Session, company_id: int, any_endpoint: bool) -> None:
    """Take what `ANY_ENDPOINT` said of the company in this transaction: with no endpoint, `subscribers` asks no more
    (with one, it reads them when first asked)."""
    if not any_endpoint:
        db.info.setdefault(_ENDPOINTS, {})[company_id] = []


def forget_endpoints(db: Session) -> None:
    """Drop the endpoints this session has read, after someone added or removed one."""
    db.info.pop(_ENDPOINTS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # Each transaction reads the endpoints afresh, so one added by another process is seen by the next one.
    if transaction.parent is None:
        forget_endpoints(session)


def _wanting(endpoints: Sequence[WebhookEndpoint], event_type: EventType) -> list[WebhookEndpoint]:
    return [e for e in endpoints if wants(e.event_types, event_type)]


def wants(event_types: Sequence[str] | None, event_type: EventType) -> bool:
    """Tell whether an endpoint subscribed to `event_types` (empty: every type) wants events of `event_type`."""
    return not event_types or event_type.value in event_types


def _last_outcome_event(db: Session, record: Record) -> str | None:
    return db.scalar(
        select(WebhookEvent.type)
        .where(WebhookEvent.record_id == record.id, WebhookEvent.type.like("record.outcome_%"))
        .order_by(WebhookEvent.id.desc())
        .limit(1)
    )
