"""Invoices, payments and bills: Add and Mod requests that QuickBooks accepts."""

from __future__ import annotations

import pytest

from qbwc_server.sync.builders import QbIdentity, RecordProblem, build

from .conftest import SAMPLES, SETTINGS, make_input


def lines_of(parent, tag):
    return [
        {child.tag: (child.findtext("ListID") or child.findtext("FullName") or child.text) for child in line}
        for line in parent.findall(tag)
    ]


def test_invoice_add_for_a_job_with_tax_and_lines(assert_valid):
    settings = {**SETTINGS, "to_be_printed": True, "ar_account": "Accounts Receivable"}
    built = build(make_input("invoice", settings=settings), "5")
    assert built.rq_type == "InvoiceAddRq"
    add = assert_valid(built).find("InvoiceAdd")
    assert add.findtext("CustomerRef/ListID") == "80000002-1700000000"  # the job, not the customer
    assert add.findtext("ARAccountRef/FullName") == "Accounts Receivable"
    assert add.findtext("RefNumber") == "1001"
    assert add.findtext("TermsRef/FullName") == "Net 30"
    assert add.findtext("ItemSalesTaxRef/FullName") == "CA Sales Tax"
    assert add.findtext("IsToBePrinted") == "true"
    assert lines_of(add, "InvoiceLineAdd") == [
        {"ItemRef": "80000003-1700000000", "Desc": "Install", "Quantity": "2", "Rate": "95", "SalesTaxCodeRef": "Non"},
        {"ItemRef": "80000004-1700000000", "Desc": "Pipe", "Quantity": "3", "Rate": "4.1", "SalesTaxCodeRef": "Tax"},
    ]


def test_invoice_without_job_goes_to_the_customer(assert_valid):
    data = {**SAMPLES["invoice"], "job": None, "tax_rate": None, "class": "Residential", "po_number": "PO-77"}
    add = assert_valid(build(make_input("invoice", data), "5")).find("InvoiceAdd")
    assert add.findtext("CustomerRef/ListID") == "80000001-1700000000"
    assert add.findtext("ClassRef/FullName") == "Residential"
    assert add.findtext("PONumber") == "PO-77"
    assert add.find("ItemSalesTaxRef") is None
    assert add.findtext("IsToBePrinted") == "false"


def test_line_amount_that_disagrees_with_rate_is_sent_as_amount(assert_valid):
    data = {
        **SAMPLES["invoice"],
        "lines": [
            {"item": "labor", "quantity": "3", "rate": "33.33", "amount": "100"},
            {"item": "labor", "quantity": "3", "rate": "33.333", "amount": "100"},
            {"item": "labor", "amount": "12.5"},
        ],
    }
    add = assert_valid(build(make_input("invoice", data), "5")).find("InvoiceAdd")
    assert lines_of(add, "InvoiceLineAdd") == [
        {"ItemRef": "80000003-1700000000", "Quantity": "3", "Amount": "100.00"},
        {"ItemRef": "80000003-1700000000", "Quantity": "3", "Rate": "33.333"},
        {"ItemRef": "80000003-1700000000", "Amount": "12.50"},
    ]


def test_invoice_number_at_limit_passes_and_one_over_is_a_problem(assert_valid):
    assert_valid(build(make_input("invoice", {**SAMPLES["invoice"], "number": "12345678901"}), "5"))
    with pytest.raises(RecordProblem) as caught:
        build(make_input("invoice", {**SAMPLES["invoice"], "number": "123456789012"}), "5")
    assert caught.value.field == "number" and "11" in caught.value.message


def test_unmapped_tax_rate_tells_the_bookkeeper_what_to_do():
    with pytest.raises(RecordProblem) as caught:
        build(make_input("invoice", {**SAMPLES["invoice"], "tax_rate": "NV 8%"}), "5")
    assert caught.value.field == "tax_rate"
    assert caught.value.message == "Map the tax rate 'NV 8%' to a QuickBooks sales tax item in the settings."


def test_invoice_with_unsynced_item_or_customer_is_a_problem():
    with pytest.raises(RecordProblem) as caught:
        build(make_input("invoice", {**SAMPLES["invoice"], "lines": [{"item": "ghost", "amount": "1"}]}), "5")
    assert caught.value.field == "lines.0.item"
    with pytest.raises(RecordProblem, match="not in QuickBooks yet"):
        build(make_input("invoice", {**SAMPLES["invoice"], "job": None, "customer": "c-404"}), "5")


def test_bad_amount_or_date_is_a_problem():
    with pytest.raises(RecordProblem) as caught:
        build(make_input("invoice", {**SAMPLES["invoice"], "lines": [{"item": "labor", "amount": "ten"}]}), "5")
    assert caught.value.field == "lines.0.amount"
    with pytest.raises(RecordProblem, match="date"):
        build(make_input("invoice", {**SAMPLES["invoice"], "date": "05/01/2024"}), "5")


