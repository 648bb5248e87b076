"""Invoices, payments, vendors and bills reach QuickBooks once, with every later change applied to the same one."""

from __future__ import annotations

from decimal import Decimal

from qbwc_server.simulator.webconnector import Faults


def _setup_customer_and_items(h) -> None:
    h.put("customers", "c1", {"first_name": "Ann", "last_name": "Smith"})
    h.put("jobs", "j1", {"customer": "c1", "number": "1001", "address": {"line1": "5 Elm St"}})
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00", "category": "labor"})
    h.put("items", "i2", {"name": "PVC pipe", "type": "non_inventory", "price": "4.50", "category": "materials"})
    h.put("items", "i3", {"name": "After-hours fee", "type": "other_charge", "price": "25.00"})


def _invoice(lines, **extra) -> dict:
    return {
        "customer": "c1",
        "job": "j1",
        "number": "1001",
        "date": "2026-11-02",
        "status": "sent",
        "lines": lines,
        **extra,
    }


LINE_A = {"id": "a", "item": "i1", "quantity": "2", "rate": "95.00"}
LINE_B = {"id": "b", "item": "i2", "quantity": "10", "rate": "4.50"}
LINE_C = {"id": "c", "item": "i3", "quantity": "1", "rate": "25.00"}


def _qb_invoice(h) -> dict:
    invoices = h.qb_txns("Invoice")
    assert len(invoices) == 1, "QuickBooks must hold exactly one invoice"
    return invoices[0]


def _payment(amount: str, applied: str, ref: str, **extra) -> dict:
    return {
        "customer": "c1",
        "date": "2026-11-05",
        "amount": amount,
        "method": "Check",
        "reference": ref,
        "applied_to": [{"invoice": "inv1", "amount": applied}],
        **extra,
    }


def test_an_invoice_edited_twice_and_paid_twice_stays_one_invoice_in_quickbooks(harness):
    h = harness()
    _setup_customer_and_items(h)
    # Given an invoice with two lines, sent with its customer, job and items in one round trip
    h.put("invoices", "inv1", _invoice([LINE_A, LINE_B]))
    assert sum(r.round_trips for r in h.sync()) == 1
    first = h.get("invoices", "inv1")["quickbooks"]
    qb = _qb_invoice(h)
    assert qb["RefNumber"] == "1001" and qb["Subtotal"] == "235.00"

    # When a line changes, then a line is added, then a line is removed
    h.put("invoices", "inv1", _invoice([{**LINE_A, "quantity": "3"}, LINE_B]))
    h.sync()
    assert _qb_invoice(h)["Subtotal"] == "330.00"
    h.put("invoices", "inv1", _invoice([{**LINE_A, "quantity": "3"}, LINE_B, LINE_C]))
    h.sync()
    assert len(_qb_invoice(h)["InvoiceLineRet"]) == 3
    h.put("invoices", "inv1", _invoice([{**LINE_A, "quantity": "3"}, LINE_C]))
    h.sync()

    # Then QuickBooks has the same single invoice, with the app's current lines and total
    qb = _qb_invoice(h)
    record = h.get("invoices", "inv1")
    assert record["quickbooks"]["id"] == first["id"] == qb["TxnID"]
    assert record["quickbooks"]["edit_sequence"] == qb["EditSequence"]
    assert [line["Amount"] for line in qb["InvoiceLineRet"]] == ["285.00", "25.00"]
    assert qb["Subtotal"] == "310.00"
    assert [e["message"] for e in record["sync"]["log"] if e["event"] == "sent"].count(
        "Sent to QuickBooks (InvoiceModRq)."
    ) == 3

    # When a partial payment and then the rest arrive
    h.put("payments", "p1", _payment("100.00", "100.00", "CHK-1"))
    h.sync()
    assert Decimal(_qb_invoice(h)["BalanceRemaining"]) == Decimal("210.00")
    h.put("payments", "p2", _payment("210.00", "210.00", "CHK-2"))
    h.sync()

    # Then both payments are in QuickBooks, applied, in Undeposited Funds, and the invoice is paid
    payments = h.qb_txns("ReceivePayment")
    assert len(payments) == 2
    assert _qb_invoice(h)["IsPaid"] == "true"
    for ext in ("p1", "p2"):
        payment = h.get("payments", ext)
        assert payment["sync"]["state"] == "synced"
        assert payment["quickbooks"]["id"] in {p["TxnID"] for p in payments}
    undeposited = h.qb_named("Account", "Undeposited Funds")[0]["ListID"]
    assert {p["DepositToAccountRef"]["ListID"] for p in payments} == {undeposited}


