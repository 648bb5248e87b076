"""Query requests: ListID/FullName/TxnID lookups, filters, ordering and iterators."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lxml import etree

from .answer import NO_MATCH, Answer, not_found_warning
from .company import ITEM_KINDS, namespace_of
from .filters import list_filter, txn_filter
from .xmltools import children_text

if TYPE_CHECKING:
    from .company import CompanyStore

LIST_QUERIES: dict[str, tuple[str, ...]] = {
    "CustomerQueryRq": ("Customer",),
    "VendorQueryRq": ("Vendor",),
    "EmployeeQueryRq": ("Employee",),
    "OtherNameQueryRq": ("OtherName",),
    "ItemQueryRq": ITEM_KINDS,
    "ItemServiceQueryRq": ("ItemService",),
    "ItemNonInventoryQueryRq": ("ItemNonInventory",),
    "ItemOtherChargeQueryRq": ("ItemOtherCharge",),
    "ItemInventoryQueryRq": ("ItemInventory",),
    "ItemInventoryAssemblyQueryRq": ("ItemInventoryAssembly",),
    "ItemDiscountQueryRq": ("ItemDiscount",),
    "ItemPaymentQueryRq": ("ItemPayment",),
    "ItemGroupQueryRq": ("ItemGroup",),
    "ItemSalesTaxQueryRq": ("ItemSalesTax",),
    "ItemSalesTaxGroupQueryRq": ("ItemSalesTaxGroup",),
    "AccountQueryRq": ("Account",),
    "TermsQueryRq": ("StandardTerms",),
    "StandardTermsQueryRq": ("StandardTerms",),
    "ClassQueryRq": ("Class",),
    "PaymentMethodQueryRq": ("PaymentMethod",),
    "SalesTaxCodeQueryRq": ("SalesTaxCode",),
}
TXN_QUERIES: dict[str, str] = {
    "InvoiceQueryRq": "Invoice",
    "ReceivePaymentQueryRq": "ReceivePayment",
    "BillQueryRq": "Bill",
    "CreditMemoQueryRq": "CreditMemo",
    "ARRefundCreditCardQueryRq": "ARRefundCreditCard",
}
# Query requests whose schema declares the iterator attribute (others are rejected when they carry it).
ITERATOR_QUERIES = {
    "CustomerQueryRq",
    "VendorQueryRq",
    "ItemQueryRq",
    "ItemServiceQueryRq",
    "ItemNonInventoryQueryRq",
    "ItemOtherChargeQueryRq",
    "ItemInventoryQueryRq",
    "ItemSalesTaxQueryRq",
    "ItemSalesTaxGroupQueryRq",
    "InvoiceQueryRq",
    "ReceivePaymentQueryRq",
    "BillQueryRq",
    "EntityQueryRq",
    "LeadQueryRq",
    "EstimateQueryRq",
    "SalesOrderQueryRq",
    "SalesReceiptQueryRq",
    "CreditMemoQueryRq",
    "ChargeQueryRq",
    "PurchaseOrderQueryRq",
    "ItemReceiptQueryRq",
    "VendorCreditQueryRq",
    "CheckQueryRq",
    "JournalEntryQueryRq",
    "DepositQueryRq",
    "TransactionQueryRq",
    "ItemInventoryAssemblyQueryRq",
    "ItemFixedAssetQueryRq",
    "ItemSubtotalQueryRq",
    "ItemDiscountQueryRq",
    "ItemPaymentQueryRq",
    "ItemGroupQueryRq",
    "TimeTrackingQueryRq",
}
LINE_KEYS = {
    "InvoiceLineRet": "InvoiceLineRet",
    "ExpenseLineRet": "ExpenseLineRet",
    "ItemLineRet": "ItemLineRet",
    "CreditMemoLineRet": "CreditMemoLineRet",
}


@dataclass
class Iterator:
    """Remember the rest of a query's results between iterator pages, for one session only."""

    session: int
    rq_tag: str
    pending: list[tuple[str, str]]
    skip: frozenset[str] = frozenset()
    only: set[str] | None = None
    owner_ids: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def handles(tag: str) -> bool:
    """Return whether `tag` is a query the simulator answers."""
    return tag in LIST_QUERIES or tag in TXN_QUERIES


def query(company: CompanyStore, rq: etree._Element) -> Answer:
    """Answer one query request, honouring iterator="Start" / "Continue"."""
    mode = rq.get("iterator")
    if mode == "Continue":
        return _continue(company, rq)
    found, answer = _matches(company, rq)
    if answer is not None and not found:
        return answer
    skip, only, owner_ids = _options(rq)
    max_returned = _max_returned(rq)
    if mode == "Start":
        page, rest = (found[:max_returned], found[max_returned:]) if max_returned is not None else (found, [])
        iterator_id = "{" + str(uuid.uuid4()) + "}"
        company.iterators[iterator_id] = Iterator(company.state.session, rq.tag, rest, skip, only, owner_ids)
        result = _answer(company, page, skip, only, owner_ids)
        result.attrs = {"iteratorRemainingCount": str(len(rest)), "iteratorID": iterator_id}
        if not rest:
            company.iterators.pop(iterator_id, None)
        return result
    if max_returned is not None:
        found = found[:max_returned]
    result = _answer(company, found, skip, only, owner_ids)
    if answer is not None:
        result.code, result.severity, result.message = answer.code, answer.severity, answer.message
    return result


