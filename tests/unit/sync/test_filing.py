"""Filing a message set's answers: the lifecycle's writes held back and written as grouped UPDATEs, never too late."""

from __future__ import annotations

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from qbwc_server.models import Company, Note, NoteKind, QueueItem, QueueStatus, Record, RecordKind, SyncState
from qbwc_server.simulator import FakeCompany
from qbwc_server.sync import lifecycle, queue, references
from qbwc_server.sync.lifecycle import Event, Identity, ItemEvent
from tests.factories import claim, make_company, make_record
from tests.unit.sync.sessions import Sessions
from tests.unit.sync.test_planning import loading


def _sent(db, n):
    company = make_company(db)
    records = [make_record(db, company, RecordKind.CUSTOMER, f"c{i}", last_name=f"N{i}") for i in range(n)]
    for record in records:
        queue.enqueue(db, company, record)
        assert claim(db, record, "ticket-1")
    lifecycle.move_all(db, records, Event.SEND)
    items = [queue.open_item(db, record) for record in records]
    db.flush()
    return records, items


def test_a_sets_filing_is_one_update_per_table_and_leaves_nothing_to_flush(runtime):
    with runtime.transaction() as db:
        records, items = _sent(db, 3)
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
        updates = lambda: [s.lstrip().split()[:2] for s in statements if s.lstrip().startswith("UPDATE")]  # noqa: E731
        sa_event.listen(runtime.engine, "before_cursor_execute", listener)
        try:
            with lifecycle.filing(db):
                for n, (record, item) in enumerate(zip(records, items, strict=True)):
                    lifecycle.store_identity(record, Identity(f"80000{n}-1", "100", f"N{n}"), record.version)
                    lifecycle.move_item(item, ItemEvent.DONE)
                    lifecycle.move(db, record, Event.CONFIRM)
                    assert (record.sync_state, item.status) == (SyncState.SYNCED, QueueStatus.DONE)
                assert updates() == []  # held back until the block ends
                assert not db.dirty  # the loaded objects show the values as stored: no flush writes them again
        finally:
            sa_event.remove(runtime.engine, "before_cursor_execute", listener)
        assert updates() == [["UPDATE", "records"], ["UPDATE", "queue_items"]]
        db.expire_all()
        assert [(r.sync_state, r.qb_id, r.qb_full_name, r.synced_version) for r in records] == [
            (SyncState.SYNCED, f"80000{n}-1", f"N{n}", r.version) for n, r in enumerate(records)
        ]
        assert all(r.qb_data["synced_es"] == "100" for r in records)
        assert {item.status for item in items} == {QueueStatus.DONE}


def test_the_answered_items_and_records_are_filed_without_reading_them_again(runtime):
    # `answered` leaves out the columns filing writes and does not read: filing writes them without a SELECT, the
    # objects show them as stored, and the database holds them.
    with runtime.transaction() as db:
        records, _ = _sent(db, 3)
        company_id = records[0].company_id
        db.commit()
    with runtime.transaction() as db:
        company = db.get(Company, company_id)
        assert company is not None
        items, by_id = queue.answered(db, company, "ticket-1")
        assert len(items) == 3
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
        sa_event.listen(runtime.engine, "before_cursor_execute", listener)
        try:
            with lifecycle.filing(db):
                for n, item in enumerate(items):
                    record = by_id[item.record_id]
                    lifecycle.store_identity(record, Identity(f"80000{n}-1", "100", f"N{n}"), record.version)
                    lifecycle.move_item(item, ItemEvent.DONE)
                    lifecycle.move(db, record, Event.CONFIRM)
            shown = [(by_id[i.record_id].synced_at, by_id[i.record_id].updated_at, i.finished_at) for i in items]
        finally:
            sa_event.remove(runtime.engine, "before_cursor_execute", listener)
        reads = [s for s in statements if s.lstrip().startswith("SELECT") and "webhook_endpoints" not in s]
        assert reads == []  # (the company's webhook endpoints are read once per transaction, as always)
        assert [s.lstrip().split()[:2] for s in statements if s.lstrip().startswith("UPDATE")] == [
            ["UPDATE", "records"],
            ["UPDATE", "queue_items"],
        ]
        assert all(value is not None for row in shown for value in row)
        assert not db.dirty
    with runtime.transaction() as db:
        stored = db.execute(
            select(Record.synced_at, Record.updated_at, QueueItem.finished_at)
            .join(QueueItem, QueueItem.record_id == Record.id)
            .where(Record.id.in_([i.record_id for i in items]))
            .order_by(QueueItem.id)
        ).all()
        assert [tuple(row) for row in stored] == shown