def test_a_payment_waits_for_its_invoice_and_goes_in_the_next_round_trip(harness):
    h = harness()
    _setup_customer_and_items(h)
    h.put("invoices", "inv1", _invoice([LINE_A]))
    h.put("payments", "p1", _payment("50.00", "50.00", "CHK-9"))
    assert h.get("payments", "p1")["sync"]["state"] == "queued"
    reports = h.sync()
    assert sum(r.round_trips for r in reports) == 2
    assert h.get("payments", "p1")["sync"]["state"] == "synced"


def test_a_vendor_bill_with_expense_and_item_lines_billable_to_a_job(harness):
    h = harness()
    _setup_customer_and_items(h)
    h.put(
        "vendors",
        "v1",
        {
            "name": "Ferguson Supply",
            "company_name": "Ferguson Supply",
            "is_1099": True,
            "address": {"line1": "9 Depot Rd", "city": "Springfield"},
        },
    )
    h.put(
        "bills",
        "b1",
        {
            "vendor": "v1",
            "number": "F-77",
            "date": "2026-11-03",
            "due_date": "2026-12-03",
            "memo": "Job 1001 parts",
            "expense_lines": [{"account": "Job Materials", "amount": "42.10", "memo": "fittings", "job": "j1"}],
            "item_lines": [{"item": "i2", "quantity": "20", "cost": "2.10", "amount": "42.00", "job": "j1"}],
        },
    )
    h.sync()
    bill = h.get("bills", "b1")
    assert bill["sync"]["state"] == "synced"
    qb_bills = h.qb_txns("Bill")
    assert len(qb_bills) == 1
    assert qb_bills[0]["AmountDue"] == "84.10"
    assert h.qb_named("Vendor", "Ferguson Supply")[0]["IsVendorEligibleFor1099"] == "true"


def test_a_lost_invoice_add_and_a_lost_payment_add_make_one_transaction_each(harness):
    h = harness()
    _setup_customer_and_items(h)
    h.put("invoices", "inv1", _invoice([LINE_A]))
    h.sync()
    # Given a new invoice whose InvoiceAdd QuickBooks applied, but whose answer was lost (round trip 1 looks for an
    # invoice 1002 typed into QuickBooks by hand, round trip 2 adds it)
    h.put("invoices", "inv2", {**_invoice([LINE_B]), "number": "1002"})
    assert h.session(Faults(drop_response_at=2)).outcome == "dropped"
    assert len(h.qb_txns("Invoice")) == 2
    h.sync()
    assert len(h.qb_txns("Invoice")) == 2
    assert h.get("invoices", "inv2")["sync"]["state"] == "synced"
    # And the same for a payment
    h.put("payments", "p1", _payment("40.00", "40.00", "CHK-5"))
    assert h.session(Faults(drop_response_at=1)).outcome == "dropped"
    h.sync()
    assert len(h.qb_txns("ReceivePayment")) == 1
    assert h.get("payments", "p1")["sync"]["state"] == "synced"
    assert any(e["event"] == "linked" for e in h.get("payments", "p1")["sync"]["log"])


def test_an_invoice_already_in_quickbooks_for_a_known_customer_is_linked_not_added(harness):
    h = harness()
    _setup_customer_and_items(h)
    h.sync()
    # Given the bookkeeper typed invoice 2001 into QuickBooks for this customer before the app sent it
    job_id = h.get("jobs", "j1")["quickbooks"]["id"]
    item_id = h.get("items", "i1")["quickbooks"]["id"]
    h.qb.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><InvoiceAddRq>'
        f"<InvoiceAdd><CustomerRef><ListID>{job_id}</ListID></CustomerRef><TxnDate>2026-11-01</TxnDate>"
        f"<RefNumber>2001</RefNumber><InvoiceLineAdd><ItemRef><ListID>{item_id}</ListID></ItemRef>"
        "<Amount>10.00</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq></QBXMLMsgsRq></QBXML>"
    )
    # When the app sends invoice 2001
    h.put("invoices", "inv1", {**_invoice([LINE_A]), "number": "2001"})
    h.sync()
    # Then the QuickBooks invoice is updated to the app's lines, not duplicated
    invoices = h.qb_txns("Invoice")
    assert len(invoices) == 1
    assert invoices[0]["Subtotal"] == "190.00"
    assert h.get("invoices", "inv1")["quickbooks"]["id"] == invoices[0]["TxnID"]


