"""Imports against the QuickBooks simulator in-process: exact counts, resuming after a dead session, incremental."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from qbwc_server.imports import runs
from qbwc_server.models import (
    Company,
    ImportFrontierId,
    ImportRun,
    ImportStatus,
    QbListEntry,
    QueueItem,
    Record,
    RecordKind,
    SyncLogEntry,
    WcSession,
)
from qbwc_server.simulator import FakeCompany, set_clock
from qbwc_server.simulator.samples import add
from qbwc_server.sync import queue
from qbwc_server.sync.engine import SyncEngine
from tests.factories import make_company
from tests.unit.imports.driving import Driver, Ticker, qbxml

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
AT = "2026-03-02T04:00:00-05:00"  # one TimeModified for a whole company (a bulk change in QuickBooks)


@pytest.fixture
def ticker():
    clock = Ticker(START)
    set_clock(clock)
    yield clock
    set_clock(None)


def _big_company(schema_path, customers=1200, items=120):  # type: ignore[no-untyped-def]
    fake = FakeCompany.generate(customers, jobs_per=0, inactive_share=0.1, items=items, vendors=30, seed=7)
    fake.schema_dir = schema_path
    parents = list(fake.state.lists["Customer"].values())
    for number, parent in enumerate(parents[::4]):
        add(fake, "Customer", parent, Name=f"{7000 + number} - Job", Balance="0.00", TotalBalance="0.00")
    return fake


def _records(db, company, kind):  # type: ignore[no-untyped-def]
    return db.scalars(select(Record).where(Record.company_id == company.id, Record.kind == kind)).all()


def _run(db, company, kind):  # type: ignore[no-untyped-def]
    return db.scalar(
        select(ImportRun)
        .where(ImportRun.company_id == company.id, ImportRun.kind == kind)
        .order_by(ImportRun.id.desc())
        .limit(1)
    )


def test_a_big_company_imports_every_list_with_exact_counts(sqlite_runtime, ticker, schema_path):
    fake = _big_company(schema_path)
    qb_customers = [c for c in fake.state.lists["Customer"].values() if c["Sublevel"] == "0"]
    qb_jobs = [c for c in fake.state.lists["Customer"].values() if c["Sublevel"] == "1"]
    with sqlite_runtime.transaction() as db:
        company = make_company(db, import_max_returned=250)
        runs.start(db, company, ["all"])
    driver = Driver(sqlite_runtime, company.id, fake.process)

    session = driver.session()

    progress = [trip.progress for trip in session.trips]
    assert progress[-1] == 100 and progress == sorted(progress)
    with sqlite_runtime.transaction() as db:
        customers = _records(db, company, RecordKind.CUSTOMER)
        jobs = _records(db, company, RecordKind.JOB)
        assert len(customers) == len(qb_customers) == 1200
        assert len(jobs) == len(qb_jobs) == 300
        inactive = sum(1 for c in customers if c.data["active"] is False)
        assert inactive == sum(1 for c in qb_customers if c["IsActive"] == "false") > 50
        assert len({c.qb_id for c in customers + jobs}) == 1500  # no duplicates
        # Every job hangs under its parent by the parent's external id.
        by_external = {c.external_id: c for c in customers}
        for job in jobs:
            assert job.qb_full_name == f"{by_external[job.data['customer']].qb_full_name}:{job.data['name']}"
        items = _records(db, company, RecordKind.ITEM)
        assert len(items) == 120 + sum(len(fake.state.lists[k]) for k in ("ItemNonInventory", "ItemOtherCharge"))
        item = next(i for i in items if i.data["name"] == "Service 00001")
        assert item.data["type"] == "service" and item.data["income_account"] == "Services"
        assert item.data["taxable"] is False  # its sales tax code "Non" does not tax
        assert len(_records(db, company, RecordKind.VENDOR)) == len(fake.state.lists["Vendor"]) == 30 + 2
        lists = Counter(db.scalars(select(QbListEntry.list_type).where(QbListEntry.company_id == company.id)).all())
        assert lists["account"] == len(fake.state.lists["Account"])
        assert lists["terms"] == len(fake.state.lists["StandardTerms"])
        assert lists["payment_method"] == len(fake.state.lists["PaymentMethod"])
        assert lists["sales_tax_code"] == len(fake.state.lists["SalesTaxCode"])
        assert lists["sales_tax_item"] == len(fake.state.lists["ItemSalesTax"]) + len(
            fake.state.lists["ItemSalesTaxGroup"]
        )
        assert lists["customer"] == 1200 and lists["job"] == 300
        assert all(run.status is ImportStatus.DONE for run in db.scalars(select(ImportRun)).all())
        # Imported records are QuickBooks' own and already in their synced version: nothing goes back.
        assert queue.force_sync(db, company) == 0
        assert db.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.record_id.is_not(None))) == 0
        assert not SyncEngine(None).has_work(db, company)


def _snapshot(runtime, company):  # type: ignore[no-untyped-def]
    with runtime.transaction() as db:
        return sorted(
            (r.kind.value, r.external_id, r.qb_full_name, r.qb_edit_sequence, repr(sorted(r.data.items())))
            for r in db.scalars(select(Record).where(Record.company_id == company.id)).all()
        )


def test_an_import_cut_off_mid_iterator_resumes_where_the_data_stopped(sqlite_runtime, ticker, schema_path):
    fake = _big_company(schema_path, customers=800, items=10)
    with sqlite_runtime.transaction() as db:
        whole = make_company(db, import_max_returned=100)
        cut = make_company(db, import_max_returned=100)
        runs.start(db, whole, ["customers"])
        runs.start(db, cut, ["customers"])
    Driver(sqlite_runtime, whole.id, fake.process).session()

    driver = Driver(sqlite_runtime, cut.id, fake.process)
    fake.begin_session()
    first = driver.session(max_trips=4)
    # The Web Connector gives up after QuickBooks answered a fifth page: that answer never reaches us.
    with sqlite_runtime.transaction() as db:
        from qbwc_server.models import Company, WcSession

        company = db.get(Company, cut.id)
        wc = db.scalar(select(WcSession).where(WcSession.ticket == first.ticket))
        lost = driver.ext.next_requests(db, company, wc)
    fake.process(qbxml(lost[0]))
    fake.begin_session()  # a new QuickBooks session: the old iterator is gone
    second = driver.session()

    assert first.trips[-1].progress < 50
    assert 'iterator="Start"' in second.trips[0].request
    assert "<FromModifiedDate>" in second.trips[0].request  # from where the data stopped, not from the start
    assert second.trips[-1].progress == 100
    assert len(first.trips) + len(second.trips) <= 10 + 2
    assert _snapshot(sqlite_runtime, cut) == _snapshot(sqlite_runtime, whole)
    with sqlite_runtime.transaction() as db:
        run = _run(db, cut, "customers")
        assert run.status is ImportStatus.DONE
        assert run.seen == run.created == 1000  # each object stored once: no gaps, no repeats


def _mod_customer(fake, full_name, **fields):  # type: ignore[no-untyped-def]
    customer = fake.list_by_name("Customer", full_name)
    body = "".join(f"<{key}>{value}</{key}>" for key, value in fields.items() if key != "BillAddress")
    if "BillAddress" in fields:
        body += (
            "<BillAddress>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields["BillAddress"].items()) + "</BillAddress>"
        )
    name = ""
    if "Name" in fields:
        name, body = f"<Name>{fields['Name']}</Name>", body.replace(f"<Name>{fields['Name']}</Name>", "")
    response = fake.process(
        qbxml(
            f"<CustomerModRq><CustomerMod><ListID>{customer['ListID']}</ListID>"
            f"<EditSequence>{customer['EditSequence']}</EditSequence>{name}{body}</CustomerMod></CustomerModRq>"
        )
    )
    assert 'statusCode="0"' in response, response


def test_a_second_import_brings_only_what_changed_in_quickbooks(runtime, ticker, schema_path):
    fake = FakeCompany.demo(schema_dir=schema_path)
    ticker.advance(hours=3)
    add(fake, "Customer", Name="Latecomer", Balance="0.00", TotalBalance="0.00")
    with runtime.transaction() as db:
        company = make_company(db)
        runs.start(db, company, ["customers"])
    driver = Driver(runtime, company.id, fake.process)
    driver.session()
    ticker.advance(hours=5)
    _mod_customer(fake, "Smith, John", Name="Smith, Johnny")
    _mod_customer(fake, "Garcia, Maria", BillAddress={"Addr1": "77 Elm St", "City": "Sunnyvale"})
    add(fake, "Customer", Name="Newcomer Inc", CompanyName="Newcomer Inc", Balance="0.00", TotalBalance="0.00")

    with runtime.transaction() as db:
        (again,) = runs.start(db, company, ["customers"])
        # From the newest change seen, less an hour for QuickBooks' daylight-saving quirk.
        assert again.from_modified is not None
    second = driver.session()

    # The changes, then which customers QuickBooks deleted since the last import.
    assert len(second.trips) == 2
    request = second.trips[0].request
    assert "<FromModifiedDate>2026-03-02T" in request and "-05:00</FromModifiedDate>" in request
    deleted = second.trips[1].request
    assert "<ListDeletedQueryRq" in deleted and "<ListDelType>Customer</ListDelType>" in deleted
    assert "<FromDeletedDate>2026-03-02T" in deleted and "-05:00</FromDeletedDate>" in deleted
    with runtime.transaction() as db:
        run = _run(db, company, "customers")
        # Seen: the three changes, and the newest customer of last time again (the hour of overlap), as a no-op.
        assert (run.seen, run.created, run.updated) == (4, 1, 2)
        smith = db.scalar(select(Record).where(Record.qb_full_name == "Smith, Johnny"))
        assert smith.data["name"] == "Smith, Johnny"
        job = db.scalar(
            select(Record).where(
                Record.kind == RecordKind.JOB, Record.data["customer"].as_string() == smith.external_id
            )
        )
        assert job.qb_full_name == "Smith, Johnny:1001 - 12 Oak St"
        log = [e.message for e in db.scalars(select(SyncLogEntry).where(SyncLogEntry.record_id == smith.id)).all()]
        assert "Changed in QuickBooks: name: 'Smith, John' → 'Smith, Johnny'" in log
        garcia = db.scalar(select(Record).where(Record.qb_full_name == "Garcia, Maria"))
        assert garcia.data["billing_address"]["line1"] == "77 Elm St"
        log = [e.message for e in db.scalars(select(SyncLogEntry).where(SyncLogEntry.record_id == garcia.id)).all()]
        assert any(
            "billing_address.line1: 'Maria Garcia' → '77 Elm St'; billing_address.line2: '48 Pine Rd' → (empty)" in m
            for m in log
        ), log
        # Taken over from QuickBooks, so not queued back to it.
        assert garcia.synced_version == garcia.version == 2
        assert db.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.record_id.is_not(None))) == 0


def _frontier_rows(db, run_id):  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(ImportFrontierId).where(ImportFrontierId.run_id == run_id))


def test_two_thousand_customers_of_one_time_resume_after_a_lost_answer_and_an_abandoned_session(
    runtime, ticker, schema_path
):
    # Given a QuickBooks company whose 2,000 customers were all changed at once (one TimeModified)
    fake = FakeCompany.generate(2000, jobs_per=0, inactive_share=0.0, items=0, vendors=0, seed=11)
    fake.schema_dir = schema_path
    for customer in fake.state.lists["Customer"].values():
        customer["TimeModified"] = AT
    with runtime.transaction() as db:
        company = make_company(db, import_max_returned=300)
        run_id = runs.start(db, company, ["customers"])[0].id
    driver = Driver(runtime, company.id, fake.process)

    # When a session files three pages and QuickBooks' answer to the fourth is lost
    fake.begin_session()
    first = driver.session(max_trips=3)
    with runtime.transaction() as db:
        wc = db.scalar(select(WcSession).where(WcSession.ticket == first.ticket))
        lost = driver.ext.next_requests(db, db.get(Company, company.id), wc)
        assert _frontier_rows(db, run_id) == db.get(ImportRun, run_id).seen == 900
    fake.process(qbxml(lost[0]))
    # … and the next session is abandoned after two more pages
    fake.begin_session()
    second = driver.session(max_trips=2)
    fake.begin_session()
    third = driver.session()

    # Then each new iterator starts at that one time, and every customer is filed exactly once
    for session in (second, third):
        assert 'iterator="Start"' in session.trips[0].request
        assert "<FromModifiedDate>2026-03-02T04:00:00-05:00</FromModifiedDate>" in session.trips[0].request
    assert third.trips[-1].progress == 100
    with runtime.transaction() as db:
        run = db.get(ImportRun, run_id)
        assert run.status is ImportStatus.DONE
        assert run.seen == run.created == 2000
        qb_ids = db.scalars(select(Record.qb_id).where(Record.company_id == company.id)).all()
        assert sorted(qb_ids) == sorted(fake.state.lists["Customer"])
        assert _frontier_rows(db, run_id) == 0  # a finished run keeps no frontier