def test_invoice_mod_changes_adds_and_removes_lines(assert_valid):
    # Given an invoice QuickBooks knows with lines "a", "b" and "c"
    qb = QbIdentity(id="1A2B-1700000000", edit_sequence="1700000999", line_ids={"a": "L-A", "b": "L-B", "c": "L-C"})
    # When "a" changes, "b" is removed and "d" is new
    data = {
        **SAMPLES["invoice"],
        "lines": [
            {"id": "a", "item": "labor", "quantity": "3", "rate": "95"},
            {"id": "c", "item": "pipe", "quantity": "1", "rate": "4.10"},
            {"id": "d", "item": "pipe", "description": "Extra fitting", "amount": "7.5"},
        ],
    }
    built = build(make_input("invoice", data, qb=qb), "6")
    # Then the Mod keeps a and c by TxnLineID, adds d with -1 and leaves b out
    assert built.rq_type == "InvoiceModRq"
    mod = assert_valid(built).find("InvoiceMod")
    assert mod.findtext("TxnID") == "1A2B-1700000000" and mod.findtext("EditSequence") == "1700000999"
    assert [line.findtext("TxnLineID") for line in mod.findall("InvoiceLineMod")] == ["L-A", "L-C", "-1"]
    assert mod.find("InvoiceLineMod").findtext("Quantity") == "3"


def test_positional_line_keys_are_used_without_line_ids(assert_valid):
    qb = QbIdentity(id="1A2B-1700000000", edit_sequence="1", line_ids={"0": "L-0", "1": "L-1"})
    mod = assert_valid(build(make_input("invoice", qb=qb), "6")).find("InvoiceMod")
    assert [line.findtext("TxnLineID") for line in mod.findall("InvoiceLineMod")] == ["L-0", "L-1"]


def test_payment_applied_to_invoices_into_undeposited_funds(assert_valid):
    built = build(make_input("payment"), "7")
    assert built.rq_type == "ReceivePaymentAddRq"
    add = assert_valid(built).find("ReceivePaymentAdd")
    assert add.findtext("CustomerRef/ListID") == "80000001-1700000000"
    assert add.findtext("TotalAmount") == "202.30"
    assert add.findtext("PaymentMethodRef/FullName") == "Check"
    assert add.findtext("RefNumber") == "4512"
    assert add.findtext("DepositToAccountRef/FullName") == "Undeposited Funds"
    assert add.findtext("AppliedToTxnAdd/TxnID") == "1A2B-1700000000"
    assert add.findtext("AppliedToTxnAdd/PaymentAmount") == "202.30"


def test_unapplied_payment_stays_a_credit(assert_valid):
    data = {**SAMPLES["payment"], "applied_to": [], "method": None, "reference": None}
    add = assert_valid(build(make_input("payment", data, settings={"deposit_account": "Checking"}), "7"))[0]
    assert add.findtext("IsAutoApply") == "false"
    assert add.findtext("DepositToAccountRef/FullName") == "Checking"


def test_payment_for_an_unsynced_invoice_is_a_problem():
    data = {**SAMPLES["payment"], "applied_to": [{"invoice": "inv-404", "amount": "1"}]}
    with pytest.raises(RecordProblem) as caught:
        build(make_input("payment", data), "7")
    assert caught.value.field == "applied_to.0.invoice" and "inv-404" in caught.value.message


def test_payment_mod_and_reference_limit(assert_valid):
    data = {
        **SAMPLES["payment"],
        "reference": "R" * 20,
        "applied_to": [{"invoice": "inv-1", "amount": "100"}, {"invoice": "inv-2", "amount": "102.30"}],
    }
    built = build(make_input("payment", data, qb=QbIdentity("P-1", "55")), "7")
    mod = assert_valid(built).find("ReceivePaymentMod")
    assert [a.findtext("TxnID") for a in mod.findall("AppliedToTxnMod")] == ["1A2B-1700000000", "1A2C-1700000000"]
    with pytest.raises(RecordProblem, match="20"):
        build(make_input("payment", {**data, "reference": "R" * 21}), "7")


def test_bill_with_billable_expense_and_item_lines(assert_valid):
    built = build(make_input("bill", settings={"ap_account": "Accounts Payable"}), "8")
    add = assert_valid(built).find("BillAdd")
    assert add.findtext("VendorRef/ListID") == "80000005-1700000000"
    assert add.findtext("APAccountRef/FullName") == "Accounts Payable"
    assert lines_of(add, "ExpenseLineAdd") == [
        {"AccountRef": "Repairs", "Amount": "40.00", "Memo": "Permit", "CustomerRef": "80000002-1700000000"}
    ]
    assert lines_of(add, "ItemLineAdd") == [
        {"ItemRef": "80000004-1700000000", "Desc": "Pipe", "Quantity": "10", "Cost": "2.05", "Amount": "20.50"}
    ]


def test_bill_expense_line_without_account_uses_the_default(assert_valid):
    data = {**SAMPLES["bill"], "number": None, "expense_lines": [{"amount": "9.99"}], "item_lines": []}
    add = assert_valid(build(make_input("bill", data), "8")).find("BillAdd")
    assert add.findtext("ExpenseLineAdd/AccountRef/FullName") == "Cost of Goods Sold"
    assert add.find("RefNumber") is None


def test_bill_mod_keeps_known_lines_and_clears_a_kind_that_is_gone(assert_valid):
    qb = QbIdentity("B-1", "77", line_ids={"e:0": "E-0", "i:0": "I-0"})
    data = {**SAMPLES["bill"], "expense_lines": [*SAMPLES["bill"]["expense_lines"], {"amount": "1"}], "item_lines": []}
    mod = assert_valid(build(make_input("bill", data, qb=qb), "8")).find("BillMod")
    assert [line.findtext("TxnLineID") for line in mod.findall("ExpenseLineMod")] == ["E-0", "-1"]
    assert mod.findtext("ClearItemLines") == "true" and mod.find("ClearExpenseLines") is None


def test_bill_number_one_over_the_limit_is_a_problem():
    with pytest.raises(RecordProblem, match="20"):
        build(make_input("bill", {**SAMPLES["bill"], "number": "B" * 21}), "8")