def test_settings_change_what_is_sent(harness):
    h = harness(
        sync_start_date="2026-11-01",
        invoice_sync_statuses=["finished", "paid"],
        payment_methods=["Check"],
        deposit_account="Checking",
        tax_mapping={"IL": "State Tax"},
        income_account_materials="Sales",
    )
    _setup_customer_and_items(h)
    h.put("invoices", "old", {**_invoice([LINE_A]), "number": "0999", "date": "2026-10-31", "status": "finished"})
    h.put("invoices", "sent", {**_invoice([LINE_A]), "number": "1000", "status": "sent"})
    h.put("invoices", "inv1", {**_invoice([LINE_A, LINE_B]), "status": "finished", "tax_rate": "IL"})
    h.put("payments", "cash", {**_payment("5.00", "5.00", "C1"), "method": "Cash"})
    h.put("payments", "p1", _payment("50.00", "50.00", "CHK-1"))
    h.sync()
    assert h.get("invoices", "old")["sync"]["state"] == "excluded"
    assert h.get("invoices", "sent")["sync"]["state"] == "pending"
    assert h.get("payments", "cash")["sync"]["state"] == "excluded"
    assert "Cash" in h.get("payments", "cash")["sync"]["last_error"]["message"]
    qb_invoice = _qb_invoice(h)
    assert qb_invoice["RefNumber"] == "1001"
    assert qb_invoice["ItemSalesTaxRef"]["ListID"] == h.qb_named("ItemSalesTax", "State Tax")[0]["ListID"]
    payment = h.qb_txns("ReceivePayment")[0]
    assert payment["DepositToAccountRef"]["ListID"] == h.qb_named("Account", "Checking")[0]["ListID"]
    pipe = h.qb_named("ItemNonInventory", "PVC pipe")[0]
    sales = h.qb_named("Account", "Sales")[0]["ListID"]
    assert sales in str(pipe)


def test_an_unmapped_tax_rate_and_an_overpayment_say_what_to_fix(harness):
    h = harness()
    _setup_customer_and_items(h)
    h.put("invoices", "inv1", _invoice([LINE_A], tax_rate="Cook County"))
    h.put("invoices", "inv2", {**_invoice([LINE_A]), "number": "1002"})
    h.sync()
    error = h.get("invoices", "inv1")["sync"]["last_error"]
    assert "Map the tax rate 'Cook County'" in error["message"]
    h.put(
        "payments",
        "p1",
        {**_payment("500.00", "500.00", "CHK-1"), "applied_to": [{"invoice": "inv2", "amount": "500.00"}]},
    )
    h.put(
        "payments",
        "p2",
        {
            **_payment("20.00", "20.00", "Z-1"),
            "method": "Zelle",
            "applied_to": [{"invoice": "inv2", "amount": "20.00"}],
        },
    )
    h.sync()
    over = h.get("payments", "p1")["sync"]
    assert over["state"] == "error"
    assert "3210" in over["last_error"]["message"]
    assert "more than the invoice's open balance" in over["last_error"]["hint"]
    zelle = h.get("payments", "p2")["sync"]
    assert zelle["state"] == "error"
    assert zelle["last_error"]["hint"] == (
        "Create the payment method 'Zelle' in QuickBooks, or stop syncing 'Zelle' payments in the settings."
    )


def test_a_customer_deleted_in_quickbooks_is_added_again_before_its_invoice(harness):
    h = harness()
    _setup_customer_and_items(h)
    h.put("customers", "c2", {"first_name": "Bo", "last_name": "Diaz"})
    h.sync()
    # Given someone deleted customer "Diaz, Bo" in QuickBooks after it was synced
    gone = h.get("customers", "c2")["quickbooks"]["id"]
    del h.qb.state.lists["Customer"][gone]
    h.qb._reindex()
    # When the app sends an invoice for it
    h.put(
        "invoices",
        "inv9",
        {"customer": "c2", "number": "9001", "date": "2026-11-02", "status": "sent", "lines": [LINE_A]},
    )
    h.sync()
    # Then QuickBooks' 3140 makes the server look the customer up, add it again, and send the invoice after it
    invoice = h.get("invoices", "inv9")
    assert invoice["sync"]["state"] == "synced"
    assert any(e["status_code"] == 3140 for e in invoice["sync"]["log"])
    assert len(h.qb_named("Customer", "Diaz, Bo")) == 1
    assert h.get("customers", "c2")["quickbooks"]["id"] != gone


def test_new_invoices_for_known_customers_are_looked_for_together(harness):
    h = harness()
    _setup_customer_and_items(h)
    h.sync()
    # Given 60 new invoices for a customer QuickBooks already has (each is first looked for by its number)
    for n in range(60):
        h.put("invoices", f"inv{n}", {**_invoice([LINE_A]), "number": f"N{n:03d}"})
    reports = h.sync()
    # Then one InvoiceQuery per 50 numbers looks for all of them, and the adds follow 25 to a round trip
    assert sum(r.round_trips for r in reports) <= 1 + 3
    assert sum(r.requests["InvoiceQueryRq"] for r in reports) == 2
    assert len(h.qb_txns("Invoice")) == 60
    assert {h.get("invoices", f"inv{n}")["sync"]["state"] for n in (0, 59)} == {"synced"}
