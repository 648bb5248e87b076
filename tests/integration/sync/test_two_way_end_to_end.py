"""Two-way without a person, end to end over HTTP: the Web Connector just runs its sessions, and what a bookkeeper
does in QuickBooks (a payment, an edit, a deletion, a bill) reaches our copy through the scheduled imports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from qbwc_server.models import Company, ImportRun, ImportStatus, RecordKind, SessionState, WcSession
from qbwc_server.qbxml.render import message_set
from qbwc_server.simulator.webconnector import Faults
from tests.harness import Harness

CUSTOMER = {"first_name": "Ann", "last_name": "Lee", "phone": "555-0100", "billing_address": {"line1": "12 Oak St"}}


def in_quickbooks(h: Harness, body: str) -> str:
    """Do something in QuickBooks as a bookkeeper would (one request); return QuickBooks' answer."""
    answer = h.qb.process(message_set([body], "13.0", on_error="stopOnError"))
    assert 'statusCode="0"' in answer, answer
    return answer


def time_passes(h: Harness, hours: float = 5) -> None:
    """Let the company's schedule come round: its last imports started `hours` earlier than they did."""
    with h.runtime.transaction() as db:
        company_id = db.scalar(select(Company.id).where(Company.slug == h.slug))
        for run in db.scalars(select(ImportRun).where(ImportRun.company_id == company_id)).all():
            db.execute(
                update(ImportRun)
                .where(ImportRun.id == run.id)
                .values(created_at=run.created_at - timedelta(hours=hours))
            )


def imports_once(h: Harness, *kinds: str) -> None:
    """The bookkeeper's one-time setup: import the linked kinds once; the schedule keeps them current after."""
    status, body = h.call("POST", "/api/v1/imports", {"kinds": list(kinds)})
    assert status == 202, body
    h.sync()
    status, body = h.call("GET", "/api/v1/imports")
    assert {row["kind"]: row["status"] for row in body["imports"]} == dict.fromkeys(kinds, "done")


def runs_of(h: Harness) -> list[ImportRun]:
    with h.runtime.transaction() as db:
        return list(db.scalars(select(ImportRun).order_by(ImportRun.id)).all())


def log_of(answer: dict) -> list[str]:  # type: ignore[type-arg]
    return [entry["message"] for entry in answer["sync"]["log"]]


def synced_invoice(h: Harness) -> dict:  # type: ignore[type-arg]
    h.put("customers", "c1", CUSTOMER)
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00"})
    h.put(
        "invoices",
        "inv1",
        {
            "customer": "c1",
            "number": "7001",
            "date": "2026-11-02",
            "status": "sent",
            "lines": [{"id": "a", "item": "i1", "quantity": "2", "rate": "95.00"}],
        },
    )
    h.sync()
    invoice = h.get("invoices", "inv1")
    assert invoice["sync"]["state"] == "synced"
    return invoice


def test_a_payment_recorded_in_quickbooks_reaches_our_invoice_with_no_command_run(harness):
    h = harness()
    invoice = synced_invoice(h)
    imports_once(h, "customers", "items", "invoices", "payments")
    in_quickbooks(
        h,
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Lee, Ann</FullName></CustomerRef>"
        "<TxnDate>2026-11-20</TxnDate><RefNumber>CHK-88</RefNumber><TotalAmount>190.00</TotalAmount>"
        "<PaymentMethodRef><FullName>Check</FullName></PaymentMethodRef>"
        f"<AppliedToTxnAdd><TxnID>{invoice['quickbooks']['id']}</TxnID><PaymentAmount>190.00</PaymentAmount>"
        "</AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>",
    )

    assert h.session().outcome == "no_work"  # not due yet: the last imports are minutes old
    time_passes(h)
    report = h.session()

    assert report.outcome == "completed", report.messages
    summary = report.messages[-1]
    assert summary.startswith("Imported 1 from QuickBooks; scheduled imports: ")
    assert "payments (1 new)" in summary and "customers and jobs (" in summary and "invoices (" in summary
    assert "Payment of 190.00 by Check recorded in QuickBooks on 2026-11-20." in log_of(h.get("invoices", "inv1"))
    (payment,) = h.records(RecordKind.PAYMENT)
    assert payment.origin.value == "quickbooks" and payment.data["applied_to"] == [
        {"invoice": "inv1", "amount": "190.00"}
    ]
    # Every run of the schedule was incremental and ran after the queue: nothing was sent back to QuickBooks.
    scheduled = [run for run in runs_of(h) if run.scheduled]
    assert {run.kind for run in scheduled} == {"customers", "items", "invoices", "payments"}
    assert all(run.status is ImportStatus.DONE for run in scheduled)
    # Each from the newest change the last run saw; the first payments import saw none, so payments start afresh.
    assert {run.kind for run in scheduled if run.from_modified is None} == {"payments"}
    assert report.requests["ReceivePaymentQueryRq"] == 1 and report.requests["TxnDeletedQueryRq"] == 1
    assert sum(report.added.values()) == sum(report.modified.values()) == 0
    with h.runtime.transaction() as db:
        assert db.scalar(select(WcSession.summary).where(WcSession.ticket == report.ticket)) == summary