def test_an_answers_identity_and_figures_stored_together_are_as_stored_one_after_the_other(runtime):
    # An Add's answer gives the record's identity and QuickBooks' figures at once: stored in one step they are what
    # `store_identity` and then `store_figures` store (the kept totals merged, the warnings counted), in one UPDATE.
    warning = {"code": "totals_differ", "message": "QuickBooks' total differs.", "causes": []}
    shown = []
    with runtime.transaction() as db:
        together, apart = _sent(db, 2)[0]
        for record in (together, apart):
            record.qb_totals = {"balance": "5.00", "paid_by": "payment p1"}
        db.flush()
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
        sa_event.listen(runtime.engine, "before_cursor_execute", listener)
        try:
            with lifecycle.filing(db):
                figures = {"total": "12.00", "balance": "12.00"}
                lifecycle.store_identity(
                    together, Identity("T-1", "100"), together.version, figures=figures, warnings=[warning]
                )
                lifecycle.store_identity(apart, Identity("T-2", "100"), apart.version)
                lifecycle.store_figures(apart, figures, [warning])
                assert not db.dirty
        finally:
            sa_event.remove(runtime.engine, "before_cursor_execute", listener)
        assert [s.lstrip().split()[:2] for s in statements if s.lstrip().startswith("UPDATE")] == [
            ["UPDATE", "records"]
        ]
        db.expire_all()
        for record in (together, apart):
            shown.append((record.qb_edit_sequence, record.synced_version == record.version, record.qb_totals))
            shown.append((record.warnings, record.warning_count, record.qb_data["synced_es"]))
    assert shown[:2] == shown[2:]
    assert shown[0] == ("100", True, {"total": "12.00", "balance": "12.00", "paid_by": "payment p1"})
    assert (together.qb_id, apart.qb_id) == ("T-1", "T-2")
    assert shown[1] == ([warning], 1, "100")


def test_a_query_inside_the_block_sees_what_it_holds(runtime):
    with runtime.transaction() as db:
        (record,), (item,) = _sent(db, 1)
        with lifecycle.filing(db):
            lifecycle.move_item(item, ItemEvent.DONE)
            lifecycle.move(db, record, Event.CONFIRM)
            assert queue.open_item(db, record) is None  # the item is no longer open in the database
            state = db.execute(select(Record.sync_state).where(Record.id == record.id)).scalar_one()
            assert state is SyncState.SYNCED


def test_a_value_set_later_through_the_orm_is_the_one_kept(runtime):
    with runtime.transaction() as db:
        (record,), (item,) = _sent(db, 1)
        first = Note(NoteKind.ERROR, "QuickBooks refused it.")
        later = Note(NoteKind.REMOVED, "Removed by the app.")
        with lifecycle.filing(db):
            lifecycle.move_item(item, ItemEvent.FAIL, error=first.message)
            lifecycle.move(db, record, Event.FAIL, first)
            lifecycle.note(record, later)  # an ORM write after the held one
            db.flush()
        db.expire_all()
        assert (record.sync_state, record.last_error, item.status) == (SyncState.ERROR, later, QueueStatus.FAILED)


