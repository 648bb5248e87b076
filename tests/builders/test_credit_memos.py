"""Credit memo requests are valid qbXML: the Add, the Mod by TxnLineID, and the zero payment that applies the credit."""

from __future__ import annotations

import pytest

from qbwc_server.sync.builders import QbIdentity, RecordProblem, build
from qbwc_server.sync.builders.credit_memos import build_application
from tests.builders.conftest import make_input

CREDIT = {
    "customer": "c-1",
    "job": "j-1",
    "number": "CM-7",
    "date": "2024-05-04",
    "memo": "Returned pipe",
    "tax_rate": "CA 7.25%",
    "lines": [{"id": "a", "item": "pipe", "description": "Pipe", "quantity": "3", "rate": "4.10", "taxable": True}],
    "applied_to": [{"invoice": "inv-1", "amount": "10.00"}, {"invoice": "inv-2", "amount": "2.30"}],
}


def test_a_credit_memo_add_has_the_invoice_fields_a_credit_memo_has(assert_valid):
    rq = assert_valid(build(make_input("credit_memo", CREDIT), "20"))
    add = rq.find("CreditMemoAdd")
    assert add.findtext("CustomerRef/ListID") == "80000002-1700000000"  # the job
    assert add.findtext("RefNumber") == "CM-7"
    assert add.findtext("ItemSalesTaxRef/FullName") == "CA Sales Tax"
    assert [line.findtext("Rate") for line in add.findall("CreditMemoLineAdd")] == ["4.1"]


def test_a_credit_memo_mod_keeps_its_lines(assert_valid):
    qb = QbIdentity("1A2D-1700000000", "1700000002", line_ids={"a": "7-1700000000"})
    rq = assert_valid(build(make_input("credit_memo", CREDIT, qb=qb), "21"))
    mod = rq.find("CreditMemoMod")
    assert mod.findtext("TxnID") == "1A2D-1700000000"
    assert [line.findtext("TxnLineID") for line in mod.findall("CreditMemoLineMod")] == ["7-1700000000"]


def test_the_credit_is_applied_by_a_zero_payment_with_set_credit(assert_valid):
    rq = assert_valid(build_application(make_input("credit_memo", CREDIT), "1A2D-1700000000", "22"))
    add = rq.find("ReceivePaymentAdd")
    assert add.findtext("TotalAmount") == "0.00"
    applied = add.findall("AppliedToTxnAdd")
    assert [a.findtext("TxnID") for a in applied] == ["1A2B-1700000000", "1A2C-1700000000"]
    assert [a.findtext("SetCredit/CreditTxnID") for a in applied] == ["1A2D-1700000000"] * 2
    assert [a.findtext("SetCredit/AppliedAmount") for a in applied] == ["10.00", "2.30"]


def test_a_credit_cannot_be_applied_to_an_invoice_quickbooks_lacks():
    data = {**CREDIT, "applied_to": [{"invoice": "inv-9", "amount": "1.00"}]}
    with pytest.raises(RecordProblem, match="Invoice 'inv-9' is not in QuickBooks yet"):
        build_application(make_input("credit_memo", data), "1A2D-1700000000", "23")
