"""Refund requests are valid qbXML: paid from the refund account against one credit; never a Mod."""

from __future__ import annotations

import pytest

from qbwc_server.sync.builders import ProblemKind, QbIdentity, QbRef, RecordProblem, build, build_lookup
from tests.builders.conftest import REFS, make_input

CREDITS = {**REFS, ("credit_memo", "cm-1"): QbRef("1A2D-1700000000"), ("payment", "p-1"): QbRef("1A2E-1700000000")}
REFUND = {"customer": "c-1", "date": "2024-05-09", "amount": "25.00", "method": "Check", "memo": "Overpaid"}
SETTINGS = {"refund_account": "Checking"}


@pytest.mark.parametrize(("credit", "txn_id"), [("credit_memo", "1A2D-1700000000"), ("payment", "1A2E-1700000000")])
def test_a_refund_pays_back_one_credit_from_the_refund_account(assert_valid, credit, txn_id):
    external_id = "cm-1" if credit == "credit_memo" else "p-1"
    inp = make_input("refund", {**REFUND, credit: external_id}, settings=SETTINGS, refs=CREDITS)
    add = assert_valid(build(inp, "30")).find("ARRefundCreditCardAdd")
    assert add.findtext("RefundFromAccountRef/FullName") == "Checking"
    assert add.findtext("PaymentMethodRef/FullName") == "Check"
    assert add.findtext("RefundAppliedToTxnAdd/TxnID") == txn_id
    assert add.findtext("RefundAppliedToTxnAdd/RefundAmount") == "25.00"


def test_a_refund_waits_for_the_refund_account_setting():
    with pytest.raises(RecordProblem) as caught:
        build(make_input("refund", {**REFUND, "payment": "p-1"}, settings={}, refs=CREDITS), "31")
    assert caught.value.problem is ProblemKind.REFUND_ACCOUNT and "refund_account" in caught.value.message


def test_a_refund_quickbooks_has_cannot_be_changed_there():
    qb = QbIdentity("1A2F-1700000000", "1700000003")
    with pytest.raises(RecordProblem, match="cannot change a refund"):
        build(make_input("refund", {**REFUND, "payment": "p-1"}, qb=qb, settings=SETTINGS, refs=CREDITS), "32")


def test_a_lost_refund_is_looked_up_by_customer_and_date(assert_valid):
    inp = make_input("refund", {**REFUND, "payment": "p-1"}, settings=SETTINGS, refs=CREDITS)
    rq = assert_valid(build_lookup(inp, "33"))
    assert rq.tag == "ARRefundCreditCardQueryRq"
    assert rq.findtext("TxnDateRangeFilter/FromTxnDate") == "2024-05-09"
    assert rq.findtext("EntityFilter/ListID") == "80000001-1700000000"
