"""Questions do not write: whether there is work, and how far a session is, change nothing; planning does."""

from __future__ import annotations

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from qbwc_server.models import Company, QueueAction, QueueItem, Record, RecordKind, SyncState, WcSession
from qbwc_server.sync import lifecycle, planner, queue
from qbwc_server.sync.engine import SyncEngine
from tests.factories import make_company, make_record


def test_asking_for_work_writes_nothing_and_planning_queues_the_prerequisite(runtime):
    with runtime.transaction() as db:
        # Given automatic sync is off, someone synced an invoice, and its customer arrived only afterwards
        company = make_company(db, auto_sync=False)
        invoice = make_record(db, company, RecordKind.INVOICE, "i1", customer="c1", number="1001", status="sent")
        queue.request_sync(db, company, invoice)
        customer = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Lee")
        queue.record_changed(db, company, customer)
        db.flush()
        assert (customer.sync_state, invoice.sync_state) == (SyncState.PENDING, SyncState.QUEUED)
        engine = SyncEngine()
        wc = WcSession(ticket="t-1", company_id=company.id, qbxml_version="13.0")
        db.add(wc)
        db.flush()
        # When the Web Connector's questions are asked
        assert engine.has_work(db, company)
        assert 0 <= engine.progress(db, company, wc) < 100
        # Then nothing changed: no item was queued, no record moved, no note was written
        assert not db.dirty and not db.new
        assert db.scalar(select(func.count()).select_from(QueueItem)) == 1
        assert (customer.sync_state, invoice.last_error) == (SyncState.PENDING, None)
        # And planning, at its one moment, queues the customer and says why the invoice waits
        engine.has_work(db, company, plan=True)
        assert customer.sync_state is SyncState.QUEUED
        assert invoice.last_error is not None and "Lee" in invoice.last_error.message


def test_a_plan_skips_invoice_lookups_beyond_its_share_without_loading_their_records(runtime):
    # Given 60 invoices of a customer QuickBooks has, each queued to be looked up before it is added
    with runtime.transaction() as db:
        company = make_company(db)
        company_id = company.id
        customer = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Lee")
        lifecycle.store_identity(customer, lifecycle.Identity("80000001-1", "1", "Lee"), customer.version)
        lifecycle.move(db, customer, lifecycle.Event.CONFIRM)
        for n in range(60):
            invoice = make_record(db, company, RecordKind.INVOICE, f"i{n}", customer="c1", number=f"{1000 + n}")
            queue.enqueue(db, company, invoice, action=QueueAction.LOOKUP)
    loaded: list[object] = []

    def count(session: Session, instance: object) -> None:
        loaded.append(instance)

    # When the check-in plans (one grouped lookup is its share)
    with runtime.transaction() as db:
        company = db.get(Company, company_id)
        assert company is not None
        event.listen(Session, "loaded_as_persistent", count)
        try:
            batch = planner.plan_batch(db, company, 1, grouped_lookups=1)
        finally:
            event.remove(Session, "loaded_as_persistent", count)
    # Then the first lookup goes, and the lookups after the first chunk are skipped by their kind alone
    assert [(item.action, record.external_id) for item, record in batch] == [(QueueAction.LOOKUP, "i0")]
    records = [r for r in loaded if isinstance(r, Record)]
    assert 0 < len(records) <= 30  # the first chunk's invoices and their customer, not all 60
