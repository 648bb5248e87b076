"""Storing records: created or updated by external_id, versions that mean a real change, and the queue told."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qbwc_server.errors import InvalidInput, NotFound
from qbwc_server.models import (
    OPEN_STATUSES,
    Company,
    LogEvent,
    QueueItem,
    Record,
    RecordKind,
    SyncLogEntry,
    SyncState,
)
from qbwc_server.records import store

CUSTOMER = {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"}


def put(runtime, company_id, kind, external_id, payload):
    with runtime.transaction() as db:
        record, created = store.upsert(db, db.get(Company, company_id), kind, external_id, payload)
        return record.id, created, record.version, record.sync_state


def count(runtime, model, *where) -> int:
    with runtime.transaction() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def test_a_new_record_is_stored_logged_and_queued(runtime, make_company):
    company_id = make_company()
    record_id, created, version, state = put(runtime, company_id, RecordKind.CUSTOMER, "c-1", CUSTOMER)
    assert (created, version, state) == (True, 1, SyncState.QUEUED)
    with runtime.transaction() as db:
        events = db.scalars(select(SyncLogEntry.event).where(SyncLogEntry.record_id == record_id)).all()
    assert events == [LogEvent.STORED, LogEvent.QUEUED]


def test_invalid_input_stores_nothing(runtime, make_company):
    company_id = make_company()
    with pytest.raises(InvalidInput) as refused:
        put(runtime, company_id, RecordKind.INVOICE, "inv-1", {"customer": "c-1", "lines": [{"quantity": "x"}]})
    assert refused.value.errors == {"lines.0.quantity": "must be a number"}
    assert count(runtime, Record) == 0
    assert count(runtime, SyncLogEntry) == 0
    assert count(runtime, QueueItem) == 0


def test_an_update_of_an_invalid_kind_leaves_the_stored_version_alone(runtime, make_company):
    company_id = make_company()
    put(runtime, company_id, RecordKind.CUSTOMER, "c-1", CUSTOMER)
    with pytest.raises(InvalidInput):
        put(runtime, company_id, RecordKind.CUSTOMER, "c-1", {**CUSTOMER, "email": "nope"})
    with runtime.transaction() as db:
        record = store.get(db, db.get(Company, company_id), RecordKind.CUSTOMER, "c-1")
        assert (record.version, record.data["email"]) == (1, "ann@example.com")


def test_the_same_data_again_does_not_bump_the_version(runtime, make_company):
    company_id = make_company()
    put(runtime, company_id, RecordKind.CUSTOMER, "c-1", CUSTOMER)
    # Same content, different spelling of it: key order, padding, a null for an absent field.
    _, created, version, _ = put(
        runtime,
        company_id,
        RecordKind.CUSTOMER,
        "c-1",
        {"email": "ann@example.com", "last_name": "Lee ", "first_name": "Ann", "phone": None},
    )
    assert (created, version) == (False, 1)
    assert count(runtime, SyncLogEntry, SyncLogEntry.event == LogEvent.STORED) == 1


def test_five_edits_while_queued_leave_one_open_queue_item(runtime, make_company):
    company_id = make_company()
    for number in range(5):
        record_id, _, version, state = put(
            runtime, company_id, RecordKind.CUSTOMER, "c-1", {**CUSTOMER, "phone": f"555-010{number}"}
        )
    assert (version, state) == (5, SyncState.QUEUED)
    assert count(runtime, QueueItem, QueueItem.record_id == record_id, QueueItem.status.in_(OPEN_STATUSES)) == 1
    with runtime.transaction() as db:
        messages = db.scalars(
            select(SyncLogEntry.message).where(SyncLogEntry.event == LogEvent.STORED).order_by(SyncLogEntry.id)
        ).all()
    assert messages[-1] == "Updated by the app (version 5): phone."


def test_a_draft_invoice_is_pending_with_the_reason(runtime, make_company):
    company_id = make_company()
    _, _, _, state = put(runtime, company_id, RecordKind.INVOICE, "inv-1", {"customer": "c-1", "status": "draft"})
    assert state is SyncState.PENDING
    assert count(runtime, QueueItem) == 0
    with runtime.transaction() as db:
        record = store.get(db, db.get(Company, company_id), RecordKind.INVOICE, "inv-1")
        shown = store.serialize(record, store.log_entries(db, [record])[record.id])
    assert shown["sync"]["last_error"]["message"] == "Not sent yet: draft invoices never go to QuickBooks."
    # Once it is sent in the host app, it goes (with its customer queued first when that is stored).
    put(runtime, company_id, RecordKind.CUSTOMER, "c-1", CUSTOMER)
    _, _, version, state = put(runtime, company_id, RecordKind.INVOICE, "inv-1", {"customer": "c-1", "status": "sent"})
    assert (version, state) == (2, SyncState.QUEUED)


def test_a_payment_by_a_filtered_out_method_is_excluded_with_the_reason(runtime, make_company):
    company_id = make_company(settings={"payment_methods": ["Check", "Cash"]})
    _, _, _, state = put(
        runtime, company_id, RecordKind.PAYMENT, "p-1", {"customer": "c-1", "amount": 20, "method": "Visa"}
    )
    assert state is SyncState.EXCLUDED
    assert count(runtime, QueueItem) == 0
    with runtime.transaction() as db:
        record = store.get(db, db.get(Company, company_id), RecordKind.PAYMENT, "p-1")
        log = store.serialize(record, store.log_entries(db, [record])[record.id])["sync"]["log"]
    assert log[-1]["event"] == "excluded"
    assert "payments by 'Visa' do not sync" in log[-1]["message"]


def test_records_are_kept_apart_per_company_and_kind(runtime, make_company):
    acme, other = make_company("acme"), make_company("other")
    put(runtime, acme, RecordKind.CUSTOMER, "42", CUSTOMER)
    put(runtime, acme, RecordKind.VENDOR, "42", {"name": "Pipe Supply"})
    with runtime.transaction() as db:
        with pytest.raises(NotFound):
            store.get(db, db.get(Company, other), RecordKind.CUSTOMER, "42")
        assert store.get(db, db.get(Company, acme), RecordKind.VENDOR, "42").data == {"name": "Pipe Supply"}


def test_a_bad_external_id_is_refused(runtime, make_company):
    company_id = make_company()
    with pytest.raises(InvalidInput) as refused:
        put(runtime, company_id, RecordKind.CUSTOMER, "x" * 101, CUSTOMER)
    assert refused.value.errors == {"external_id": "must be at most 100 characters"}


def test_lists_filter_by_state_and_page_with_a_cursor(runtime, make_company):
    company_id = make_company()
    for number in range(5):
        put(
            runtime,
            company_id,
            RecordKind.INVOICE,
            f"inv-{number}",
            {"customer": "c", "status": "draft" if number % 2 else "sent"},
        )
    with runtime.transaction() as db:
        company = db.get(Company, company_id)
        first = store.list_records(db, company, RecordKind.INVOICE, limit=2)
        second = store.list_records(db, company, RecordKind.INVOICE, limit=2, cursor=first.next_cursor)
        third = store.list_records(db, company, RecordKind.INVOICE, limit=2, cursor=second.next_cursor)
        pending = store.list_records(db, company, RecordKind.INVOICE, SyncState.PENDING)
    seen = [r.external_id for page in (first, second, third) for r in page.records]
    assert seen == [f"inv-{n}" for n in range(5)]
    assert third.next_cursor is None
    assert [r.external_id for r in pending.records] == ["inv-1", "inv-3"]


def test_serialize_shows_fields_identity_and_log_but_no_qbxml(runtime, make_company):
    company_id = make_company()
    record_id, *_ = put(runtime, company_id, RecordKind.CUSTOMER, "c-1", CUSTOMER)
    with runtime.transaction() as db:
        record = db.get(Record, record_id)
        record.qb_id, record.qb_edit_sequence, record.qb_full_name = "80000001-1700000000", "1700000000", "Lee, Ann"
        entry = SyncLogEntry(
            company_id=company_id,
            record_id=record_id,
            event=LogEvent.SYNCED,
            message="Added to QuickBooks.",
            status_code=0,
            request_xml="<CustomerAddRq>secret body</CustomerAddRq>",
            response_xml="<CustomerAddRs/>",
        )
        db.add(entry)
        db.flush()
        shown = store.serialize(record, store.log_entries(db, [record])[record_id])
    assert shown["external_id"] == "c-1"
    assert shown["first_name"] == "Ann"
    assert shown["quickbooks"] == {"id": "80000001-1700000000", "edit_sequence": "1700000000", "full_name": "Lee, Ann"}
    assert [e["event"] for e in shown["sync"]["log"]] == ["stored", "queued", "synced"]
    assert shown["sync"]["log"][-1]["status_code"] == 0
    assert set(shown["sync"]["log"][-1]) == {"at", "event", "message", "status_code"}
    assert "secret body" not in str(shown)


def test_log_entries_keep_only_the_latest_of_each_record(runtime, make_company):
    company_id = make_company()
    for number in range(4):
        put(runtime, company_id, RecordKind.CUSTOMER, "c-1", {**CUSTOMER, "phone": str(number)})
    with runtime.transaction() as db:
        record = store.get(db, db.get(Company, company_id), RecordKind.CUSTOMER, "c-1")
        latest = store.log_entries(db, [record], per_record=2)[record.id]
    assert [entry.message for entry in latest] == [
        "Updated by the app (version 3): phone.",
        "Updated by the app (version 4): phone.",
    ]