def test_a_savepoint_rolled_back_inside_the_block_does_not_take_what_it_held(runtime):
    with runtime.transaction() as db:
        (record,), (item,) = _sent(db, 1)
        with lifecycle.filing(db):
            lifecycle.move_item(item, ItemEvent.DONE)
            with pytest.raises(RuntimeError), db.begin_nested():
                db.add(Record(company_id=record.company_id, kind=RecordKind.CUSTOMER, external_id="x", data={}))
                db.flush()
                raise RuntimeError("undone")
        db.expire_all()
        assert db.get(QueueItem, item.id).status is QueueStatus.DONE
        assert db.scalar(select(Record).where(Record.external_id == "x")) is None


def test_a_value_the_object_holds_or_has_pending_through_the_orm_is_written_and_shown_as_stored(runtime):
    with runtime.transaction() as db:
        (record,), (item,) = _sent(db, 1)
        name = record.qb_full_name
        record.qb_full_name = "Renamed"  # an ORM change pending on a column the answer writes with the same value
        with lifecycle.filing(db):
            # The id and the name as the object holds them (the name as pending), an empty note as it holds none.
            lifecycle.store_identity(record, Identity("80000-1", "7", "Renamed"), record.version)
            lifecycle.store_identity(record, Identity("80000-1", "8", "Renamed"), record.version)
            lifecycle.move_item(item, ItemEvent.DONE)
            lifecycle.move(db, record, Event.CONFIRM)
            assert (record.qb_id, record.qb_edit_sequence, record.qb_full_name) == ("80000-1", "8", "Renamed")
            assert record.last_error is None
            assert not db.is_modified(record)  # the pending change became the stored value: no flush writes it
        db.expire_all()
        assert name != "Renamed"
        assert (record.qb_id, record.qb_edit_sequence, record.qb_full_name) == ("80000-1", "8", "Renamed")
        assert (record.sync_state, record.last_error, item.status) == (SyncState.SYNCED, None, QueueStatus.DONE)


def test_outside_a_block_the_writers_set_the_attributes_for_the_orm(runtime):
    with runtime.transaction() as db:
        (record,), (item,) = _sent(db, 1)
        lifecycle.move_item(item, ItemEvent.DONE)
        lifecycle.move(db, record, Event.CONFIRM)
        assert record in db.dirty and item in db.dirty


def test_a_lookups_answer_reads_the_references_as_rows_and_the_sets_own_records_as_themselves(runtime):
    # Given a customer and an item in QuickBooks, then the customer's first invoice and a second customer's
    s = _customer_and_item_in_quickbooks(runtime)
    s.put(RecordKind.CUSTOMER, "c2", {"first_name": "Bo", "last_name": "Ng"})
    _invoices(s, (("1001", "c1"), ("1002", "c2")))
    ticket = s.open()
    # When each set is answered (the invoices' first-sync lookup in one, the new customer's Add in the same or before)
    loaded_by_lookups: list[object] = []
    while (request := s.send(ticket)) is not None:
        response = s.run(request)
        with loading() as loaded:
            s.answer(ticket, response)
        if "<InvoiceQueryRq" in request:
            loaded_by_lookups += loaded
    # Then filing the lookups loaded no record they only reference: the first customer and the item were read as rows
    found = {(r.kind, r.external_id) for r in loaded_by_lookups if isinstance(r, Record)}
    assert found and (RecordKind.CUSTOMER, "c1") not in found and (RecordKind.ITEM, "svc") not in found
    # And the invoices went to QuickBooks with their customers, the one added in the same session included
    assert {s.record(RecordKind.INVOICE, n).sync_state for n in ("1001", "1002")} == {SyncState.SYNCED}
    customers = {inv["RefNumber"]: inv["CustomerRef"]["ListID"] for inv in s.qb.state.txns["Invoice"].values()}
    assert customers == {n: s.record(RecordKind.CUSTOMER, c).qb_id for n, c in (("1001", "c1"), ("1002", "c2"))}


