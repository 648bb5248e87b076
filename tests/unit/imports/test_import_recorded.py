"""Recorded real QuickBooks answers (accounts, customers with iterator attributes, items) land in the right places."""

from __future__ import annotations

from sqlalchemy import func, select

from qbwc_server.imports import runs
from qbwc_server.models import (
    ImportRun,
    ImportStatus,
    ImportWatermark,
    QbListEntry,
    Record,
    RecordKind,
    SyncState,
    WcSession,
)
from tests.factories import make_company
from tests.unit.imports.driving import Driver, request_id_of, with_request_id


def _answer_with(recorded_text: str):
    return lambda message_set: with_request_id(recorded_text, request_id_of(message_set))


def _entries(db, company, list_type):
    return db.scalars(
        select(QbListEntry).where(QbListEntry.company_id == company.id, QbListEntry.list_type == list_type)
    ).all()


def test_a_recorded_chart_of_accounts_becomes_the_account_list(runtime, recorded):
    with runtime.transaction() as db:
        company = make_company(db)
        runs.start(db, company, ["accounts"])
    driver = Driver(runtime, company.id, _answer_with(recorded("AccountQueryRs_consolibyte_2010.xml")))

    session = driver.session()

    assert len(session.trips) == 1 and session.trips[0].progress == 100
    assert (
        "<AccountQueryRq" in session.trips[0].request and "<ActiveStatus>All</ActiveStatus>" in session.trips[0].request
    )
    with runtime.transaction() as db:
        accounts = {entry.full_name: entry for entry in _entries(db, company, "account")}
        assert len(accounts) == 59
        assert accounts["Undeposited Funds"].subtype == "OtherCurrentAsset"
        assert accounts["Undeposited Funds"].data["number"] == "12000"
        # A subaccount keeps its parent in its full name, as the settings page offers it.
        assert accounts["Note Receivables:Note Rec. - Wells Fargo Bank"].list_id == "8000015B-1262895173"
        assert sum(1 for e in accounts.values() if e.subtype == "FixedAsset") == 16
        run = db.scalar(select(ImportRun).where(ImportRun.company_id == company.id))
        assert (run.status, run.seen, run.created) == (ImportStatus.DONE, 59, 59)
        # The newest TimeModified in the file becomes the next import's starting point.
        mark = db.get(ImportWatermark, (company.id, "accounts"))
        assert mark.modified_through.isoformat() == "2010-05-03T16:31:38+00:00"
        assert db.scalar(select(func.count()).select_from(Record)) == 0


def test_a_recorded_customer_page_with_an_iterator_waits_for_the_rest(runtime, recorded):
    with runtime.transaction() as db:
        company = make_company(db, import_max_returned=1)
        runs.start(db, company, ["customers"])
    driver = Driver(runtime, company.id, _answer_with(recorded("CustomerQueryRs_iterator_start_consolibyte_wiki.xml")))

    session = driver.session(max_trips=1)

    request = session.trips[0].request
    assert 'iterator="Start"' in request and "<MaxReturned>1</MaxReturned>" in request
    # 1 seen, 18 remaining: the Web Connector shows about 5 %.
    assert session.trips[0].progress == 5
    with runtime.transaction() as db:
        run = db.scalar(select(ImportRun).where(ImportRun.company_id == company.id))
        assert run.status is ImportStatus.RUNNING
        assert (run.remaining, run.iterator_id) == (18, "{eb05f701-e727-472f-8ade-6753c4f67a46}")
        customer = db.scalar(select(Record).where(Record.company_id == company.id))
        assert customer.kind is RecordKind.CUSTOMER
        assert customer.external_id == "qb-110000-1232697602"
        assert customer.data == {"name": "10th Customer", "active": True}
        assert (customer.qb_id, customer.qb_edit_sequence, customer.qb_full_name) == (
            "110000-1232697602",
            "1232697602",
            "10th Customer",
        )
        assert customer.origin.value == "quickbooks" and customer.synced_version == customer.version

    # The next session cannot use that iterator any more: it asks again from where the data stopped.
    second = driver.session(max_trips=1)
    request = second.trips[0].request
    assert 'iterator="Start"' in request
    assert "<FromModifiedDate>2009-01-23T03:00:02-05:00</FromModifiedDate>" in request
    with runtime.transaction() as db:
        # The same customer answered again is skipped, not stored twice.
        assert db.scalar(select(func.count()).select_from(Record)) == 1
        run = db.scalar(select(ImportRun).where(ImportRun.company_id == company.id))
        assert run.seen == 1
        assert db.scalar(select(func.count()).select_from(WcSession)) == 2


def test_recorded_inventory_items_are_listed_and_kept_as_link_only_inventory_records(runtime, recorded):
    with runtime.transaction() as db:
        company = make_company(db)
        runs.start(db, company, ["items"])
    driver = Driver(runtime, company.id, _answer_with(recorded("ItemQueryRs_flowlink_2014.xml")))

    session = driver.session()

    assert session.trips[-1].progress == 100
    with runtime.transaction() as db:
        items = {entry.full_name: entry for entry in _entries(db, company, "item")}
        assert set(items) == {"Haskell T-Shirt", "Ruby T-Shirt", "Sinatra T-Shirt", "SPREE-T-SHIRT-1"}
        assert {entry.subtype for entry in items.values()} == {"inventory"}
        assert items["Haskell T-Shirt"].data["price"] == "55.00"
        # They become item records that keep QuickBooks' type, found by name and never sent back.
        records = {r.data["name"]: r for r in db.scalars(select(Record)).all()}
        assert set(records) == set(items)
        assert {(r.data["type"], r.data["link_only"]) for r in records.values()} == {("inventory", True)}
        assert all(r.sync_state is SyncState.SYNCED and r.synced_version == r.version for r in records.values())
