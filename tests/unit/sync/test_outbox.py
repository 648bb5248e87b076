"""The outbox: an event is written in the transaction of its change, so a rolled-back change announces nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qbwc_server.companies import create_company
from qbwc_server.models import (
    Actor,
    Fix,
    Note,
    NoteKind,
    Record,
    RecordKind,
    SentInfo,
    WebhookDelivery,
    WebhookEvent,
)
from qbwc_server.records import store
from qbwc_server.sync import lifecycle, queue
from qbwc_server.sync.lifecycle import Event, ItemEvent
from qbwc_server.webhooks import endpoints


class Boom(Exception):
    """Raised to roll a transaction back."""


REFUSED = Note(
    NoteKind.ERROR,
    "QuickBooks error 3140: QuickBooks said no",
    status_code=3140,
    qb_message="QuickBooks said no",
    hint="Fix it",
    who_must_act=Actor.BOOKKEEPER_IN_QUICKBOOKS,
    fix=Fix.CREATE_IN_QUICKBOOKS,
    retryable=True,
)


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
        lifecycle.move(db, record, Event.FAIL, REFUSED)
        db.flush()
        raise Boom
    # Then nothing is waiting to be announced
    assert _count(runtime, WebhookEvent) == 0
    assert _count(runtime, WebhookDelivery) == 0


def test_a_committed_change_writes_its_event_for_each_endpoint_that_wants_it(runtime, company_with_two_endpoints):
    # When the one writer of sync states moves a record into error
    with runtime.transaction() as db:
        record = db.scalars(select(Record)).one()
        lifecycle.move(db, record, Event.FAIL, REFUSED)
    # Then its event carries the structured error: who must act, the fix, and whether trying again helps
    [event] = _events(runtime)
    assert event.type == "record.error"
    error = event.payload["data"]["error"]
    assert (error["status_code"], error["message"], error["hint"]) == (3140, REFUSED.message, "Fix it")
    assert (error["who_must_act"], error["fix"], error["retryable"]) == (
        "bookkeeper_in_quickbooks",
        "create_in_quickbooks",
        True,
    )
    assert event.payload["record"]["external_id"] == "c1"
    # Only the endpoint taking every type gets it; the one for synced records does not
    assert _count(runtime, WebhookDelivery) == 1


def test_a_move_that_keeps_the_state_announces_nothing_new(runtime, company_with_two_endpoints):
    # When a record is confirmed twice (a lookup found what QuickBooks already had)
    for _ in range(2):
        with runtime.transaction() as db:
            lifecycle.move(db, db.scalars(select(Record)).one(), Event.CONFIRM)
    # Then one record.synced event went to both endpoints
    assert [e.type for e in _events(runtime)] == ["record.synced"]
    assert _count(runtime, WebhookDelivery) == 2


def _events(runtime) -> list[WebhookEvent]:
    with runtime.transaction() as db:
        return list(db.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def test_a_lost_answer_and_its_check_are_announced_once_each(runtime, company_with_two_endpoints):
    # Given a customer's Add handed to a session
    with runtime.transaction() as db:
        record = db.scalars(select(Record)).one()
        item = queue.open_item(db, record)
        assert lifecycle.claim(db, item, "ticket-1", SentInfo("CustomerAddRq", add=True, version=record.version))
        lifecycle.move(db, record, Event.SEND)
    # When its answer is lost, twice (the lookup's answer is lost too)
    for ticket in ("ticket-2", "ticket-3"):
        with runtime.transaction() as db:
            record = db.scalars(select(Record)).one()
            item = queue.open_item(db, record)
            action, unknown = lifecycle.lost_answer(item)
            lifecycle.move_item(item, ItemEvent.AGAIN, action=action, unknown_outcome=unknown)
            lifecycle.move(db, record, Event.REQUEUE)
            assert lifecycle.claim(
                db, item, ticket, lifecycle.sent_info(item, lifecycle.Request("CustomerQueryRq", False, 1))
            )
            lifecycle.move(db, record, Event.SEND)
    # And the lookup then finds it in QuickBooks
    with runtime.transaction() as db:
        record = db.scalars(select(Record)).one()
        lifecycle.store_identity(record, lifecycle.Identity("80000001-1", "1"), record.version)
        lifecycle.move_item(queue.open_item(db, record), ItemEvent.DONE)
        lifecycle.move(db, record, Event.CONFIRM)
    # Then the host app heard: unknown once, resolved (found) once, then synced
    events = _events(runtime)
    assert [e.type for e in events] == ["record.outcome_unknown", "record.outcome_resolved", "record.synced"]
    assert events[1].payload["data"] == {"found_in_quickbooks": True}