def test_a_lookups_answer_of_nothing_found_reads_no_reference_ahead(runtime):
    # Given a customer and an item in QuickBooks, then two new invoices of that customer (QuickBooks has neither)
    s = _customer_and_item_in_quickbooks(runtime)
    _invoices(s, (("1001", "c1"), ("1002", "c1")))
    ticket = s.open()
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
    # When the set of their first-sync lookups is answered (nothing found)
    request = s.send(ticket)
    assert request is not None and "<InvoiceQueryRq" in request
    response = s.run(request)
    sa_event.listen(runtime.engine, "before_cursor_execute", listener)
    try:
        s.answer(ticket, response)
    finally:
        sa_event.remove(runtime.engine, "before_cursor_execute", listener)
    # Then the references were read once, by the question of what goes next, not also ahead of the filing
    by_reference = [st for st in statements if "records.external_id IN" in st and "records.kind IN" in st]
    assert len(by_reference) == 1
    # And the invoices went on to QuickBooks as Adds, with their customer
    while s.round_trip(ticket) is not None:
        pass
    assert {s.record(RecordKind.INVOICE, n).sync_state for n in ("1001", "1002")} == {SyncState.SYNCED}
    customers = {inv["CustomerRef"]["ListID"] for inv in s.qb.state.txns["Invoice"].values()}
    assert customers == {s.record(RecordKind.CUSTOMER, "c1").qb_id}


def _customer_and_item_in_quickbooks(runtime) -> Sessions:
    """A company whose customer 'c1' and service item 'svc' are synced to an empty QuickBooks."""
    with runtime.transaction() as db:
        company_id = make_company(db).id
    s = Sessions(runtime, company_id, FakeCompany.empty())
    s.put(RecordKind.CUSTOMER, "c1", {"first_name": "Ann", "last_name": "Lee"})
    s.put(RecordKind.ITEM, "svc", {"name": "Labor", "type": "service", "price": "10.00"})
    s.sync()
    return s


def _invoices(s: Sessions, numbers_and_customers) -> None:
    """Put a one-line invoice of the service item for each (number, customer)."""
    for number, customer in numbers_and_customers:
        lines = [{"item": "svc", "quantity": "1", "rate": "10.00"}]
        body = {"customer": customer, "number": number, "date": "2026-11-02", "status": "sent", "lines": lines}
        s.put(RecordKind.INVOICE, number, body)


def test_a_remembered_record_is_found_by_its_current_quickbooks_id(runtime):
    # Settling a payment's invoices finds each among the records the call found before, by QuickBooks id: after the
    # index of them is made, a changed id, a record found later and one not found at all are each answered rightly.
    with runtime.transaction() as db:
        company = make_company(db)
        first, second, third = (make_record(db, company, RecordKind.INVOICE, f"i{n}", number=f"{n}") for n in range(3))
        first.qb_id, second.qb_id, third.qb_id = "T-1", "T-2", "T-3"
        db.flush()
        with references.remembering(db):
            references.find_records(db, company.id, [(RecordKind.INVOICE, "i0"), (RecordKind.INVOICE, "i1")])
            assert references.remembered(db, company.id, RecordKind.INVOICE, "T-1") is first
            assert references.remembered(db, company.id, RecordKind.CUSTOMER, "T-1") is None
            second.qb_id = "T-2b"  # its answer filed since the index was made
            assert references.remembered(db, company.id, RecordKind.INVOICE, "T-2") is None
            assert references.remembered(db, company.id, RecordKind.INVOICE, "T-2b") is second
            assert references.remembered(db, company.id, RecordKind.INVOICE, "T-3") is None  # not found before
            references.find_records(db, company.id, [(RecordKind.INVOICE, "i2")])
            assert references.remembered(db, company.id, RecordKind.INVOICE, "T-3") is third
        assert references.remembered(db, company.id, RecordKind.INVOICE, "T-1") is None  # outside the block