def test_a_record_queued_during_scheduled_imports_goes_before_their_next_page(harness):
    h = harness()
    synced_invoice(h)
    imports_once(h, "customers", "items", "invoices")
    time_passes(h)

    seen: list[str] = []
    original = h.qb.process_detailed

    def recording(request_xml: str):  # type: ignore[no-untyped-def]
        kinds = ("CustomerAddRq", "ItemQueryRq", "CustomerQueryRq", "InvoiceQueryRq", "DeletedQueryRq")
        asked = next((kind for kind in kinds if kind in request_xml), None)
        if asked is None:  # the Web Connector's own first questions (host, company, preferences)
            return original(request_xml)
        seen.append(asked)
        result = original(request_xml)
        if len(seen) == 1:  # the app sends a new customer while QuickBooks answers the first import page
            h.put("customers", "c2", {"first_name": "Bo", "last_name": "Diaz"})
        return result

    h.qb.process_detailed = recording  # type: ignore[method-assign]
    report = h.session()

    assert report.outcome == "completed"
    assert seen[:2] == ["ItemQueryRq", "CustomerAddRq"]  # the new record did not wait for the imports
    assert h.get("customers", "c2")["sync"]["state"] == "synced"


@pytest.mark.parametrize("rule", ["app_wins", "quickbooks_wins"])
def test_a_customer_changed_in_the_app_and_in_quickbooks_at_once_shows_the_conflict(harness, rule):
    h = harness(conflicts=rule)
    h.put("customers", "c1", CUSTOMER)
    h.sync()
    imports_once(h, "customers")
    customer = h.qb_named("Customer", "Lee, Ann")[0]
    in_quickbooks(
        h,
        f"<CustomerModRq><CustomerMod><ListID>{customer['ListID']}</ListID>"
        f"<EditSequence>{customer['EditSequence']}</EditSequence>"
        "<Phone>555-0123</Phone><Email>ann@lee.example</Email></CustomerMod></CustomerModRq>",
    )
    h.put("customers", "c1", {**CUSTOMER, "phone": "555-0199"})

    h.sync()

    answer = h.get("customers", "c1")
    (conflict,) = answer["sync"]["conflicts"]
    assert (conflict["field"], conflict["app_value"], conflict["quickbooks_value"], conflict["resolved"]) == (
        "phone",
        "555-0199",
        "555-0123",
        rule,
    )
    log = log_of(answer)
    assert any(
        m.startswith(
            "Changed both in the app and in QuickBooks since the last sync — "
            "phone: app '555-0199', QuickBooks '555-0123'."
        )
        for m in log
    )
    assert "Changed in QuickBooks: email: (empty) → 'ann@lee.example'" in log
    qb = h.qb_named("Customer", "Lee, Ann")[0]
    kept = "555-0199" if rule == "app_wins" else "555-0123"
    assert answer["phone"] == qb["Phone"] == kept
    # QuickBooks' change to another field is never overwritten by our Mod.
    assert answer["email"] == qb["Email"] == "ann@lee.example"
    assert answer["sync"]["state"] == "synced"


