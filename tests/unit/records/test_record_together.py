"""A single PUT of a new record: on PostgreSQL its record, queue item and log lines go in as one statement, writing
exactly what the INSERTs of many records write; a record another request created meanwhile becomes an update."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from qbwc_server.models import Company, QueueItem, Record, RecordKind, SyncLogEntry
from qbwc_server.records import batch, lookup, store
from qbwc_server.sync import lifecycle
from qbwc_server.sync.lifecycle import Event
from qbwc_server.sync.quickbooks_identity import Identity
from tests import factories
from tests.unit.records.test_record_bulk import Statements, customer, save_many

SKIPPED = {"id", "record_id", "external_id", "created_at", "updated_at", "at", "finished_at", "sent_at", "not_before"}


def stored(runtime, external_id: str) -> dict[str, Any]:
    """A record's row, its queue items and its log lines, without ids and times (what a user sees of them)."""
    with runtime.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == external_id))
        items = db.scalars(select(QueueItem).where(QueueItem.record_id == record.id).order_by(QueueItem.id)).all()
        log = db.scalars(select(SyncLogEntry).where(SyncLogEntry.record_id == record.id).order_by(SyncLogEntry.id))

        def columns(row: Any) -> dict[str, Any]:
            return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in SKIPPED}

        return {"record": columns(record), "items": [columns(i) for i in items], "log": [columns(e) for e in log]}


def put_one(runtime, company_id: int, kind: RecordKind, external_id: str, payload: dict) -> store.Outcome:
    with runtime.transaction() as db:
        return store.put_shown(db, db.get(Company, company_id), kind, external_id, payload)[1]


def without_id(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "external_id"}


@pytest.mark.parametrize(
    "settings, created_at, state",
    [
        ({}, None, "queued"),
        ({"auto_sync": False}, None, "pending"),
        ({"sync_start_date": "2024-01-01"}, "2023-05-01", "excluded"),
    ],
)
def test_a_single_new_record_is_stored_as_a_batch_stores_it(runtime, make_company, settings, created_at, state):
    company_id = make_company(settings=settings)
    dated = {"created_at": created_at} if created_at else {}
    # Two at once go through the INSERTs of many records; one alone through its own statement on PostgreSQL.
    save_many(runtime, company_id, [{**customer(1), **dated}, {**customer(2), **dated}])
    assert put_one(runtime, company_id, RecordKind.CUSTOMER, "c3", without_id({**customer(3), **dated})) is (
        store.Outcome.CREATED
    )
    one, many = stored(runtime, "c3"), stored(runtime, "c1")
    assert one["record"]["sync_state"].value == state
    assert one["record"]["data"] == {**many["record"]["data"], "first_name": "Ann3", "email": "ann3@example.com"}
    one["record"]["data"] = many["record"]["data"]
    assert one == many
    assert len(one["log"]) == (1 if state == "pending" else 2)


def test_a_single_new_invoice_of_a_synced_customer_is_looked_up_first_as_in_a_batch(runtime, make_company):
    company_id = make_company()
    with runtime.transaction() as db:
        company = db.get(Company, company_id)
        known = factories.make_record(db, company, RecordKind.CUSTOMER, "known", name="Known Ltd")
        lifecycle.store_identity(known, Identity("80-known", "1"), known.version)
        lifecycle.move(db, known, Event.CONFIRM)

    def invoice(number: str) -> dict:
        return {"customer": "known", "number": number, "status": "sent", "lines": [{"description": "Work"}]}

    with runtime.transaction() as db:
        store.put(db, db.get(Company, company_id), RecordKind.INVOICE, "i1", invoice("1001"))
    invoices = [{"external_id": "i2", **invoice("1002")}, {"external_id": "i3", **invoice("1003")}]
    with runtime.transaction() as db:
        batch.save_many(db, db.get(Company, company_id), RecordKind.INVOICE, invoices)
    one, many = stored(runtime, "i1"), stored(runtime, "i2")
    assert [item["action"].value for item in one["items"]] == ["lookup"]
    one["record"]["data"] = many["record"]["data"]
    assert one == many


@pytest.mark.postgres
def test_a_new_record_another_request_created_meanwhile_becomes_an_update_with_nothing_left_over(
    pg_runtime, monkeypatch
):
    runtime = pg_runtime
    with runtime.transaction() as db:
        company_id = factories.make_company(db, "acme", qbwc_username="acme-qbwc").id
    assert put_one(runtime, company_id, RecordKind.CUSTOMER, "c1", without_id(customer(1))) is store.Outcome.CREATED
    # This PUT looked before the other request's record was there: its one statement inserts nothing.
    looks = []
    found = lookup.find_with_item

    def looked_too_early(*args):
        looks.append(args[3])
        return (None, None) if len(looks) == 1 else found(*args)

    monkeypatch.setattr(lookup, "find_with_item", looked_too_early)
    with Statements(runtime.engine) as statements:
        outcome = put_one(
            runtime, company_id, RecordKind.CUSTOMER, "c1", without_id({**customer(1), "first_name": "Bea"})
        )
    assert outcome is store.Outcome.UPDATED
    assert "WITH" in statements.seen
    assert looks == ["c1", "c1"]
    with runtime.transaction() as db:
        assert db.scalar(select(func.count()).select_from(Record)) == 1
        assert db.scalar(select(func.count()).select_from(QueueItem)) == 1  # the first PUT's, joined by the edit
        record = db.scalar(select(Record))
        assert (record.version, record.data["first_name"]) == (2, "Bea")
        events = db.scalars(select(SyncLogEntry.message).order_by(SyncLogEntry.id)).all()
    assert events == ["Received from the app.", "Queued for QuickBooks.", "Updated by the app (version 2): first_name."]


def test_a_single_new_invoice_of_a_queued_customer_is_stored_as_a_batch_stores_it(runtime, make_company):
    company_id = make_company()
    save_many(runtime, company_id, [customer(1)])  # queued, not in QuickBooks yet

    def invoice(number: str) -> dict:
        return {"customer": "c1", "number": number, "status": "sent", "lines": [{"description": "Work"}]}

    with Statements(runtime.engine) as statements:
        assert put_one(runtime, company_id, RecordKind.INVOICE, "i1", invoice("1001")) is store.Outcome.CREATED
    with runtime.transaction() as db:
        batch.save_many(
            db,
            db.get(Company, company_id),
            RecordKind.INVOICE,
            [{"external_id": "i2", **invoice("1002")}, {"external_id": "i3", **invoice("1003")}],
        )
    one, many = stored(runtime, "i1"), stored(runtime, "i2")
    assert [item["action"].value for item in one["items"]] == ["send"]
    one["record"]["data"] = many["record"]["data"]
    assert one == many
    assert len(stored(runtime, "c1")["items"]) == 1  # the customer's one item, not queued again
    if runtime.engine.dialect.name == "postgresql":
        # The company and the invoice's look-up, its customer and whether that is queued are read, then the invoice,
        # its item and its log lines go in as one statement.
        written = [word for word in statements.seen if word in ("SELECT", "INSERT", "WITH")]
        assert written == ["SELECT", "SELECT", "SELECT", "SELECT", "WITH"]
