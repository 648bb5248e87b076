"""A record the app removes leaves QuickBooks agreeing: invoices voided (or deleted), payments deleted, list records
made inactive, once each, even when QuickBooks' answer is lost half way."""

from __future__ import annotations

from decimal import Decimal

from qbwc_server.simulator.webconnector import Faults


def _customer_item_invoice(h, number: str = "1001", external_id: str = "inv1") -> None:
    h.put("customers", "c1", {"first_name": "Ann", "last_name": "Smith"})
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00", "category": "labor"})
    h.put(
        "invoices",
        external_id,
        {
            "customer": "c1",
            "number": number,
            "date": "2026-11-02",
            "status": "sent",
            "lines": [{"id": "a", "item": "i1", "quantity": "2", "rate": "95.00"}],
        },
    )


def _payment(amount: str, invoice: str, applied: str, ref: str) -> dict:
    return {
        "customer": "c1",
        "date": "2026-11-05",
        "amount": amount,
        "method": "Check",
        "reference": ref,
        "applied_to": [{"invoice": invoice, "amount": applied}],
    }


def _customer(h) -> dict:
    (customer,) = h.qb_named("Customer", "Smith, Ann")
    return customer


def _messages(record: dict, event: str) -> list[str]:
    return [entry["message"] for entry in record["sync"]["log"] if entry["event"] == event]


def test_an_invoice_paid_in_part_is_voided_once_though_the_void_answer_is_lost(harness):
    h = harness()
    # Given an invoice of 190.00 in QuickBooks with a payment of 50.00 on it
    _customer_item_invoice(h)
    h.put("payments", "p1", _payment("50.00", "inv1", "50.00", "CHK-7"))
    h.sync()
    (invoice,) = h.qb_txns("Invoice")
    assert invoice["BalanceRemaining"] == "140.00"

    # When the app deletes the invoice
    status, answer = h.call("DELETE", "/api/v1/invoices/inv1")

    # Then the answer says it will be voided, and what happens to the payment, before anything is sent
    assert status == 200, answer
    assert answer["removal"] == "void"
    assert answer["record"]["sync"]["state"] == "queued"
    assert answer["effects"] == [
        "QuickBooks has payment 'CHK-7' ($50.00) applied to this invoice. Voiding the invoice takes that payment "
        "off it: $50.00 becomes unused credit of the customer in QuickBooks, to refund or apply to another invoice."
    ]

    # When QuickBooks voids it but the Web Connector loses the answer, and the next session runs
    assert h.session(Faults(drop_response_at=1)).outcome == "dropped"
    assert h.reports[-1].voided == {"Invoice": 1}
    later = h.sync()

    # Then QuickBooks voided it exactly once: the number stays, the amounts are zero, the payment is unused credit
    assert sum(report.voided.get("Invoice", 0) for report in later) == 0
    assert "TxnVoidRq" not in {rq for report in later for rq in report.requests}
    (invoice,) = h.qb_txns("Invoice")
    assert invoice["RefNumber"] == "1001"
    assert invoice["Subtotal"] == "0.00" and invoice["BalanceRemaining"] == "0.00"
    assert invoice["Memo"].startswith("VOID:")
    (payment,) = h.qb_txns("ReceivePayment")
    assert payment["UnusedPayment"] == "50.00" and "AppliedToTxnRet" not in payment
    assert _customer(h)["Balance"] == "-50.00"

    # And the record stays readable, voided, with its log saying what happened to the payment
    record = h.get("invoices", "inv1")
    assert record["sync"]["state"] == "voided"
    assert record["quickbooks"]["id"] == invoice["TxnID"]
    (done,) = [m for m in _messages(record, "removed") if "voided in QuickBooks" in m]
    assert "its answer had been lost" in done.lower()
    assert "Payment 'CHK-7''s $50.00 is no longer applied to it; it is unused credit" in done

    # And the app cannot change a voided invoice, and deleting it again changes nothing
    status, refused = h.call("PUT", "/api/v1/invoices/inv1", {"customer": "c1", "status": "sent", "lines": []})
    assert status == 422 and "was removed (voided in QuickBooks)" in refused["errors"]["external_id"]
    assert h.call("DELETE", "/api/v1/invoices/inv1")[1]["message"] == "Already removed: voided in QuickBooks."
    assert h.session().outcome == "no_work"