def test_a_conflict_found_by_a_scheduled_import_waits_for_a_manual_sync_with_the_apps_value(harness):
    h = harness(auto_sync=False)
    h.put("customers", "c1", CUSTOMER)
    h.call("POST", "/api/v1/customers/c1/sync")
    h.sync()
    imports_once(h, "customers")
    customer = h.qb_named("Customer", "Lee, Ann")[0]
    in_quickbooks(
        h,
        f"<CustomerModRq><CustomerMod><ListID>{customer['ListID']}</ListID>"
        f"<EditSequence>{customer['EditSequence']}</EditSequence>"
        "<Phone>555-0123</Phone></CustomerMod></CustomerModRq>",
    )
    h.put("customers", "c1", {**CUSTOMER, "phone": "555-0199"})  # held: automatic sync is off
    time_passes(h)
    report = h.session()

    assert "customers and jobs (1 updated)" in report.messages[-1]
    answer = h.get("customers", "c1")
    assert answer["sync"]["conflicts"][0]["field"] == "phone" and answer["phone"] == "555-0199"
    assert answer["sync"]["state"] == "pending"
    h.call("POST", "/api/v1/customers/c1/sync")
    h.sync()
    assert h.qb_named("Customer", "Lee, Ann")[0]["Phone"] == "555-0199"


def test_an_invoice_deleted_in_quickbooks_is_shown_as_deleted_and_not_added_again(harness):
    h = harness()
    invoice = synced_invoice(h)
    imports_once(h, "invoices")
    txn_id = invoice["quickbooks"]["id"]
    h.qb.delete(txn_id)

    time_passes(h)
    report = h.session()

    assert "invoices (1 deleted in QuickBooks)" in report.messages[-1]
    answer = h.get("invoices", "inv1")
    assert answer["sync"]["state"] == "deleted_in_quickbooks"
    assert answer["sync"]["last_error"]["kind"] == "deleted_in_quickbooks"
    assert answer["sync"]["last_error"]["message"].startswith("Deleted in QuickBooks on 20")
    assert answer["sync"]["deleted_in_quickbooks_at"] is not None
    # The app changes it: kept, but not sent; force sync and the record's sync leave it alone too.
    h.put(
        "invoices", "inv1", {**{k: answer[k] for k in ("customer", "number", "date", "status", "lines")}, "memo": "x"}
    )
    assert h.get("invoices", "inv1")["sync"]["state"] == "deleted_in_quickbooks"
    assert h.call("POST", "/api/v1/sync")[1] == {"queued": 0}
    status, body = h.call("POST", "/api/v1/invoices/inv1/sync")
    assert status == 409 and "deleted in QuickBooks" in body["error"]
    h.sync()
    assert [t for t in h.qb_txns("Invoice") if t.get("RefNumber") == "7001"] == []

    # Someone chooses to add it again: it goes as a new invoice.
    status, body = h.call("POST", "/api/v1/invoices/inv1/readd")
    assert status == 200 and body["sync"]["state"] == "queued" and body["quickbooks"]["id"] is None
    h.sync()
    again = h.get("invoices", "inv1")
    assert again["sync"]["state"] == "synced" and again["quickbooks"]["id"] not in (None, txn_id)
    assert len([t for t in h.qb_txns("Invoice") if t.get("RefNumber") == "7001"]) == 1
    assert h.call("POST", "/api/v1/invoices/inv1/readd")[0] == 409


def test_a_bill_made_in_quickbooks_is_imported_with_its_lines(harness):
    h = harness()
    h.put("vendors", "v1", {"name": "Ferguson Supply"})
    h.put("customers", "c1", CUSTOMER)
    h.sync()
    imports_once(h, "items", "customers", "vendors", "bills")
    answer = in_quickbooks(
        h,
        "<BillAddRq><BillAdd><VendorRef><FullName>Ferguson Supply</FullName></VendorRef>"
        "<TxnDate>2026-11-21</TxnDate><DueDate>2026-12-21</DueDate><RefNumber>F-900</RefNumber><Memo>Copper</Memo>"
        "<ExpenseLineAdd><AccountRef><FullName>Job Materials</FullName></AccountRef><Amount>40.00</Amount>"
        "<Memo>Fittings</Memo><CustomerRef><FullName>Lee, Ann</FullName></CustomerRef></ExpenseLineAdd>"
        "<ItemLineAdd><ItemRef><FullName>Pipe Fittings</FullName></ItemRef><Desc>Elbows</Desc>"
        "<Quantity>4</Quantity><Cost>2.50</Cost></ItemLineAdd></BillAdd></BillAddRq>",
    )
    txn_id = answer.split("<TxnID>", 1)[1].split("<", 1)[0]
    item = h.qb_named("ItemNonInventory", "Pipe Fittings") or h.qb_named("ItemService", "Pipe Fittings")

    time_passes(h)
    report = h.session()

    assert "bills (1 new)" in report.messages[-1]
    bill = h.get("bills", f"qb-{txn_id}")
    assert (bill["vendor"], bill["number"], bill["date"], bill["due_date"], bill["memo"]) == (
        "v1",
        "F-900",
        "2026-11-21",
        "2026-12-21",
        "Copper",
    )
    (expense,) = bill["expense_lines"]
    assert (expense["account"], expense["amount"], expense["memo"], expense["customer"]) == (
        "Job Materials",
        "40.00",
        "Fittings",
        "c1",
    )
    (line,) = bill["item_lines"]
    assert line["item"] == f"qb-{item[0]['ListID']}" and (line["quantity"], line["cost"], line["amount"]) == (
        "4",
        "2.50",
        "10.00",
    )
    assert bill["sync"]["state"] == "synced" and bill["quickbooks"]["id"] == txn_id