def _continue(company: CompanyStore, rq: etree._Element) -> Answer:
    """Return the next page of an iterator started earlier in this session."""
    iterator_id = rq.get("iteratorID", "")
    iterator = company.iterators.get(iterator_id)
    if iterator is None or iterator.session != company.state.session or iterator.rq_tag != rq.tag:
        company.iterators.pop(iterator_id, None)
        return Answer(
            code=1,
            severity="Info",
            message=f'{NO_MATCH}. The iterator "{iterator_id}" is not valid: it has ended or belongs to an '
            "earlier session.",
            attrs={"iteratorRemainingCount": "0", "iteratorID": iterator_id},
        )
    max_returned = _max_returned(rq)
    size = max_returned if max_returned is not None else len(iterator.pending)
    page, iterator.pending = iterator.pending[:size], iterator.pending[size:]
    result = _answer(company, page, iterator.skip, iterator.only, iterator.owner_ids)
    result.attrs = {"iteratorRemainingCount": str(len(iterator.pending)), "iteratorID": iterator_id}
    if not iterator.pending:
        del company.iterators[iterator_id]
    return result


def _answer(
    company: CompanyStore,
    found: list[tuple[str, str]],
    skip: frozenset[str],
    only: set[str] | None,
    owner_ids: list[str] | None,
) -> Answer:
    """Build the answer for matched (kind, id) pairs, or statusCode 1 when there are none."""
    rets = []
    for kind, obj_id in found:
        found_at = company.by_list_id.get(obj_id) or company.by_txn_id.get(obj_id)
        assert found_at is not None  # `found` holds only ids the company has
        record = found_at[1]
        rets.append((f"{kind}Ret", record))
    if not rets:
        return Answer(code=1, severity="Info", message=NO_MATCH)
    return Answer(rets=rets, skip=skip, only=only, owner_ids=owner_ids)


def _matches(company: CompanyStore, rq: etree._Element) -> tuple[list[tuple[str, str]], Answer | None]:
    """Return the ordered (kind, id) pairs a query matches, plus a 500 warning for ids/names not found."""
    if rq.tag in LIST_QUERIES:
        kinds = LIST_QUERIES[rq.tag]
        pool = [(kind, rec) for kind in kinds for rec in company.state.lists[kind].values()]
        ids, names = children_text(rq, "ListID"), children_text(rq, "FullName")
        if ids or names:
            return _by_keys(company, kinds, ids, names)
        pool = [pair for pair in pool if list_filter(company, rq, pair[0], pair[1])]
    else:
        kind = TXN_QUERIES[rq.tag]
        txn_ids = children_text(rq, "TxnID")
        if txn_ids:
            found = [(kind, t) for t in dict.fromkeys(txn_ids) if company.by_txn_id.get(t, ("",))[0] == kind]
            missing = [t for t in txn_ids if company.by_txn_id.get(t, ("",))[0] != kind]
            return found, (not_found_warning(missing[0]) if missing else None)
        pool = [(kind, rec) for rec in company.state.txns[kind].values()]
        pool = [pair for pair in pool if txn_filter(company, rq, pair[1])]
    pool.sort(key=lambda pair: (pair[1]["TimeModified"], pair[1]["_seq"]))
    key = "ListID" if rq.tag in LIST_QUERIES else "TxnID"
    return [(kind, rec[key]) for kind, rec in pool], None


def _by_keys(
    company: CompanyStore, kinds: tuple[str, ...], ids: list[str], names: list[str]
) -> tuple[list[tuple[str, str]], Answer | None]:
    """Look records up by ListID or FullName; inactive ones are returned too, as QuickBooks does."""
    found: list[tuple[str, str]] = []
    missing: list[str] = []
    for list_id in ids:
        hit = company.by_list_id.get(list_id)
        (found.append((hit[0], list_id)) if hit and hit[0] in kinds else missing.append(list_id))
    for name in names:
        hit = None
        for namespace in dict.fromkeys(namespace_of(kind) for kind in kinds):
            hit = company.lookup_name(namespace, name)
            if hit and hit[0] in kinds:
                break
            hit = None
        (found.append((hit[0], hit[1]["ListID"])) if hit else missing.append(name))
    found = list(dict.fromkeys(found))
    return found, (not_found_warning(missing[0]) if missing else None)


def _options(rq: etree._Element) -> tuple[frozenset[str], set[str] | None, list[str] | None]:
    """Return what to leave out (lines, linked txns), IncludeRetElement and OwnerIDs of a query."""
    skip = set()
    if rq.tag in TXN_QUERIES:
        if rq.findtext("IncludeLineItems") != "true":
            skip |= set(LINE_KEYS)
        if rq.findtext("IncludeLinkedTxns") != "true":
            skip.add("LinkedTxn")
    only = set(children_text(rq, "IncludeRetElement")) or None
    owner_ids = children_text(rq, "OwnerID") or None
    return frozenset(skip), only, owner_ids


def _max_returned(rq: etree._Element) -> int | None:
    """Return MaxReturned as an int, or None when absent."""
    text = rq.findtext("MaxReturned")
    return int(text) if text else None
