"""Build the qbXML request for a record, and read QuickBooks' answer back into the record's identity.

One module per kind holds the details; the functions here pick the module by ``RequestInput.kind``.
"""

from __future__ import annotations

from types import ModuleType

from lxml import etree

from qbwc_server.qbxml.errors import XmlError
from qbwc_server.qbxml.parse import text_of
from qbwc_server.sync.builders import bills, credit_memos, customers, invoices, items, payments, refunds, vendors
from qbwc_server.sync.builders.drafting import check_request_id
from qbwc_server.sync.builders.lists import build_list_query, list_query, supports_iterator, txn_query
from qbwc_server.sync.builders.names import full_name, qb_name
from qbwc_server.sync.builders.types import (
    KINDS,
    LIST_KINDS,
    Built,
    ProblemKind,
    QbIdentity,
    QbRef,
    RecordProblem,
    RequestInput,
)

__all__ = [
    "KINDS",
    "Built",
    "ProblemKind",
    "QbIdentity",
    "QbRef",
    "RecordProblem",
    "RequestInput",
    "build",
    "build_list_query",
    "build_lookup",
    "build_refresh",
    "full_name",
    "identity_from_ret",
    "pick_match",
    "qb_name",
    "supports_iterator",
    "total_warnings",
]

_MODULES: dict[str, ModuleType] = {
    "customer": customers,
    "job": customers,
    "item": items,
    "vendor": vendors,
    "invoice": invoices,
    "payment": payments,
    "bill": bills,
    "credit_memo": credit_memos,
    "refund": refunds,
}
_LIST_QUERY = {
    "customer": "CustomerQueryRq",
    "job": "CustomerQueryRq",
    "item": "ItemQueryRq",
    "vendor": "VendorQueryRq",
}
_TXN_QUERY = {
    "invoice": "InvoiceQueryRq",
    "payment": "ReceivePaymentQueryRq",
    "bill": "BillQueryRq",
    "credit_memo": "CreditMemoQueryRq",
    "refund": "ARRefundCreditCardQueryRq",
}


def _module(kind: str) -> ModuleType:
    try:
        return _MODULES[kind]
    except KeyError:
        raise ValueError(f"unknown record kind {kind!r}") from None


def build(inp: RequestInput, request_id: str) -> Built:
    """Return the Add request (no QuickBooks identity yet) or the Mod request for a record."""
    built: Built = _module(inp.kind).build(inp, check_request_id(request_id))
    return built


def build_lookup(inp: RequestInput, request_id: str) -> Built:
    """Return the query that finds what QuickBooks may already hold for this record (before re-sending an Add)."""
    built: Built = _module(inp.kind).build_lookup(inp, check_request_id(request_id))
    return built


def pick_match(inp: RequestInput, rets: list[etree._Element]) -> etree._Element | None:
    """Return the returned object that is this record, or None when none of them is."""
    matches = _module(inp.kind).matches
    return next((ret for ret in rets if matches(inp, ret)), None)


def build_refresh(kind: str, qb_id: str, request_id: str) -> Built:
    """Return the query by ListID/TxnID that fetches a record's current EditSequence (and lines)."""
    request_id = check_request_id(request_id)
    if kind in _LIST_QUERY:
        rq_type = _LIST_QUERY[kind]
        return Built(list_query(rq_type, request_id, list_ids=[qb_id]), rq_type, [])
    if kind in _TXN_QUERY:
        rq_type = _TXN_QUERY[kind]
        return Built(txn_query(rq_type, request_id, txn_ids=[qb_id], include_line_items=True), rq_type, [])
    raise ValueError(f"unknown record kind {kind!r}")


def identity_from_ret(inp: RequestInput, ret: etree._Element) -> QbIdentity:
    """Return what to store from a returned object: its id, EditSequence, FullName and our lines' TxnLineIDs."""
    qb_id = text_of(ret, "ListID") if inp.kind in LIST_KINDS else text_of(ret, "TxnID")
    edit_sequence = text_of(ret, "EditSequence")
    if not qb_id or not edit_sequence:
        raise XmlError(f"QuickBooks' answer ({ret.tag}) has no id or EditSequence.")
    module = _module(inp.kind)
    return QbIdentity(
        id=qb_id,
        edit_sequence=edit_sequence,
        # Vendors (and group items) have no FullName in QuickBooks: their Name is the whole name.
        full_name=(text_of(ret, "FullName") or text_of(ret, "Name")) if inp.kind in LIST_KINDS else None,
        line_ids=module.line_ids(inp, ret) if hasattr(module, "line_ids") else {},
    )


def total_warnings(inp: RequestInput, ret: etree._Element) -> list[str]:
    """Return warnings when QuickBooks' totals for an invoice, bill or payment differ from the app's."""
    module = _module(inp.kind)
    return module.total_warnings(inp, ret) if hasattr(module, "total_warnings") else []