def test_a_lost_answer_to_a_scheduled_import_page_and_an_abandoned_session_bring_the_payment_once(harness):
    h = harness()
    invoice = synced_invoice(h)
    imports_once(h, "invoices", "payments", "bills")
    in_quickbooks(
        h,
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Lee, Ann</FullName></CustomerRef>"
        "<TxnDate>2026-11-20</TxnDate><RefNumber>CHK-9</RefNumber><TotalAmount>50.00</TotalAmount>"
        f"<AppliedToTxnAdd><TxnID>{invoice['quickbooks']['id']}</TxnID><PaymentAmount>50.00</PaymentAmount>"
        "</AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>",
    )
    time_passes(h)

    # The invoices' page, its deletions, then the payments' page: QuickBooks answers it, the answer is lost.
    lost = h.session(Faults(drop_response_at=3))
    # The next session asks for the payments again, and is abandoned before the bills (the Web Connector was closed).
    abandoned = h.session(Faults(end_after_round_trips=1))
    last = h.session()

    assert lost.outcome == "dropped" and lost.requests["ReceivePaymentQueryRq"] == 1
    assert abandoned.outcome == "ended" and abandoned.requests["ReceivePaymentQueryRq"] == 1
    assert last.outcome == "completed", last.messages
    assert last.requests["BillQueryRq"] == 1 and last.messages[-1] == "Synced 0; scheduled imports: bills (no changes)"
    assert len(h.records(RecordKind.PAYMENT)) == 1
    log = log_of(h.get("invoices", "inv1"))
    assert log.count("Payment of 50.00 recorded in QuickBooks on 2026-11-20.") == 1
    assert all(run.status is ImportStatus.DONE for run in runs_of(h))
    assert h.session().outcome == "no_work"  # nothing more is due


def test_a_session_that_ran_past_the_web_connectors_interval_leaves_the_schedule_to_the_next(harness):
    h = harness()
    synced_invoice(h)
    imports_once(h, "invoices")
    time_passes(h)
    with h.runtime.transaction() as db:
        company = db.scalar(select(Company).where(Company.slug == h.slug))
        company.run_every_minutes = 15
    # QuickBooks takes long over the first request, as if the session had run for 20 minutes already.
    original = h.qb.process_detailed

    def slow(request_xml: str):  # type: ignore[no-untyped-def]
        with h.runtime.transaction() as db:
            for wc in db.scalars(select(WcSession).where(WcSession.state == SessionState.OPEN)).all():
                wc.created_at = wc.created_at - timedelta(minutes=20)
        return original(request_xml)

    h.put("customers", "c2", {"first_name": "Bo", "last_name": "Diaz"})
    h.qb.process_detailed = slow  # type: ignore[method-assign]
    first = h.session()
    h.qb.process_detailed = original  # type: ignore[method-assign]
    second = h.session()

    assert first.requests["CustomerAddRq"] == 1 and first.requests["InvoiceQueryRq"] == 0
    assert "scheduled imports: invoices (no changes)" in second.messages[-1]


