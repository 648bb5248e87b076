"""The outbox: an event is written in the transaction of its change, so a rolled-back change announces nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qbwc_server import queue
from qbwc_server.companies import create_company
from qbwc_server.models import Record, RecordKind, SyncState, WebhookDelivery, WebhookEvent
from qbwc_server.records import store
from qbwc_server.webhooks import endpoints


class Boom(Exception):
    """Raised to roll a transaction back."""


def _count(runtime, model, *where) -> int:
    with runtime.transaction() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def company_with_two_endpoints(runtime):
    with runtime.transaction() as db:
        company = create_company(db, "acme", "Acme", "acme-qbwc", "a long enough password")
        endpoints.add(db, company, "https://app.example.com/hooks")
        endpoints.add(db, company, "https://other.example.com/hooks", events=["record.synced"])
        store.save(db, company, RecordKind.CUSTOMER, "c1", {"first_name": "Ann", "last_name": "Lee"})
    return company


def test_a_rolled_back_change_writes_no_event(runtime, company_with_two_endpoints):
    # When a record goes into error in a transaction that is then rolled back
    with pytest.raises(Boom), runtime.transaction() as db:
        record = db.scalars(select(Record)).one()
        queue.set_state(db, record, SyncState.ERROR, error={"message": "QuickBooks said no", "hint": "Fix it"})
        db.flush()
        raise Boom
    # Then nothing is waiting to be announced
    assert _count(runtime, WebhookEvent) == 0
    assert _count(runtime, WebhookDelivery) == 0


def test_a_committed_change_writes_its_event_for_each_endpoint_that_wants_it(runtime, company_with_two_endpoints):
    with runtime.transaction() as db:
        record = db.scalars(select(Record)).one()
        queue.set_state(db, record, SyncState.ERROR, error={"message": "QuickBooks said no", "hint": "Fix it"})
    [event] = _events(runtime)
    assert event.type == "record.error"
    assert event.payload["data"]["error"] == {"status_code": None, "message": "QuickBooks said no", "hint": "Fix it"}
    assert event.payload["record"]["external_id"] == "c1"
    # Only the endpoint taking every type gets it; the one for synced records does not
    assert _count(runtime, WebhookDelivery) == 1
    # And setting the same state again announces nothing new
    with runtime.transaction() as db:
        record = db.scalars(select(Record)).one()
        queue.set_state(db, record, SyncState.ERROR, error={"message": "QuickBooks said no", "hint": "Fix it"})
    assert len(_events(runtime)) == 1


def _events(runtime) -> list[WebhookEvent]:
    with runtime.transaction() as db:
        return list(db.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))
