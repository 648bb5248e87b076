"""Planning reads a record's references as rows, decoding their data and error only where planning shows them."""

from __future__ import annotations

from qbwc_server.models import Note, NoteKind, RecordKind, SyncState
from qbwc_server.sync import queue, references
from qbwc_server.sync.planner import plan_batch
from tests.factories import make_company, make_record


def test_a_reference_row_holds_the_data_and_error_planning_may_show_and_nothing_else(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        customer = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Smith")
        customer.qb_id, customer.qb_full_name, customer.sync_state = "80-1", "Smith", SyncState.SYNCED
        item = make_record(db, company, RecordKind.ITEM, "i1", name="Kit", type="group")
        item.qb_id, item.qb_full_name, item.sync_state = "81-1", "Kit", SyncState.SYNCED
        sent = make_record(db, company, RecordKind.INVOICE, "inv1", customer="c1", number="1001")
        sent.qb_id, sent.sync_state = "T-1", SyncState.SYNCED
        deleted = make_record(db, company, RecordKind.INVOICE, "inv2", customer="c1", number="1002")
        deleted.qb_id, deleted.sync_state = "T-2", SyncState.QB_DELETED
        failed = make_record(db, company, RecordKind.INVOICE, "inv3", customer="c1", number="1003")
        failed.sync_state, failed.last_error = SyncState.ERROR, Note(NoteKind.ERROR, "QuickBooks error 3120")
        db.flush()
        with references.sending(db):
            rows = references.find_referenced(
                db,
                company.id,
                [
                    (RecordKind.CUSTOMER, "c1"),
                    (RecordKind.ITEM, "i1"),
                    (RecordKind.INVOICE, "inv1"),
                    (RecordKind.INVOICE, "inv2"),
                    (RecordKind.INVOICE, "inv3"),
                ],
            )
        shown = {external_id: (row.data, row.last_error) for (_, external_id), row in rows.items()}
    # A customer and an invoice QuickBooks has are named by their full name or not at all: no data is decoded
    assert shown["c1"] == (None, None)
    assert shown["inv1"] == (None, None)
    # An item's data says whether it is a group item; a deleted invoice and a failed one are named by their number
    assert shown["i1"] == ({"name": "Kit", "type": "group"}, None)
    assert shown["inv2"][0] == {"customer": "c1", "number": "1002"}
    assert shown["inv3"] == ({"customer": "c1", "number": "1003"}, Note(NoteKind.ERROR, "QuickBooks error 3120"))


def test_a_payment_of_an_invoice_deleted_in_quickbooks_names_the_invoice_by_its_number(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        customer = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Smith")
        customer.qb_id, customer.qb_full_name, customer.sync_state = "80-1", "Smith", SyncState.SYNCED
        invoice = make_record(db, company, RecordKind.INVOICE, "inv1", customer="c1", number="1001", status="sent")
        invoice.qb_id, invoice.sync_state = "T-1", SyncState.QB_DELETED
        payment = make_record(
            db, company, RecordKind.PAYMENT, "p1", customer="c1", amount="5.00", applied_to=[{"invoice": "inv1"}]
        )
        queue.record_changed(db, company, payment)
        batch = plan_batch(db, company, 25)
        assert "p1" not in [record.external_id for _, record in batch if record is not None]
        assert payment.sync_state is SyncState.BLOCKED
        assert payment.last_error is not None
        assert payment.last_error.message.startswith("Waiting for invoice '1001', which was deleted in QuickBooks")