def test_scheduled_imports_are_off_at_zero_and_cover_only_the_chosen_kinds(harness):
    h = harness(auto_import_every_minutes=0)
    synced_invoice(h)
    imports_once(h, "customers", "invoices")
    time_passes(h)
    assert h.session().outcome == "no_work"
    status, body = h.call(
        "PATCH", "/api/v1/settings", {"auto_import_every_minutes": 60, "auto_import_kinds": ["invoices"]}
    )
    assert status == 200, body
    report = h.session()
    assert report.requests["InvoiceQueryRq"] == 1 and report.requests["CustomerQueryRq"] == 0
    status, body = h.call("PATCH", "/api/v1/settings", {"auto_import_kinds": ["widgets"], "conflicts": "both"})
    assert status == 422 and set(body["errors"]) == {"auto_import_kinds", "conflicts"}


def test_a_change_sent_for_an_invoice_deleted_in_quickbooks_meanwhile_does_not_add_it_again(harness):
    h = harness()
    invoice = synced_invoice(h)
    h.qb.delete(invoice["quickbooks"]["id"])  # before any import could notice
    body = {k: invoice[k] for k in ("customer", "number", "date", "status", "lines")}
    h.put("invoices", "inv1", {**body, "memo": "Second visit"})

    report = h.session()

    assert report.requests["InvoiceModRq"] == 1 and report.requests["InvoiceAddRq"] == 0
    answer = h.get("invoices", "inv1")
    assert answer["sync"]["state"] == "deleted_in_quickbooks"
    assert answer["sync"]["last_error"]["message"].startswith("Deleted in QuickBooks: it no longer has this invoice")
    assert answer["memo"] == "Second visit"
    assert h.sync()[-1].outcome == "no_work"
    assert [t for t in h.qb_txns("Invoice") if t.get("RefNumber") == "7001"] == []


def test_scheduled_imports_make_our_invoice_paid_and_keep_the_reconciliation_report_current(harness):
    # Given two synced invoices, imported once by the bookkeeper
    h = harness()
    paid = synced_invoice(h)
    h.put(
        "invoices",
        "inv2",
        {
            "customer": "c1",
            "number": "7002",
            "date": "2026-11-03",
            "status": "sent",
            "lines": [{"id": "a", "item": "i1", "quantity": "1", "rate": "95.00"}],
        },
    )
    h.sync()
    gone = h.get("invoices", "inv2")["quickbooks"]["id"]
    imports_once(h, "customers", "items", "invoices", "payments")
    assert h.get("invoices", "inv1")["quickbooks"]["paid"] is False

    # When, in QuickBooks, the bookkeeper records the customer's check for inv1 and deletes inv2
    in_quickbooks(
        h,
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Lee, Ann</FullName></CustomerRef>"
        "<TxnDate>2026-11-20</TxnDate><RefNumber>CHK-90</RefNumber><TotalAmount>190.00</TotalAmount>"
        "<PaymentMethodRef><FullName>Check</FullName></PaymentMethodRef>"
        f"<AppliedToTxnAdd><TxnID>{paid['quickbooks']['id']}</TxnID><PaymentAmount>190.00</PaymentAmount>"
        "</AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>",
    )
    h.qb.delete(gone)
    # and the schedule comes round: the Web Connector only runs its session, nobody runs a command
    time_passes(h)
    report = h.session()

    # Then our invoice is paid, with QuickBooks' balance and the payment named on its log
    assert report.outcome == "completed", report.messages
    invoice = h.get("invoices", "inv1")
    assert invoice["quickbooks"]["paid"] is True
    assert invoice["quickbooks"]["totals"]["balance"] == "0.00"
    assert any(line.startswith("Paid in full in QuickBooks by the payment of 190.00") for line in log_of(invoice))
    assert h.get("invoices", "inv2")["sync"]["state"] == "deleted_in_quickbooks"
    # and the reconciliation report shows both, its QuickBooks sums as QuickBooks has them
    status, body = h.call("GET", "/api/v1/reconciliation?from=2026-11-01&to=2026-11-30")
    assert status == 200
    assert [line["external_id"] for line in body["deleted_in_quickbooks"]] == ["inv2"]
    assert [line["kind"] for line in body["only_in_quickbooks"]] == ["payment"]
    sums = {row["kind"]: row for row in body["sums"]}
    assert sums["invoices"]["quickbooks"] == {"count": 1, "total": "190.00"}
    assert sums["payments"]["quickbooks"] == {"count": 1, "total": "190.00"}
    assert sums["invoices"]["app"] == {"count": 2, "total": "285.00"}
