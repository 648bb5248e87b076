"""Imports end to end: our server over real HTTP, the fake Web Connector, and a simulated QuickBooks company."""

from __future__ import annotations

import copy

from sqlalchemy import func, select

from qbwc_server.imports import runs
from qbwc_server.models import (
    Company,
    ImportRun,
    ImportStatus,
    QbListEntry,
    QueueItem,
    Record,
    RecordKind,
    SyncLogEntry,
)
from qbwc_server.simulator import FakeCompany, Faults
from qbwc_server.simulator.samples import add


def _company(schema_path, customers: int, items: int) -> FakeCompany:  # type: ignore[no-untyped-def]
    """A bookkeeper's company: customers (a tenth inactive), every tenth with a job, items, full chart of accounts."""
    fake = FakeCompany.generate(customers, jobs_per=0, inactive_share=0.1, items=items, vendors=40, seed=11)
    fake.schema_dir = schema_path
    for number, parent in enumerate(list(fake.state.lists["Customer"].values())[::10]):
        add(fake, "Customer", parent, Name=f"{9000 + number} - Main St", Balance="0.00", TotalBalance="0.00")
    return fake


def _start(connected, *kinds: str) -> None:  # type: ignore[no-untyped-def]
    with connected.runtime.transaction() as db:
        runs.start(db, db.get(Company, connected.company_id), list(kinds))


def _count(db, company_id, kind):  # type: ignore[no-untyped-def]
    return db.scalar(
        select(func.count()).select_from(Record).where(Record.company_id == company_id, Record.kind == kind)
    )


def _progress(report) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(call.result) for call in report.calls if call.method == "receiveResponseXML"]


def test_thousands_of_customers_import_in_one_unattended_session(runtime, connect, ticker, schema_path):
    fake = _company(schema_path, customers=3000, items=300)
    connected = connect("bookkeeper", import_max_returned=500)
    _start(connected, "all")

    report = connected.web_connector(fake).run_session()

    assert report.outcome == "completed", report.messages
    progress = _progress(report)
    assert progress[-1] == 100 and progress == sorted(progress)
    # 3000 customers and 300 jobs in pages of 500 take 7 round trips; the lists add one or a few each.
    assert report.requests["CustomerQueryRq"] == 7
    assert report.requests["AccountQueryRq"] == 1
    with runtime.transaction() as db:
        company_id = connected.company_id
        qb_customers = [c for c in fake.state.lists["Customer"].values() if c["Sublevel"] == "0"]
        assert _count(db, company_id, RecordKind.CUSTOMER) == 3000
        assert _count(db, company_id, RecordKind.JOB) == 300
        assert _count(db, company_id, RecordKind.ITEM) == 300 + sum(
            len(fake.state.lists[k]) for k in ("ItemNonInventory", "ItemOtherCharge")
        )
        assert _count(db, company_id, RecordKind.VENDOR) == len(fake.state.lists["Vendor"])
        ids = db.scalars(select(Record.qb_id).where(Record.company_id == company_id)).all()
        assert len(ids) == len(set(ids))  # nothing twice
        inactive = db.scalar(
            select(func.count())
            .select_from(Record)
            .where(
                Record.company_id == company_id,
                Record.kind == RecordKind.CUSTOMER,
                Record.data["active"].as_boolean().is_(False),
            )
        )
        assert inactive == sum(1 for c in qb_customers if c["IsActive"] == "false") > 200
        accounts = db.scalar(
            select(func.count())
            .select_from(QbListEntry)
            .where(QbListEntry.company_id == company_id, QbListEntry.list_type == "account")
        )
        assert accounts == len(fake.state.lists["Account"])
        assert {run.status for run in db.scalars(select(ImportRun)).all()} == {ImportStatus.DONE}
        assert (
            db.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.record_id.is_not(None))) == 0
        )  # nothing is sent back


def _state(runtime, company_id):  # type: ignore[no-untyped-def]
    with runtime.transaction() as db:
        return sorted(
            (r.kind.value, r.external_id, r.qb_full_name, repr(sorted(r.data.items())))
            for r in db.scalars(select(Record).where(Record.company_id == company_id)).all()
        )