def test_a_deleted_payment_reopens_its_invoice_with_the_right_balance_once(harness):
    h = harness()
    # Given an invoice of 190.00 with two payments on it, leaving 40.00 open
    _customer_item_invoice(h)
    h.put("payments", "p1", _payment("100.00", "inv1", "100.00", "CHK-1"))
    h.put("payments", "p2", _payment("50.00", "inv1", "50.00", "CHK-2"))
    h.sync()
    assert h.qb_txns("Invoice")[0]["BalanceRemaining"] == "40.00"

    # When the app deletes the first payment
    status, answer = h.call("DELETE", "/api/v1/payments/p1")
    assert status == 200 and answer["removal"] == "delete"
    assert answer["effects"] == [
        "Deleting this payment in QuickBooks takes $100.00 off invoice 1001, which is open again for that amount."
    ]

    # And QuickBooks deletes it but the answer is lost, then the next session runs
    assert h.session(Faults(drop_response_at=1)).outcome == "dropped"
    later = h.sync()

    # Then the payment is gone from QuickBooks once, and the invoice is open for 140.00 again
    assert h.reports[-len(later) - 1].deleted == {"ReceivePayment": 1}
    assert all(not report.deleted for report in later)
    assert [p["RefNumber"] for p in h.qb_txns("ReceivePayment")] == ["CHK-2"]
    (invoice,) = h.qb_txns("Invoice")
    assert invoice["BalanceRemaining"] == "140.00" and invoice["IsPaid"] == "false"
    assert Decimal(_customer(h)["Balance"]) == Decimal("140.00")
    record = h.get("payments", "p1")
    assert record["sync"]["state"] == "deleted"
    assert any("Invoice 1001 is open again for $100.00." in m for m in _messages(record, "removed"))


def test_a_void_waits_for_the_add_whose_answer_was_lost(harness):
    h = harness()
    # Given an invoice whose Add QuickBooks applied but whose answer was lost
    _customer_item_invoice(h)
    assert h.session(Faults(drop_response_at=1)).outcome == "dropped"
    assert len(h.qb_txns("Invoice")) == 1

    # When the app deletes it before the server knows the Add's outcome
    status, answer = h.call("DELETE", "/api/v1/invoices/inv1")
    assert status == 200 and answer["removal"] == "void"
    assert "as soon as QuickBooks' answer" in answer["message"]
    h.sync()

    # Then the server found its Add in QuickBooks and voided that one invoice; none was added twice
    (invoice,) = h.qb_txns("Invoice")
    assert invoice["Subtotal"] == "0.00" and invoice["Memo"].startswith("VOID:")
    assert h.get("invoices", "inv1")["sync"]["state"] == "voided"


def test_a_record_never_sent_is_dropped_and_list_records_are_made_inactive(harness):
    h = harness(delete_transactions="delete")
    # Given a customer and an item in QuickBooks, and an invoice not sent yet (a draft)
    h.put("customers", "c1", {"first_name": "Ann", "last_name": "Smith"})
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00", "category": "labor"})
    h.sync()
    h.put("invoices", "inv9", {"customer": "c1", "status": "draft", "lines": [{"item": "i1", "amount": "5.00"}]})

    # When the app deletes the draft, the item and the customer
    assert h.call("DELETE", "/api/v1/invoices/inv9")[1]["removal"] is None
    assert h.call("DELETE", "/api/v1/items/i1")[1]["removal"] == "deactivate"
    assert h.call("DELETE", "/api/v1/customers/c1")[1]["removal"] == "deactivate"
    # and the first deactivation's answer is lost
    assert h.session(Faults(drop_response_at=1)).outcome == "dropped"
    h.sync()

    # Then nothing of the draft reached QuickBooks, and the customer and item are inactive there, not deleted
    assert h.qb_txns("Invoice") == []
    assert h.get("invoices", "inv9")["sync"]["state"] == "deleted"
    assert _customer(h)["IsActive"] == "false"
    (item,) = h.qb_named("ItemService", "Drain cleaning")
    assert item["IsActive"] == "false"
    assert h.get("customers", "c1")["sync"]["state"] == "inactive"
    assert h.get("items", "i1")["sync"]["state"] == "inactive"


