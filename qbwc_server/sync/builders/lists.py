"""Queries that read QuickBooks lists and transactions: imports, lookups by name and refreshes by id."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from qbwc_server.qbxml import values
from qbwc_server.qbxml.render import render
from qbwc_server.qbxml.text import to_latin1
from qbwc_server.sync.builders.drafting import check_request_id
from qbwc_server.sync.builders.types import Built

log = logging.getLogger(__name__)

LIST_QUERIES = {
    "accounts": "AccountQueryRq",
    "items": "ItemQueryRq",
    "customers": "CustomerQueryRq",
    "vendors": "VendorQueryRq",
    "terms": "TermsQueryRq",
    "classes": "ClassQueryRq",
    "payment_methods": "PaymentMethodQueryRq",
    "sales_tax_codes": "SalesTaxCodeQueryRq",
    "sales_tax_items": "ItemSalesTaxQueryRq",
}
TXN_QUERIES = {"invoices": "InvoiceQueryRq", "payments": "ReceivePaymentQueryRq", "bills": "BillQueryRq"}

# Query requests whose XSD type has the ``iterator`` attribute; identical in qbXML 13.0 and 16.0
# (tests/builders check this table against both schemas).
ITERATOR_QUERIES = frozenset(
    {
        "ARRefundCreditCardQueryRq", "BarCodeQueryRq", "BillPaymentCheckQueryRq", "BillPaymentCreditCardQueryRq",
        "BillQueryRq", "BuildAssemblyQueryRq", "ChargeQueryRq", "CheckQueryRq", "CreditCardChargeQueryRq",
        "CreditCardCreditQueryRq", "CreditMemoQueryRq", "CustomerQueryRq", "DepositQueryRq", "EntityQueryRq",
        "EstimateQueryRq", "InventoryAdjustmentQueryRq", "InvoiceQueryRq", "ItemDiscountQueryRq",
        "ItemFixedAssetQueryRq", "ItemGroupQueryRq", "ItemInventoryAssemblyQueryRq", "ItemInventoryQueryRq",
        "ItemNonInventoryQueryRq", "ItemOtherChargeQueryRq", "ItemPaymentQueryRq", "ItemQueryRq",
        "ItemReceiptQueryRq", "ItemSalesTaxGroupQueryRq", "ItemSalesTaxQueryRq", "ItemServiceQueryRq",
        "ItemSitesQueryRq", "ItemSubtotalQueryRq", "JournalEntryQueryRq", "LeadQueryRq", "PurchaseOrderQueryRq",
        "ReceivePaymentQueryRq", "SalesOrderQueryRq", "SalesReceiptQueryRq", "SalesTaxPaymentCheckQueryRq",
        "TimeTrackingQueryRq", "TransactionQueryRq", "TransferInventoryQueryRq", "TransferQueryRq",
        "VehicleMileageQueryRq", "VendorCreditQueryRq", "VendorQueryRq",
    }
)  # fmt: skip
ITERATOR_CHOICES = ("Start", "Continue", "Stop")
ACTIVE_STATUSES = ("ActiveOnly", "InactiveOnly", "All")


def supports_iterator(rq_type: str) -> bool:
    """Tell whether a query request (e.g. "CustomerQueryRq") may carry iterator/iteratorID attributes."""
    return rq_type in ITERATOR_QUERIES


def list_query(rq_type: str, request_id: str, **context: Any) -> str:
    """Render a list query; unspecified options are left out."""
    full = {
        "iterator": None,
        "iterator_id": None,
        "list_ids": None,
        "full_names": None,
        "max_returned": None,
        "active_status": None,
        "from_modified": None,
        **context,
    }
    if full["full_names"]:
        full["full_names"] = [to_latin1(name)[0] for name in full["full_names"]]
    return render("list_query.xml.j2", rq_type=rq_type, request_id=check_request_id(request_id), **full)


def txn_query(rq_type: str, request_id: str, **context: Any) -> str:
    """Render a transaction query; unspecified options are left out."""
    full = {
        "iterator": None,
        "iterator_id": None,
        "txn_ids": None,
        "max_returned": None,
        "from_modified": None,
        "from_date": None,
        "to_date": None,
        "entity": None,
        "ref_number": None,
        "ref_numbers": None,
        "include_line_items": None,
        "include_linked_txns": None,
        **context,
    }
    return render("txn_query.xml.j2", rq_type=rq_type, request_id=check_request_id(request_id), **full)


def build_list_query(
    list_kind: str,
    request_id: str,
    *,
    iterator: str | None = None,
    iterator_id: str | None = None,
    max_returned: int | None = None,
    from_modified: dt.datetime | None = None,
    active_status: str = "All",
    include_line_items: bool = False,
    list_ids: Sequence[str] | None = None,
    full_names: Sequence[str] | None = None,
) -> Built:
    """Return the query that imports one QuickBooks list or transaction history (``accounts``, ``invoices`` ...).

    Requests without iterator support get neither the iterator nor MaxReturned, so they return the whole list.
    ``list_ids``/``full_names`` ask for those objects only and cannot be combined with the filters.
    """
    rq_type = LIST_QUERIES.get(list_kind) or TXN_QUERIES.get(list_kind)
    if rq_type is None:
        raise ValueError(f"unknown list kind {list_kind!r}")
    if iterator is not None and iterator not in ITERATOR_CHOICES:
        raise ValueError(f"iterator must be one of {', '.join(ITERATOR_CHOICES)}")
    if iterator in ("Continue", "Stop") and not iterator_id:
        raise ValueError(f"iterator={iterator} needs the iteratorID QuickBooks returned")
    if active_status not in ACTIVE_STATUSES:
        raise ValueError(f"active_status must be one of {', '.join(ACTIVE_STATUSES)}")
    if max_returned is not None and max_returned < 1:
        raise ValueError("max_returned must be at least 1")
    if list_ids and full_names:
        raise ValueError("ask by list_ids or by full_names, not both")
    if (list_ids or full_names) and (from_modified is not None or max_returned is not None):
        raise ValueError("list_ids/full_names cannot be combined with filters in one qbXML query")
    if not supports_iterator(rq_type):
        if iterator is not None:
            log.debug("%s has no iterator; asking for the whole list at once", rq_type)
        iterator = iterator_id = None
        max_returned = None
    if iterator != "Continue" and iterator != "Stop":
        iterator_id = None
    modified = values.iso_datetime(from_modified) if from_modified is not None else None
    if rq_type in TXN_QUERIES.values():
        if full_names:
            raise ValueError("transactions are asked for by TxnID, not by name")
        xml = txn_query(
            rq_type,
            request_id,
            iterator=iterator,
            iterator_id=iterator_id,
            txn_ids=list(list_ids or []) or None,
            max_returned=max_returned,
            from_modified=modified,
            include_line_items=include_line_items,
        )
    else:
        xml = list_query(
            rq_type,
            request_id,
            iterator=iterator,
            iterator_id=iterator_id,
            list_ids=list(list_ids or []) or None,
            full_names=list(full_names or []) or None,
            max_returned=max_returned,
            active_status=None if (list_ids or full_names) else active_status,
            from_modified=modified,
        )
    return Built(xml, rq_type, [])


def build_deleted_query(
    request_id: str, del_types: Sequence[str], *, transactions: bool, from_deleted: dt.datetime | None = None
) -> Built:
    """Return the query for the list entries (ListDelType) or transactions (TxnDelType) QuickBooks deleted."""
    rq_type = "TxnDeletedQueryRq" if transactions else "ListDeletedQueryRq"
    if not del_types:
        raise ValueError("name at least one type of deleted entry to ask for")
    xml = render(
        "deleted_query.xml.j2",
        rq_type=rq_type,
        request_id=check_request_id(request_id),
        type_element="ListDelType" if rq_type == "ListDeletedQueryRq" else "TxnDelType",
        del_types=list(del_types),
        from_deleted=values.iso_datetime(from_deleted) if from_deleted is not None else None,
    )
    return Built(xml, rq_type, [])