def test_an_import_cut_off_mid_iterator_resumes_and_ends_the_same(runtime, connect, ticker, schema_path):
    fake = _company(schema_path, customers=1200, items=20)
    whole, cut = connect("whole", import_max_returned=100), connect("cut", import_max_returned=100)
    _start(whole, "customers")
    _start(cut, "customers")
    whole.web_connector(copy.deepcopy(fake)).run_session()

    # QuickBooks answers the fourth page, but the Web Connector times out before handing it over.
    first = cut.web_connector(fake, Faults(drop_response_at=4)).run_session()
    cut.forget_dead_sessions()
    second = cut.web_connector(fake).run_session()

    assert _progress(first)[-1] < 50
    assert second.outcome == "completed" and _progress(second)[-1] == 100
    assert _state(runtime, cut.company_id) == _state(runtime, whole.company_id)
    with runtime.transaction() as db:
        run = db.scalar(select(ImportRun).where(ImportRun.company_id == cut.company_id))
        assert run.status is ImportStatus.DONE
        assert run.seen == run.created == 1320  # each customer and job stored once
    # 14 pages in all: three filed in the first session, the lost one and the rest asked again in the second.
    assert first.requests["CustomerQueryRq"] + second.requests["CustomerQueryRq"] == 15


def test_a_second_import_brings_only_the_changes_made_in_quickbooks(runtime, connect, ticker, schema_path):
    fake = _company(schema_path, customers=400, items=10)
    ticker.advance(hours=3)  # the newest customer and item came later than the rest
    add(fake, "Customer", Name="Latecomer", Balance="0.00", TotalBalance="0.00")
    add(fake, "ItemService", Name="Late Service", SalesOrPurchase={"Desc": "Late", "Price": "10.00"})
    connected = connect("incremental")
    _start(connected, "customers", "items")
    connected.web_connector(fake).run_session()
    ticker.advance(hours=6)
    customer = next(c for c in fake.state.lists["Customer"].values() if c["Sublevel"] == "0")
    old_name = customer["Name"]
    service = fake.list_by_name("ItemService", "Service 00003")
    answer = fake.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        f"<CustomerModRq><CustomerMod><ListID>{customer['ListID']}</ListID>"
        f"<EditSequence>{customer['EditSequence']}</EditSequence><Name>Renamed In QuickBooks</Name>"
        "<Phone>555-0199</Phone></CustomerMod></CustomerModRq>"
        f"<ItemServiceModRq><ItemServiceMod><ListID>{service['ListID']}</ListID>"
        f"<EditSequence>{service['EditSequence']}</EditSequence>"
        "<SalesOrPurchaseMod><Price>123.45</Price></SalesOrPurchaseMod></ItemServiceMod></ItemServiceModRq>"
        "</QBXMLMsgsRq></QBXML>"
    )
    assert answer.count('statusCode="0"') == 2, answer

    _start(connected, "customers", "items")
    report = connected.web_connector(fake).run_session()

    assert report.requests["CustomerQueryRq"] == 1 and report.requests["ItemQueryRq"] == 1
    with runtime.transaction() as db:
        latest = {
            run.kind: run
            for run in db.scalars(
                select(ImportRun).where(ImportRun.company_id == connected.company_id).order_by(ImportRun.id)
            ).all()
        }
        # Seen again: the change, and the newest object of last time (an hour of overlap), which changes nothing.
        assert (latest["customers"].seen, latest["customers"].updated, latest["customers"].created) == (2, 1, 0)
        assert (latest["items"].seen, latest["items"].updated, latest["items"].created) == (2, 1, 0)
        record = db.scalar(select(Record).where(Record.qb_id == customer["ListID"]))
        assert record.data["name"] == "Renamed In QuickBooks" and record.data["phone"] == "555-0199"
        assert record.synced_version == record.version  # taken over, not queued back
        messages = db.scalars(select(SyncLogEntry.message).where(SyncLogEntry.record_id == record.id)).all()
        assert any(f"name: '{old_name}' → 'Renamed In QuickBooks'" in m for m in messages)
        item = db.scalar(select(Record).where(Record.qb_id == service["ListID"]))
        assert item.data["price"] == "123.45"
        assert db.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.record_id.is_not(None))) == 0