def test_the_setting_delete_transactions_deletes_an_invoice_instead_of_voiding_it(harness):
    h = harness(delete_transactions="delete")
    _customer_item_invoice(h)
    h.sync()
    assert h.call("DELETE", "/api/v1/invoices/inv1")[1]["removal"] == "delete"
    h.sync()
    assert h.qb_txns("Invoice") == []
    assert _customer(h)["Balance"] == "0.00"
    assert h.get("invoices", "inv1")["sync"]["state"] == "deleted"


def _invoice(number: str, amount: str) -> dict:
    return {
        "customer": "c1",
        "number": number,
        "date": "2026-11-02",
        "status": "sent",
        "lines": [{"id": "a", "item": "i1", "quantity": "1", "rate": amount}],
    }


def test_a_credit_memo_is_applied_to_two_invoices_once_though_an_answer_is_lost(harness):
    h = harness()
    # Given two open invoices of 100.00 and 80.00 in QuickBooks
    h.put("customers", "c1", {"first_name": "Ann", "last_name": "Smith"})
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00", "category": "labor"})
    h.put("invoices", "inv1", _invoice("1001", "100.00"))
    h.put("invoices", "inv2", _invoice("1002", "80.00"))
    h.sync()

    # When the app sends a credit memo of 60.00 applied 40.00 to the first invoice and 15.00 to the second
    h.put(
        "credit_memos",
        "cm1",
        {
            "customer": "c1",
            "number": "CM-1",
            "date": "2026-11-06",
            "memo": "Refund of the second visit",
            "lines": [{"item": "i1", "description": "Second visit not needed", "amount": "60.00"}],
            "applied_to": [{"invoice": "inv1", "amount": "40.00"}, {"invoice": "inv2", "amount": "15.00"}],
        },
    )
    # and the answer to the credit memo's Add is lost, then the answer to the payment that applies it is lost too
    assert h.session(Faults(drop_response_at=1)).outcome == "dropped"
    second = h.session(Faults(drop_response_at=3))  # looked up and found; credit read; the application sent
    assert second.outcome == "dropped" and second.requests["ReceivePaymentAddRq"] == 1
    later = h.sync()
    assert all("ReceivePaymentAddRq" not in report.requests for report in later)
    assert all("CreditMemoAddRq" not in report.requests for report in [second, *later])

    # Then QuickBooks has one credit memo with 5.00 of credit left and one application of it
    (credit,) = h.qb_txns("CreditMemo")
    assert credit["RefNumber"] == "CM-1" and credit["TotalAmount"] == "60.00"
    assert credit["CreditRemaining"] == "5.00"
    invoices = {invoice["RefNumber"]: invoice for invoice in h.qb_txns("Invoice")}
    assert invoices["1001"]["BalanceRemaining"] == "60.00"
    assert invoices["1002"]["BalanceRemaining"] == "65.00"
    (zero_payment,) = h.qb_txns("ReceivePayment")
    assert zero_payment["TotalAmount"] == "0.00"
    assert _customer(h)["Balance"] == "120.00"  # 60 + 65 open, less the 5.00 of credit left
    record = h.get("credit_memos", "cm1")
    assert record["sync"]["state"] == "synced"
    assert "QuickBooks shows $55.00 of this credit applied, as the app asks." in _messages(record, "synced")
    assert record["quickbooks"]["id"] == credit["TxnID"]

    # When the app removes the credit memo, QuickBooks voids it and the invoices are open in full again
    assert h.call("DELETE", "/api/v1/credit_memos/cm1")[1]["removal"] == "void"
    h.sync()
    (credit,) = h.qb_txns("CreditMemo")
    assert credit["TotalAmount"] == "0.00" and credit["CreditRemaining"] == "0.00"
    invoices = {invoice["RefNumber"]: invoice for invoice in h.qb_txns("Invoice")}
    assert invoices["1001"]["BalanceRemaining"] == "100.00"
    assert invoices["1002"]["BalanceRemaining"] == "80.00"
    assert h.get("credit_memos", "cm1")["sync"]["state"] == "voided"


