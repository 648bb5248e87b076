"""Removing a record: what QuickBooks is asked to do, when, and the words for what it does to payments and credits."""

from __future__ import annotations

from qbwc_server.models import QueueAction, QueueItem, QueueStatus, RecordKind, SentInfo, SyncState
from qbwc_server.sync import lifecycle, queue, removal
from qbwc_server.sync.lifecycle import Event
from tests.factories import claim, make_company, make_record


def _in_quickbooks(db, record, qb_id: str) -> None:
    lifecycle.store_identity(record, lifecycle.Identity(qb_id, "1700000000"), record.version)
    lifecycle.move(db, record, Event.CONFIRM)


def test_an_invoice_says_what_happens_to_the_payments_and_credits_on_it(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        invoice = make_record(db, company, RecordKind.INVOICE, "inv1", customer="c1", number="1001")
        payment = make_record(
            db, company, RecordKind.PAYMENT, "p1", customer="c1", amount="50.00", reference="CHK-7",
            applied_to=[{"invoice": "inv1", "amount": "50.00"}],
        )  # fmt: skip
        credit = make_record(
            db, company, RecordKind.CREDIT_MEMO, "cm1", customer="c1", number="CM-1",
            applied_to=[{"invoice": "inv1", "amount": "12.50"}],
        )  # fmt: skip
        for record, qb_id in ((invoice, "1-1"), (payment, "2-1"), (credit, "3-1")):
            _in_quickbooks(db, record, qb_id)

        done = removal.remove(db, company, invoice)

        assert done.action is QueueAction.VOID and invoice.sync_state is SyncState.QUEUED
        assert done.effects == [
            "QuickBooks has payment 'CHK-7' ($50.00) applied to this invoice. Voiding the invoice takes that payment "
            "off it: $50.00 becomes unused credit of the customer in QuickBooks, to refund or apply to another "
            "invoice.",
            "QuickBooks has $12.50 of credit memo 'CM-1' applied to this invoice. Voiding the invoice gives that "
            "credit back to the credit memo.",
        ]
        assert queue.open_item(db, invoice).action is QueueAction.VOID


def test_a_removal_waits_for_the_add_in_flight_and_follows_its_answer(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        invoice = make_record(db, company, RecordKind.INVOICE, "inv1", customer="c1", number="1001", status="sent")
        queue.record_changed(db, company, invoice)
        assert claim(db, invoice, "ticket-1")
        lifecycle.move(db, invoice, Event.SEND)
        item = queue.open_item(db, invoice)

        done = removal.remove(db, company, invoice)

        # The Add is in flight: nothing else is queued, and the removal waits for its answer
        assert "as soon as QuickBooks' answer" in done.message
        assert queue.open_item(db, invoice) is item and item.status is QueueStatus.SENT
        # QuickBooks added it: the void goes next, as a new item
        lifecycle.store_identity(invoice, lifecycle.Identity("1-1", "1700000000"), invoice.version)
        assert removal.follow(db, company, item, invoice, "done", None)
        assert item.status is QueueStatus.DONE
        assert queue.open_item(db, invoice).action is QueueAction.VOID


def test_an_add_quickbooks_refused_is_dropped_not_voided(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        invoice = make_record(db, company, RecordKind.INVOICE, "inv1", customer="c1", number="1001", status="sent")
        queue.record_changed(db, company, invoice)
        assert claim(db, invoice, "ticket-1")
        lifecycle.move(db, invoice, Event.SEND)
        item = queue.open_item(db, invoice)
        removal.remove(db, company, invoice)

        assert removal.follow(db, company, item, invoice, "failed", None)

        assert invoice.sync_state is SyncState.DELETED and queue.open_item(db, invoice) is None
        assert "QuickBooks never got it" in invoice.last_error.message


def test_a_lost_void_is_checked_before_it_is_sent_again():
    item = QueueItem(action=QueueAction.VOID, unknown_outcome=False)
    item.sent_info = SentInfo(rq_type="TxnVoidRq", add=False, version=1)
    assert lifecycle.lost_answer(item) == (QueueAction.VOID, True)
    item.action = QueueAction.APPLY_CREDIT
    assert lifecycle.lost_answer(item) == (QueueAction.APPLY_CREDIT, True)
