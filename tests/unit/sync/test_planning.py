"""Questions do not write: whether there is work, and how far a session is, change nothing; planning does."""

from __future__ import annotations

from sqlalchemy import func, select

from qbwc_server.models import QueueItem, RecordKind, SyncState, WcSession
from qbwc_server.sync import queue
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
        engine.plan(db, company)
        assert customer.sync_state is SyncState.QUEUED
        assert invoice.last_error is not None and "Lee" in invoice.last_error.message
