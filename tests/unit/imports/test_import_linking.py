"""Imports link what the app already has, follow QuickBooks-side edits, and bring invoice and payment history."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from qbwc_server.imports import runs
from qbwc_server.models import (
    LogEvent,
    Origin,
    QueueItem,
    QueueStatus,
    Record,
    RecordKind,
    SyncLogEntry,
    SyncState,
)
from qbwc_server.simulator import FakeCompany, set_clock
from qbwc_server.sync import queue
from tests.factories import make_company, make_record
from tests.unit.imports.driving import Driver, Ticker, qbxml


@pytest.fixture
def ticker():
    clock = Ticker(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    set_clock(clock)
    yield clock
    set_clock(None)


def _log(db, record):  # type: ignore[no-untyped-def]
    return db.scalars(select(SyncLogEntry).where(SyncLogEntry.record_id == record.id).order_by(SyncLogEntry.id)).all()


def _by_qb_id(db, company, qb_id):  # type: ignore[no-untyped-def]
    return db.scalar(select(Record).where(Record.company_id == company.id, Record.qb_id == qb_id))


def _ok(fake: FakeCompany, body: str) -> str:
    response = fake.process(qbxml(body))
    assert 'statusCode="0"' in response, response
    return response


def test_local_records_with_the_same_names_are_linked_not_duplicated(runtime, ticker, schema_path):
    fake = FakeCompany.demo(schema_dir=schema_path)
    with runtime.transaction() as db:
        company = make_company(db)
        smith = make_record(db, company, RecordKind.CUSTOMER, "cust-7", first_name="John", last_name="Smith")
        job = make_record(
            db, company, RecordKind.JOB, "job-1001", customer="cust-7", number="1001", address={"line1": "12 Oak St"}
        )
        labor = make_record(db, company, RecordKind.ITEM, "labor", name="labor", type="service", price="90")
        queue.record_changed(db, company, smith)
        runs.start(db, company, ["items", "customers"])

    Driver(runtime, company.id, fake.process).session()

    with runtime.transaction() as db:
        smith, job, labor = (db.get(Record, r.id) for r in (smith, job, labor))
        qb_smith = fake.list_by_name("Customer", "Smith, John")
        assert smith.qb_id == qb_smith["ListID"] and smith.qb_full_name == "Smith, John"
        assert job.qb_full_name == "Smith, John:1001 - 12 Oak St" and job.qb_id
        assert labor.qb_full_name == "Labor"  # QuickBooks compares names ignoring case
        customers = db.scalar(
            select(func.count()).select_from(Record).where(Record.kind.in_([RecordKind.CUSTOMER, RecordKind.JOB]))
        )
        assert customers == len(fake.state.lists["Customer"])  # no second Smith
        assert any(e.event is LogEvent.LINKED for e in _log(db, smith))
        # The app's own data stays, and QuickBooks keeps its values: nothing is queued for the linked customer.
        assert smith.origin is Origin.APP and smith.data == {"first_name": "John", "last_name": "Smith"}
        assert smith.synced_version == smith.version and smith.sync_state is SyncState.SYNCED
        assert smith.linked_data == smith.data
        assert (
            "QuickBooks keeps its own values" in [e for e in _log(db, smith) if e.event is LogEvent.LINKED][0].message
        )
        assert labor.data["price"] == "90"
        imported_job = db.scalar(
            select(Record).where(
                Record.kind == RecordKind.JOB, Record.qb_full_name == "Garcia, Maria:1002 - 48 Pine Rd"
            )
        )
        assert imported_job.data["customer"] == _by_qb_id(db, company, imported_job.data["customer"][3:]).external_id


def test_quickbooks_edits_of_a_customer_the_app_sent_flow_back_without_being_sent_again(runtime, ticker, schema_path):
    fake = FakeCompany.demo(schema_dir=schema_path)
    qb_garcia = fake.list_by_name("Customer", "Garcia, Maria")
    with runtime.transaction() as db:
        company = make_company(db)
        # As the sync left it: in QuickBooks in its current version.
        garcia = make_record(db, company, RecordKind.CUSTOMER, "cust-9", first_name="Maria", last_name="Garcia")
        garcia.qb_id, garcia.qb_edit_sequence, garcia.qb_full_name = (
            qb_garcia["ListID"],
            qb_garcia["EditSequence"],
            "Garcia, Maria",
        )
        garcia.synced_version, garcia.sync_state = garcia.version, SyncState.SYNCED
        runs.start(db, company, ["customers"])
    driver = Driver(runtime, company.id, fake.process)
    driver.session()
    with runtime.transaction() as db:
        assert db.get(Record, garcia.id).version == 1  # unchanged in QuickBooks: nothing taken over
    ticker.advance(hours=2)
    _ok(
        fake,
        f"<CustomerModRq><CustomerMod><ListID>{qb_garcia['ListID']}</ListID>"
        f"<EditSequence>{qb_garcia['EditSequence']}</EditSequence><Phone>408-555-0142</Phone>"
        "<Email>maria@example.com</Email></CustomerMod></CustomerModRq>",
    )

    with runtime.transaction() as db:
        runs.start(db, company, ["customers"])
    driver.session()

    with runtime.transaction() as db:
        garcia = db.get(Record, garcia.id)
        assert garcia.data == {
            "first_name": "Maria",
            "last_name": "Garcia",
            "phone": "408-555-0142",
            "email": "maria@example.com",
        }
        assert garcia.qb_edit_sequence == fake.list_by_name("Customer", "Garcia, Maria")["EditSequence"]
        assert garcia.version == 2 and garcia.synced_version == 2 and garcia.sync_state is SyncState.SYNCED
        changed = [e.message for e in _log(db, garcia) if e.event is LogEvent.CHANGED_IN_QUICKBOOKS]
        assert changed == [
            "Changed in QuickBooks: email: (empty) → 'maria@example.com'; phone: (empty) → '408-555-0142'"
        ]
        assert queue.open_item(db, garcia) is None


def test_invoices_and_payments_come_in_as_history_and_payments_show_on_our_invoices(runtime, ticker, schema_path):
    fake = FakeCompany.demo(schema_dir=schema_path)
    lines = (
        "<InvoiceLineAdd><ItemRef><FullName>Labor</FullName></ItemRef><Quantity>2</Quantity><Rate>85.00</Rate>"
        "</InvoiceLineAdd><InvoiceLineAdd><ItemRef><FullName>Pipe Fittings</FullName></ItemRef>"
        "<Quantity>4</Quantity><Rate>12.50</Rate></InvoiceLineAdd>"
    )
    ours = _ok(
        fake,
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Smith, John:1001 - 12 Oak St</FullName></CustomerRef>"
        f"<TxnDate>2026-03-01</TxnDate><RefNumber>5001</RefNumber>{lines}</InvoiceAdd></InvoiceAddRq>",
    )
    ours_id = re.search(r"<TxnID>([^<]+)</TxnID>", ours).group(1)
    theirs = _ok(
        fake,
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Smith, John:1001 - 12 Oak St</FullName></CustomerRef>"
        f"<TxnDate>2026-03-02</TxnDate><RefNumber>5002</RefNumber><PONumber>PO-9</PONumber>{lines}"
        "</InvoiceAdd></InvoiceAddRq>",
    )
    theirs_id = re.search(r"<TxnID>([^<]+)</TxnID>", theirs).group(1)
    with runtime.transaction() as db:
        company = make_company(db)
        invoice = make_record(
            db, company, RecordKind.INVOICE, "inv-5001", customer="cust-7", number="5001", status="sent"
        )
        invoice.qb_id, invoice.qb_edit_sequence = ours_id, re.search(r"<EditSequence>([^<]+)<", ours).group(1)
        invoice.synced_version, invoice.sync_state = invoice.version, SyncState.SYNCED
        runs.start(db, company, ["all"])
    driver = Driver(runtime, company.id, fake.process)
    driver.session()
    ticker.advance(hours=2)
    _ok(
        fake,
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Smith, John:1001 - 12 Oak St</FullName>"
        "</CustomerRef><TxnDate>2026-03-05</TxnDate><RefNumber>CHK-77</RefNumber><TotalAmount>50.00</TotalAmount>"
        "<PaymentMethodRef><FullName>Check</FullName></PaymentMethodRef>"
        f"<AppliedToTxnAdd><TxnID>{ours_id}</TxnID><PaymentAmount>50.00</PaymentAmount></AppliedToTxnAdd>"
        "</ReceivePaymentAdd></ReceivePaymentAddRq>",
    )

    with runtime.transaction() as db:
        runs.start(db, company, ["invoices", "payments"])
    driver.session()
    driver.session()  # a repeated import of the same payment adds nothing more

    with runtime.transaction() as db:
        smith = _by_qb_id(db, company, fake.list_by_name("Customer", "Smith, John")["ListID"])
        job = _by_qb_id(db, company, fake.list_by_name("Customer", "Smith, John:1001 - 12 Oak St")["ListID"])
        labor = _by_qb_id(db, company, fake.list_by_name("ItemService", "Labor")["ListID"])
        history = _by_qb_id(db, company, theirs_id)
        assert history.origin is Origin.QUICKBOOKS and history.external_id == f"qb-{theirs_id}"
        assert history.data["customer"] == smith.external_id and history.data["job"] == job.external_id
        assert (history.data["number"], history.data["date"], history.data["po_number"]) == (
            "5002",
            "2026-03-02",
            "PO-9",
        )
        first = history.data["lines"][0]
        assert (first["item"], first["quantity"], first["rate"], first["amount"]) == (
            labor.external_id,
            "2",
            "85.00",
            "170.00",
        )
        assert first["taxable"] is False and history.data["lines"][1]["taxable"] is True
        assert history.qb_line_ids == {line["id"]: line["id"] for line in history.data["lines"]}
        assert history.sync_state is SyncState.SYNCED and history.synced_version == history.version

        invoice = db.get(Record, invoice.id)
        assert invoice.data == {"customer": "cust-7", "number": "5001", "status": "sent"}  # the app's own wording stays
        payment = db.scalar(select(Record).where(Record.kind == RecordKind.PAYMENT))
        assert payment.data["applied_to"] == [{"invoice": "inv-5001", "amount": "50.00"}]
        assert (payment.data["customer"], payment.data["method"], payment.data["amount"]) == (
            smith.external_id,
            "Check",
            "50.00",
        )
        notes = [e.message for e in _log(db, invoice) if e.event is LogEvent.CHANGED_IN_QUICKBOOKS]
        assert notes == ["Payment of 50.00 by Check recorded in QuickBooks on 2026-03-05."]
        # QuickBooks' new EditSequence for our invoice is kept, so the app's next change is not refused as stale.
        assert invoice.qb_edit_sequence == fake.by_txn_id[ours_id][1]["EditSequence"]
        assert db.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.status == QueueStatus.READY)) == 0
