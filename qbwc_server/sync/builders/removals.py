"""Requests that remove a transaction from QuickBooks' books (TxnVoid, TxnDel), and how to read a voided one."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from lxml import etree

from qbwc_server.qbxml.parse import text_of
from qbwc_server.qbxml.render import render
from qbwc_server.sync.builders.drafting import check_request_id
from qbwc_server.sync.builders.types import Built

# Our record kinds as QuickBooks' TxnVoidType / TxnDelType names them.
TXN_TYPES = {
    "invoice": "Invoice",
    "payment": "ReceivePayment",
    "bill": "Bill",
    "credit_memo": "CreditMemo",
    "refund": "ARRefundCreditCard",
}
# QuickBooks cannot void a received payment through qbXML (ReceivePayment is not a TxnVoidType).
VOIDABLE = frozenset({"invoice", "bill", "credit_memo", "refund"})
# What QuickBooks writes before the memo of a transaction it voided.
VOID_MARK = "VOID:"


def build_void(kind: str, txn_id: str, request_id: str) -> Built:
    """Return the TxnVoid request for a transaction of ours."""
    if kind not in VOIDABLE:
        raise ValueError(f"QuickBooks cannot void a {kind}")
    xml = render("txn_void.xml.j2", request_id=check_request_id(request_id), txn_type=TXN_TYPES[kind], txn_id=txn_id)
    return Built(xml, "TxnVoidRq", [])


def build_delete(kind: str, txn_id: str, request_id: str) -> Built:
    """Return the TxnDel request for a transaction of ours."""
    if kind not in TXN_TYPES:
        raise ValueError(f"{kind} is not a transaction")
    xml = render("txn_del.xml.j2", request_id=check_request_id(request_id), txn_type=TXN_TYPES[kind], txn_id=txn_id)
    return Built(xml, "TxnDelRq", [])


def is_voided(ret: etree._Element) -> bool:
    """Tell whether a transaction QuickBooks returned is void: its memo is marked so, and its amount is zero."""
    memo = text_of(ret, "Memo") or ""
    tag = next((t for t in ("Subtotal", "AmountDue", "TotalAmount") if ret.find(t) is not None), "Subtotal")
    total = _amount(ret, tag)
    return memo.startswith(VOID_MARK) and total == 0


def is_inactive(ret: etree._Element) -> bool:
    """Tell whether a list object QuickBooks returned is inactive."""
    return text_of(ret, "IsActive") == "false"


def _amount(ret: etree._Element, tag: str) -> Decimal:
    try:
        return Decimal(text_of(ret, tag) or "0")
    except InvalidOperation:
        return Decimal(0)
