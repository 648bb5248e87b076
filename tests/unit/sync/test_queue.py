"""The queue: one open item per record, prerequisites first, honest waiting reasons, safe concurrent claims."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from qbwc_server.models import Note, NoteKind, QueueItem, QueueStatus, RecordKind, SentInfo, SyncState
from qbwc_server.sync import lifecycle, queue
from qbwc_server.sync.planner import plan_batch
from tests.factories import make_company, make_record


def _open_items(db, record):
    return db.scalar(
        select(func.count())
        .select_from(QueueItem)
        .where(QueueItem.record_id == record.id, QueueItem.status.in_([QueueStatus.READY, QueueStatus.SENT]))
    )


def test_a_record_edited_five_times_has_one_queue_item(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        customer = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Smith")
        for n in range(5):
            customer.data = {"last_name": f"Smith {n}"}
            customer.version += 1
            queue.record_changed(db, company, customer)
        assert _open_items(db, customer) == 1
        assert customer.sync_state is SyncState.QUEUED


def test_a_job_queues_its_parent_customer_and_follows_it_in_the_same_batch(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        customer = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Smith")
        job = make_record(db, company, RecordKind.JOB, "j1", customer="c1", number="1001")
        queue.record_changed(db, company, job)
        assert customer.sync_state is SyncState.QUEUED
        batch = plan_batch(db, company, 25)
        # QuickBooks runs a message set in order: the parent first, then its job.
        assert [record.external_id for _, record in batch] == ["c1", "j1"]


def test_a_payment_waits_until_its_invoice_has_a_txnid(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Smith")
        invoice = make_record(db, company, RecordKind.INVOICE, "inv1", customer="c1", number="1001", status="sent")
        payment = make_record(
            db, company, RecordKind.PAYMENT, "p1", customer="c1", amount="5.00", applied_to=[{"invoice": "inv1"}]
        )
        queue.record_changed(db, company, payment)
        batch = plan_batch(db, company, 25)
        assert [record.external_id for _, record in batch] == ["c1", "inv1"]
        assert payment.sync_state is SyncState.QUEUED
        assert payment.last_error.message == "Waiting for invoice '1001' to reach QuickBooks."
        assert invoice.sync_state is SyncState.QUEUED


def test_a_dependant_of_a_failed_record_is_blocked_with_the_reason(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        item = make_record(db, company, RecordKind.ITEM, "i1", name="Drain cleaning", type="service")
        item.sync_state = SyncState.ERROR
        item.last_error = Note(NoteKind.ERROR, "QuickBooks error 3140: no such account")
        invoice = make_record(
            db, company, RecordKind.INVOICE, "inv1", status="sent", lines=[{"item": "i1", "amount": "10.00"}]
        )
        invoice.qb_id = None
        queue.record_changed(db, company, invoice)
        plan_batch(db, company, 25)
        assert invoice.sync_state is SyncState.BLOCKED
        assert "Waiting for item 'Drain cleaning', which failed: QuickBooks error 3140" in invoice.last_error.message


def test_drafts_stay_pending_and_filtered_payments_are_excluded(runtime):
    with runtime.transaction() as db:
        company = make_company(db, payment_methods=["Check", "Visa"])
        draft = make_record(db, company, RecordKind.INVOICE, "inv1", status="draft")
        zelle = make_record(db, company, RecordKind.PAYMENT, "p1", method="Zelle", amount="5.00")
        queue.record_changed(db, company, draft)
        queue.record_changed(db, company, zelle)
        assert draft.sync_state is SyncState.PENDING
        assert "draft" in draft.last_error.message
        assert zelle.sync_state is SyncState.EXCLUDED
        assert _open_items(db, zelle) == 0


def test_sync_start_date_excludes_older_invoices(runtime):
    with runtime.transaction() as db:
        company = make_company(db, sync_start_date="2026-01-01")
        old = make_record(db, company, RecordKind.INVOICE, "old", status="sent", date="2025-12-31")
        new = make_record(db, company, RecordKind.INVOICE, "new", status="sent", date="2026-01-01")
        queue.record_changed(db, company, old)
        queue.record_changed(db, company, new)
        assert old.sync_state is SyncState.EXCLUDED
        assert new.sync_state is SyncState.QUEUED


def test_manual_sync_waits_for_a_person_then_force_sync_queues_everything(runtime):
    with runtime.transaction() as db:
        company = make_company(db, auto_sync=False)
        records = [make_record(db, company, RecordKind.CUSTOMER, f"c{n}", last_name=f"N{n}") for n in range(3)]
        for record in records:
            queue.record_changed(db, company, record)
        assert {r.sync_state for r in records} == {SyncState.PENDING}
        assert queue.force_sync(db, company) == 3
        assert {r.sync_state for r in records} == {SyncState.QUEUED}


SENT = SentInfo(rq_type="CustomerAddRq", add=True, version=1)


def test_a_claim_is_compare_and_set(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        record = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="A")
        item = queue.enqueue(db, company, record)
        assert lifecycle.claim(db, item, "ticket-1", SENT)
        # A second session that read the same row earlier loses the race cleanly.
        assert not lifecycle.claim(db, item, "ticket-2", SENT)
        assert item.ticket == "ticket-1"


def test_a_set_claimed_at_once_leaves_out_the_item_another_session_took(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        records = [make_record(db, company, RecordKind.CUSTOMER, f"c{n}", last_name=f"N{n}") for n in range(3)]
        items = [queue.enqueue(db, company, record) for record in records]
        assert lifecycle.claim(db, items[1], "ticket-1", SENT)
        infos = [SentInfo(rq_type="CustomerAddRq", add=True, version=n + 1) for n in range(3)]
        got = lifecycle.claim_all(db, list(zip(items, infos, strict=True)), "ticket-2")
        assert got == {items[0].id, items[2].id}
        db.expire_all()
        assert [(item.status, item.ticket) for item in items] == [
            (QueueStatus.SENT, "ticket-2"),
            (QueueStatus.SENT, "ticket-1"),
            (QueueStatus.SENT, "ticket-2"),
        ]
        # Each row carries its own request's information; the one taken first keeps what its session sent.
        assert [item.sent_info.version for item in items] == [1, 1, 3]


def test_each_claimed_item_reads_back_its_own_sent_information_whole(runtime):
    # Every field, texts with quotes and accents among them, as each item's request carried it.
    infos = [
        SentInfo(rq_type="InvoiceQueryRq", add=False, version=4, group='lookup-"7"', refused_with=3100),
        SentInfo(rq_type="InvoiceModRq", add=False, version=2, edit_sequence="1700000000", split=5),
        SentInfo(rq_type="CustomerAddRq", add=True, version=1, add_version=1, mod_edit_sequence="Café \\ 9"),
    ]
    with runtime.transaction() as db:
        company = make_company(db)
        records = [make_record(db, company, RecordKind.CUSTOMER, f"c{n}", last_name=f"N{n}") for n in range(3)]
        items = [queue.enqueue(db, company, record) for record in records]
        ids = [item.id for item in items]
        assert lifecycle.claim_all(db, list(zip(items, infos, strict=True)), "ticket-1") == set(ids)
    with runtime.transaction() as db:
        stored = {item.id: item.sent_info for item in db.scalars(select(QueueItem).where(QueueItem.id.in_(ids)))}
        assert [stored[i] for i in ids] == infos


def test_two_sessions_claiming_at_once_never_get_the_same_item(runtime):
    # Given 200 queued customers
    with runtime.transaction() as db:
        company = make_company(db)
        company_id = company.id
        for n in range(200):
            queue.enqueue(db, company, make_record(db, company, RecordKind.CUSTOMER, f"c{n}", last_name=f"N{n}"))
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def session(name: str) -> None:
        try:
            from qbwc_server.models import Company

            while True:
                with runtime.transaction() as db:
                    company = db.get(Company, company_id)
                    batch = plan_batch(db, company, 7)
                    got = [item.id for item, _ in batch if lifecycle.claim(db, item, f"ticket-{name}", SENT)]
                if not batch:
                    return
                claimed[name].extend(got)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    # When two Web Connector sessions claim batches concurrently
    threads = [threading.Thread(target=session, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Then every item went to exactly one of them
    assert not errors
    assert not set(claimed["a"]) & set(claimed["b"])
    assert len(claimed["a"]) + len(claimed["b"]) == 200


def test_a_settings_change_releases_what_the_old_settings_held(runtime):
    with runtime.transaction() as db:
        company = make_company(db, payment_methods=["Check"])
        zelle = make_record(db, company, RecordKind.PAYMENT, "p1", method="Zelle", amount="5.00")
        queue.record_changed(db, company, zelle)
        assert zelle.sync_state is SyncState.EXCLUDED
        company.settings = {"payment_methods": ["Check", "Zelle"]}
        assert queue.settings_changed(db, company) == 1
        assert zelle.sync_state is SyncState.QUEUED


def test_a_person_s_exclusion_survives_edits(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        customer = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Smith")
        queue.exclude(db, customer, "duplicate of c2")
        customer.data = {"last_name": "Smyth"}
        customer.version += 1
        queue.record_changed(db, company, customer)
        assert customer.sync_state is SyncState.EXCLUDED
        queue.request_sync(db, company, customer)
        assert customer.sync_state is SyncState.QUEUED
