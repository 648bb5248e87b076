"""The requests that remove a transaction (TxnVoid, TxnDel) and the deactivation of a list record are valid qbXML,
and a voided transaction is told from one that is not."""

from __future__ import annotations

import pytest
from lxml import etree

from qbwc_server.sync.builders import QbIdentity, build
from qbwc_server.sync.builders.removals import build_delete, build_void, is_inactive, is_voided
from tests.builders.conftest import make_input


@pytest.mark.parametrize(("kind", "txn_type"), [("invoice", "Invoice"), ("bill", "Bill")])
def test_a_void_names_the_transaction_type_and_id(assert_valid, kind, txn_type):
    rq = assert_valid(build_void(kind, "1A2B-1700000000", "12"))
    assert rq.tag == "TxnVoidRq"
    assert [child.tag for child in rq] == ["TxnVoidType", "TxnID"]
    assert rq.findtext("TxnVoidType") == txn_type and rq.findtext("TxnID") == "1A2B-1700000000"


@pytest.mark.parametrize(
    ("kind", "txn_type"), [("invoice", "Invoice"), ("bill", "Bill"), ("payment", "ReceivePayment")]
)
def test_a_delete_names_the_transaction_type_and_id(assert_valid, kind, txn_type):
    rq = assert_valid(build_delete(kind, "1A2B-1700000000", "13"))
    assert rq.tag == "TxnDelRq" and rq.findtext("TxnDelType") == txn_type


def test_a_payment_cannot_be_voided():
    # qbXML's TxnVoidType has no ReceivePayment: a payment is deleted instead.
    with pytest.raises(ValueError, match="cannot void a payment"):
        build_void("payment", "1A2B-1700000000", "14")


@pytest.mark.parametrize("kind", ["customer", "job", "item", "vendor"])
def test_a_deactivation_is_the_mod_with_is_active_false(assert_valid, kind):
    qb = QbIdentity("80000009-1700000000", "1700000001", "Someone")
    inp = make_input(kind, qb=qb)
    rq = assert_valid(build(make_input(kind, {**inp.data, "active": False}, qb=qb), "15"))
    assert rq.tag.endswith("ModRq")
    mod = rq[0]
    assert mod.findtext("IsActive") == "false"


def _ret(xml: str) -> etree._Element:
    return etree.fromstring(xml)


def test_a_voided_transaction_is_marked_and_zero():
    assert is_voided(_ret("<InvoiceRet><Subtotal>0.00</Subtotal><Memo>VOID: Thanks</Memo></InvoiceRet>"))
    assert is_voided(_ret("<BillRet><AmountDue>0.00</AmountDue><Memo>VOID:</Memo></BillRet>"))
    assert not is_voided(_ret("<InvoiceRet><Subtotal>190.00</Subtotal><Memo>VOID: Thanks</Memo></InvoiceRet>"))
    assert not is_voided(_ret("<InvoiceRet><Subtotal>0.00</Subtotal><Memo>Free visit</Memo></InvoiceRet>"))
    assert is_inactive(_ret("<CustomerRet><IsActive>false</IsActive></CustomerRet>"))
    assert not is_inactive(_ret("<CustomerRet><IsActive>true</IsActive></CustomerRet>"))