def test_an_overpayment_is_refunded_from_the_refund_account_once(harness):
    h = harness()
    # Given an invoice of 190.00 paid with 250.00: 60.00 of the payment is unused
    _customer_item_invoice(h)
    h.put("payments", "p1", _payment("250.00", "inv1", "190.00", "CHK-9"))
    h.sync()
    (payment,) = h.qb_txns("ReceivePayment")
    assert payment["UnusedPayment"] == "60.00"
    refund = {"customer": "c1", "date": "2026-11-07", "amount": "60.00", "method": "Check", "payment": "p1"}

    # When the app refunds the overpayment before the refund account is chosen
    h.put("refunds", "r1", refund)
    h.sync()

    # Then the refund waits with what to do, and nothing reached QuickBooks
    waiting = h.get("refunds", "r1")["sync"]
    assert waiting["state"] == "error"
    assert "setting refund_account" in waiting["last_error"]["message"]
    assert waiting["last_error"]["who_must_act"] == "bookkeeper_in_settings"
    assert h.qb_txns("ARRefundCreditCard") == []

    # When the bookkeeper chooses the checking account and reprocesses, and the refund's answer is lost
    assert h.call("PATCH", "/api/v1/settings", {"refund_account": "Checking"})[0] == 200
    assert h.call("POST", "/api/v1/refunds/r1/sync")[0] == 200
    assert h.session(Faults(drop_response_at=1)).outcome == "dropped"
    later = h.sync()

    # Then QuickBooks has one refund of 60.00 from Checking, and the payment has nothing left unused
    assert all("ARRefundCreditCardAddRq" not in report.requests for report in later)
    (qb_refund,) = h.qb_txns("ARRefundCreditCard")
    assert qb_refund["TotalAmount"] == "60.00"
    assert h.qb.name_of(qb_refund["RefundFromAccountRef"]["ListID"]) == "Checking"
    assert qb_refund["RefundAppliedToTxnRet"][0]["TxnID"] == payment["TxnID"]
    (payment,) = h.qb_txns("ReceivePayment")
    assert payment["UnusedPayment"] == "0.00"
    assert _customer(h)["Balance"] == "0.00"
    record = h.get("refunds", "r1")
    assert record["sync"]["state"] == "synced" and record["quickbooks"]["id"] == qb_refund["TxnID"]

    # When the app refunds the same payment again, QuickBooks refuses: nothing is left to refund
    h.put("refunds", "r2", {**refund, "date": "2026-11-08", "amount": "10.00"})
    h.sync()
    error = h.get("refunds", "r2")["sync"]["last_error"]
    assert error["status_code"] == 3210 and "only 0.00 of credit remaining" in error["message"]
    assert error["hint"].startswith("The refund or the credit applied is larger than the credit left in QuickBooks")
    assert len(h.qb_txns("ARRefundCreditCard")) == 1


def test_a_credit_memo_is_refunded_and_the_refund_voided(harness):
    h = harness(refund_account="Checking")
    h.put("customers", "c1", {"first_name": "Ann", "last_name": "Smith"})
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00", "category": "labor"})
    h.put("credit_memos", "cm1", {"customer": "c1", "number": "CM-2", "lines": [{"item": "i1", "amount": "30.00"}]})
    # The refund waits for its credit memo, which goes first in the same session
    h.put("refunds", "r1", {"customer": "c1", "amount": "30.00", "method": "Check", "credit_memo": "cm1"})
    h.sync()
    (credit,) = h.qb_txns("CreditMemo")
    assert credit["CreditRemaining"] == "0.00"
    assert h.get("refunds", "r1")["sync"]["state"] == "synced"
    # Voiding the refund gives the credit memo its credit back
    assert h.call("DELETE", "/api/v1/refunds/r1")[1]["removal"] == "void"
    h.sync()
    (credit,) = h.qb_txns("CreditMemo")
    assert credit["CreditRemaining"] == "30.00"
    assert _customer(h)["Balance"] == "-30.00"
    assert h.get("refunds", "r1")["sync"]["state"] == "voided"
