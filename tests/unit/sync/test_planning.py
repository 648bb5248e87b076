"""Questions do not write: whether there is work, and how far a session is, change nothing; planning does."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.models import Company, QueueAction, QueueItem, Record, RecordKind, SyncState, WcSession
from qbwc_server.sync import lifecycle, planned, planner, queue
from qbwc_server.sync.engine import SyncEngine
from qbwc_server.sync.planned import Planned
from tests.factories import make_company, make_record


def customer_in_quickbooks(db: Session, company: Company) -> Record:
    """Add the customer 'c1' (Lee) as synced: QuickBooks has it."""
    customer = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Lee")
    lifecycle.store_identity(customer, lifecycle.Identity("80000001-1", "1", "Lee"), customer.version)
    lifecycle.move(db, customer, lifecycle.Event.CONFIRM)
    return customer


@contextmanager
def loading() -> Iterator[list[object]]:
    """Collect the objects the ORM loads from rows inside the block."""
    loaded: list[object] = []

    def count(session: Session, instance: object) -> None:
        loaded.append(instance)

    event.listen(Session, "loaded_as_persistent", count)
    try:
        yield loaded
    finally:
        event.remove(Session, "loaded_as_persistent", count)


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


def test_a_plan_skips_invoice_lookups_beyond_its_share_without_loading_their_records(runtime, monkeypatch):
    # Given 60 invoices of a customer QuickBooks has, each queued to be looked up before it is added
    with runtime.transaction() as db:
        company = make_company(db)
        company_id = company.id
        customer_in_quickbooks(db, company)
        for n in range(60):
            invoice = make_record(db, company, RecordKind.INVOICE, f"i{n}", customer="c1", number=f"{1000 + n}")
            queue.enqueue(db, company, invoice, action=QueueAction.LOOKUP)
    # When the check-in plans (one grouped lookup is its share)
    with runtime.transaction() as db:
        company = db.get(Company, company_id)
        assert company is not None
        read: list[int] = []

        def rows_of(db: Session, items: Iterable[QueueItem]) -> dict[int, Planned]:
            rows = planned.rows_of(db, items)
            read.extend(rows)
            return rows

        def with_records(*args: Any, **kwargs: Any) -> tuple[Any, dict[int, Planned], bool]:
            chunk, rows, riders = first_chunk(*args, **kwargs)
            read.extend(rows)
            return chunk, rows, riders

        first_chunk = planner._candidates_and_records
        monkeypatch.setattr(planner, "rows_of", rows_of)
        monkeypatch.setattr(planner, "_candidates_and_records", with_records)
        with loading() as loaded:
            batch = planner.plan_batch(db, company, 1, grouped_lookups=1)
    # Then the first lookup goes, and the lookups after the first chunk are skipped by their kind alone
    assert [(item.action, record.external_id) for item, record in batch] == [(QueueAction.LOOKUP, "i0")]
    assert 0 < len(read) <= 30  # the first chunk's invoices, not all 60
    # And the invoices are read as rows, the customer they reference too: no record is loaded as an entity
    assert not [r for r in loaded if isinstance(r, Record)]


def test_whether_a_batch_could_go_is_answered_as_planning_would_and_from_rows_when_the_first_item_goes(runtime):
    with runtime.transaction() as db:
        # Given an invoice whose customer the app does not have, and a customer QuickBooks has
        company = make_company(db)
        customer_in_quickbooks(db, company)
        waiting = queue.enqueue(db, company, make_record(db, company, RecordKind.INVOICE, "i1", customer="c9"))
        db.flush()

        def planned() -> bool:
            return bool(planner.plan_batch(db, company, 1, grouped_lookups=1, write=False, first=True))

        # Then nothing can go, as planning says
        assert planner.has_sendable(db, company) is planned() is False
        # Given also an invoice of the customer QuickBooks has, queued after the waiting one: it can go
        queue.enqueue(db, company, make_record(db, company, RecordKind.INVOICE, "i2", customer="c1"))
        db.flush()
        assert planner.has_sendable(db, company) is planned() is True
        # Given the waiting invoice's item cancelled, so the one that can go is first
        lifecycle.move_item(waiting, lifecycle.ItemEvent.CANCEL)
        company_id = company.id
    with runtime.transaction() as db:
        company = db.get(Company, company_id)
        assert company is not None
        with loading() as loaded:
            goes = planner.has_sendable(db, company)
        # Then it is answered from the first item's row and its customer's: no item or record is loaded
        assert goes is True
        assert not [obj for obj in loaded if isinstance(obj, (QueueItem, Record))]
        # And when the item that can go may go only in an hour, nothing can go now, as planning says
        for item in db.scalars(select(QueueItem).where(QueueItem.company_id == company_id)):
            item.not_before = clock.now() + timedelta(hours=1)
        db.flush()
        assert planner.has_sendable(db, company) is False
        assert not planner.plan_batch(db, company, 1, grouped_lookups=1, write=False, first=True)


def test_first_sync_lookups_ride_along_a_full_batch_and_without_them_no_select_looks_for_them(runtime):
    with runtime.transaction() as db:
        # Given a customer QuickBooks has, and seven of its invoices to add (more than a batch of two and the few
        # items read beyond it)
        company = make_company(db)
        customer_in_quickbooks(db, company)
        for n in range(7):
            queue.enqueue(db, company, make_record(db, company, RecordKind.INVOICE, f"i{n}", customer="c1"))
        db.flush()
        engine = db.get_bind()
        statements: list[str] = []

        def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            # When a batch of two is planned
            batch = planner.plan_batch(db, company, 2)
            # Then the first two go, read with their records in one select: no other select of the queue looks for
            # lookups to ride along, as there is none near
            assert [record.external_id for _, record in batch if record is not None] == ["i0", "i1"]
            assert sum("FROM queue_items" in s for s in statements) == 1
            # Given two invoices to look up first (their first sync), queued after the seven
            for n in (7, 8):
                invoice = make_record(db, company, RecordKind.INVOICE, f"i{n}", customer="c1", number=f"{1000 + n}")
                queue.enqueue(db, company, invoice, action=QueueAction.LOOKUP)
            db.flush()
            statements.clear()
            # Then they ride along the full batch of two, as one query beyond its limit
            batch = planner.plan_batch(db, company, 2)
            assert [(item.action, record.external_id) for item, record in batch if record is not None] == [
                (QueueAction.SEND, "i0"),
                (QueueAction.SEND, "i1"),
                (QueueAction.LOOKUP, "i7"),
                (QueueAction.LOOKUP, "i8"),
            ]
        finally:
            event.remove(engine, "before_cursor_execute", note)
