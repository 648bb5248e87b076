"""Turn one QuickBooks ``…Ret`` element into our record data (the REST API's field shapes) or a list entry.

Mapping is pure: references to other QuickBooks objects are left as ``refs`` (path → kinds and QuickBooks id)
and sales tax codes as ``tax_codes`` (path → code name), for the store to resolve against what it holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from qbwc_server.models import RecordKind
from qbwc_server.qbxml.parse import text_of

CUSTOMERS = (RecordKind.CUSTOMER, RecordKind.JOB)

# Item Ret elements that become item records; every item type is also kept as a reference list entry.
ITEM_RECORD_TYPES = {"service", "non_inventory", "other_charge"}
# Item types the server never adds: imported as link-only item records that keep QuickBooks' type.
LINK_ONLY_RECORD_TYPES = {"inventory", "inventory_assembly", "discount", "group", "payment"}
SALES_TAX_ITEM_TYPES = {"sales_tax", "sales_tax_group"}


@dataclass
class Entry:
    """What one returned object holds, copied out of the XML so the element can be freed."""

    ret_type: str
    qb_id: str
    edit_sequence: str | None
    time_modified: str | None
    name: str
    full_name: str
    active: bool = True
    sublevel: int = 0
    parent_id: str | None = None
    record_kind: RecordKind | None = None
    data: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, tuple[tuple[RecordKind, ...], str]] = field(default_factory=dict)
    tax_codes: dict[str, str] = field(default_factory=dict)
    qb_data: dict[str, Any] = field(default_factory=dict)
    # (list_type, subtype) pairs this object is listed under in QbListEntry; data for that row.
    lists: list[tuple[str, str | None]] = field(default_factory=list)
    list_data: dict[str, Any] = field(default_factory=dict)


def _text(el: etree._Element | None, path: str) -> str | None:
    value = text_of(el, path)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _flag(el: etree._Element, path: str, default: bool | None = None) -> bool | None:
    value = _text(el, path)
    if value is None:
        return default
    return value.lower() == "true"


def _address(el: etree._Element | None) -> dict[str, str] | None:
    if el is None:
        return None
    address = {
        "line1": _text(el, "Addr1"),
        "line2": _text(el, "Addr2"),
        "city": _text(el, "City"),
        "state": _text(el, "State"),
        "postal_code": _text(el, "PostalCode"),
        "country": _text(el, "Country"),
    }
    kept = {key: value for key, value in address.items() if value is not None}
    return kept or None


def _snake(ret_tag: str) -> str:
    """Return "non_inventory" for "ItemNonInventoryRet" (the item type as our API spells it)."""
    core = ret_tag.removeprefix("Item").removesuffix("Ret")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", core).lower()


def _base(ret: etree._Element, id_element: str = "ListID") -> Entry:
    qb_id = _text(ret, id_element)
    if not qb_id:
        raise ValueError(f"{ret.tag} has no {id_element}")
    name = _text(ret, "Name") or ""
    sublevel = _text(ret, "Sublevel")
    return Entry(
        ret_type=str(ret.tag),
        qb_id=qb_id,
        edit_sequence=_text(ret, "EditSequence"),
        time_modified=_text(ret, "TimeModified"),
        name=name,
        full_name=_text(ret, "FullName") or name,
        active=bool(_flag(ret, "IsActive", True)),
        sublevel=int(sublevel) if sublevel and sublevel.isdigit() else 0,
        parent_id=_text(ret, "ParentRef/ListID"),
    )


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


# --- customers, jobs, vendors ----------------------------------------------------------------------------


def customer(ret: etree._Element) -> Entry:
    """Map a CustomerRet: Sublevel 0 is a customer, 1 a job of its parent; deeper levels are listed only."""
    entry = _base(ret)
    if entry.sublevel == 0:
        entry.record_kind = RecordKind.CUSTOMER
        entry.lists = [("customer", None)]
        entry.data = _drop_empty(
            {
                "name": entry.name,
                "company_name": _text(ret, "CompanyName"),
                "first_name": _text(ret, "FirstName"),
                "last_name": _text(ret, "LastName"),
                "email": _text(ret, "Email"),
                "phone": _text(ret, "Phone"),
                "billing_address": _address(ret.find("BillAddress")),
                "service_address": _address(ret.find("ShipAddress")),
                "active": entry.active,
                "notes": _text(ret, "Notes"),
            }
        )
    else:
        entry.lists = [("job", None)]
        if entry.sublevel == 1 and entry.parent_id:
            entry.record_kind = RecordKind.JOB
            entry.data = _drop_empty(
                {
                    "customer": f"qb-{entry.parent_id}",
                    "name": entry.name,
                    "description": _text(ret, "JobDesc"),
                    "address": _address(ret.find("ShipAddress")) or _address(ret.find("BillAddress")),
                    "active": entry.active,
                }
            )
            entry.refs["customer"] = ((RecordKind.CUSTOMER,), entry.parent_id)
    balance = _text(ret, "TotalBalance") or _text(ret, "Balance")
    entry.qb_data = _drop_empty({"balance": balance, "job_status": _text(ret, "JobStatus")})
    return entry


def vendor(ret: etree._Element) -> Entry:
    """Map a VendorRet to vendor record data."""
    entry = _base(ret)
    entry.record_kind = RecordKind.VENDOR
    entry.lists = [("vendor", None)]
    entry.data = _drop_empty(
        {
            "name": entry.name,
            "company_name": _text(ret, "CompanyName"),
            "first_name": _text(ret, "FirstName"),
            "last_name": _text(ret, "LastName"),
            "email": _text(ret, "Email"),
            "phone": _text(ret, "Phone"),
            "address": _address(ret.find("VendorAddress")),
            "is_1099": _flag(ret, "IsVendorEligibleFor1099"),
            "active": entry.active,
        }
    )
    entry.qb_data = _drop_empty({"balance": _text(ret, "Balance")})
    return entry


# --- items ------------------------------------------------------------------------------------------------


def item(ret: etree._Element) -> Entry:
    """Map any item Ret; service, non-inventory and other-charge items also become item records."""
    entry = _base(ret)
    item_type = _snake(entry.ret_type)
    entry.lists = [("item", item_type)]
    if item_type in SALES_TAX_ITEM_TYPES:
        entry.lists.append(("sales_tax_item", item_type))
    sales = ret.find("SalesOrPurchase")
    both = ret.find("SalesAndPurchase")
    description = _text(sales, "Desc") or _text(both, "SalesDesc") or _text(ret, "SalesDesc") or _text(ret, "ItemDesc")
    percent = _text(sales, "PricePercent")  # a percentage of the lines above, not an amount
    price = _text(sales, "Price") or _text(both, "SalesPrice") or _text(ret, "SalesPrice") or _text(ret, "TaxRate")
    income = _text(sales, "AccountRef/FullName") or _text(both, "IncomeAccountRef/FullName")
    income = income or _text(ret, "IncomeAccountRef/FullName")
    cost = _text(both, "PurchaseCost") or _text(ret, "PurchaseCost")
    entry.list_data = _drop_empty(
        {
            "description": description,
            "price": price,
            "price_percent": percent,
            "income_account": income,
            "tax_rate": _text(ret, "TaxRate"),
        }
    )
    if item_type in ITEM_RECORD_TYPES | LINK_ONLY_RECORD_TYPES:
        entry.record_kind = RecordKind.ITEM
        entry.data = _drop_empty(
            {
                "name": entry.name,
                "type": item_type,
                "link_only": True if item_type in LINK_ONLY_RECORD_TYPES else None,
                "description": description,
                "price": price,
                "price_percent": percent,
                "cost": cost,
                "income_account": income,
                "active": entry.active,
            }
        )
        code = _text(ret, "SalesTaxCodeRef/FullName")
        if code:
            entry.tax_codes["taxable"] = code
    return entry


# --- reference lists --------------------------------------------------------------------------------------


def account(ret: etree._Element) -> Entry:
    """Map an AccountRet to a list entry whose subtype is the account type."""
    entry = _base(ret)
    entry.lists = [("account", _text(ret, "AccountType"))]
    entry.list_data = _drop_empty(
        {
            "number": _text(ret, "AccountNumber"),
            "description": _text(ret, "Desc"),
            "special_type": _text(ret, "SpecialAccountType"),
        }
    )
    return entry


def terms(ret: etree._Element) -> Entry:
    """Map StandardTermsRet / DateDrivenTermsRet."""
    entry = _base(ret)
    standard = entry.ret_type == "StandardTermsRet"
    entry.lists = [("terms", "standard" if standard else "date_driven")]
    entry.list_data = _drop_empty(
        {
            "due_days": _text(ret, "StdDueDays") or _text(ret, "DayOfMonthDue"),
            "discount_days": _text(ret, "StdDiscountDays") or _text(ret, "DiscountDayOfMonth"),
            "discount_pct": _text(ret, "DiscountPct"),
        }
    )
    return entry


def qb_class(ret: etree._Element) -> Entry:
    """Map a ClassRet."""
    entry = _base(ret)
    entry.lists = [("class", None)]
    return entry


def payment_method(ret: etree._Element) -> Entry:
    """Map a PaymentMethodRet; the subtype is QuickBooks' payment method type (Cash, Check, Visa …)."""
    entry = _base(ret)
    entry.lists = [("payment_method", _text(ret, "PaymentMethodType"))]
    return entry


def sales_tax_code(ret: etree._Element) -> Entry:
    """Map a SalesTaxCodeRet; whether the code taxes is kept for mapping line and item taxability."""
    entry = _base(ret)
    entry.lists = [("sales_tax_code", None)]
    entry.list_data = _drop_empty({"taxable": _flag(ret, "IsTaxable"), "description": _text(ret, "Desc")})
    return entry


# --- transactions -----------------------------------------------------------------------------------------


def _customer_ref(entry: Entry, ret: etree._Element) -> None:
    customer_id = _text(ret, "CustomerRef/ListID")
    full = _text(ret, "CustomerRef/FullName") or ""
    if customer_id:
        entry.data["customer"] = f"qb-{customer_id}"
        entry.refs["customer"] = (CUSTOMERS, customer_id)
    entry.qb_data["customer_full_name"] = full


def invoice(ret: etree._Element) -> Entry:
    """Map an InvoiceRet with its lines (also those inside line groups) to invoice record data."""
    entry = _base(ret, "TxnID")
    entry.name = entry.full_name = _text(ret, "RefNumber") or entry.qb_id
    entry.record_kind = RecordKind.INVOICE
    _customer_ref(entry, ret)
    entry.data.update(
        _drop_empty(
            {
                "number": _text(ret, "RefNumber"),
                "date": _text(ret, "TxnDate"),
                "due_date": _text(ret, "DueDate"),
                "terms": _text(ret, "TermsRef/FullName"),
                "po_number": _text(ret, "PONumber"),
                "memo": _text(ret, "Memo"),
                "status": "paid" if _flag(ret, "IsPaid") else "sent",
                "class": _text(ret, "ClassRef/FullName"),
                "tax_rate": _text(ret, "ItemSalesTaxRef/FullName"),
            }
        )
    )
    lines: list[dict[str, Any]] = []
    for line in ret.iter("InvoiceLineRet"):
        index = len(lines)
        item_id = _text(line, "ItemRef/ListID")
        mapped = _drop_empty(
            {
                "id": _text(line, "TxnLineID"),
                "item": f"qb-{item_id}" if item_id else None,
                "description": _text(line, "Desc"),
                "quantity": _text(line, "Quantity"),
                "rate": _text(line, "Rate") or _text(line, "RatePercent"),
                "amount": _text(line, "Amount"),
            }
        )
        if item_id:
            entry.refs[f"lines.{index}.item"] = ((RecordKind.ITEM,), item_id)
        code = _text(line, "SalesTaxCodeRef/FullName")
        if code:
            entry.tax_codes[f"lines.{index}.taxable"] = code
        lines.append(mapped)
    entry.data["lines"] = lines
    entry.qb_data.update(
        _drop_empty(
            {
                "subtotal": _text(ret, "Subtotal"),
                "sales_tax_total": _text(ret, "SalesTaxTotal"),
                "balance_remaining": _text(ret, "BalanceRemaining"),
                "applied_amount": _text(ret, "AppliedAmount"),
                "is_paid": _flag(ret, "IsPaid"),
                "sales_tax_percentage": _text(ret, "SalesTaxPercentage"),
            }
        )
    )
    return entry


def payment(ret: etree._Element) -> Entry:
    """Map a ReceivePaymentRet with the invoices it pays (AppliedToTxnRet) to payment record data."""
    entry = _base(ret, "TxnID")
    entry.name = entry.full_name = _text(ret, "RefNumber") or entry.qb_id
    entry.record_kind = RecordKind.PAYMENT
    _customer_ref(entry, ret)
    entry.data.update(
        _drop_empty(
            {
                "date": _text(ret, "TxnDate"),
                "amount": _text(ret, "TotalAmount"),
                "method": _text(ret, "PaymentMethodRef/FullName"),
                "reference": _text(ret, "RefNumber"),
                "memo": _text(ret, "Memo"),
            }
        )
    )
    applied: list[dict[str, Any]] = []
    for index, applied_el in enumerate(ret.findall("AppliedToTxnRet")):
        txn_id = _text(applied_el, "TxnID")
        # QuickBooks reports the amount applied as negative (it lowers the invoice's balance); ours is positive.
        amount = (_text(applied_el, "Amount") or "").lstrip("-") or None
        applied.append(_drop_empty({"invoice": f"qb-{txn_id}" if txn_id else None, "amount": amount}))
        if txn_id:
            entry.refs[f"applied_to.{index}.invoice"] = ((RecordKind.INVOICE,), txn_id)
            balance = _text(applied_el, "BalanceRemaining")
            if balance is not None:
                # QuickBooks' balance of the invoice now: it tells whether our invoice is paid.
                entry.qb_data.setdefault("invoice_balances", {})[txn_id] = balance
    entry.data["applied_to"] = applied
    entry.qb_data.update(
        _drop_empty(
            {
                "total": _text(ret, "TotalAmount"),
                "deposit_account": _text(ret, "DepositToAccountRef/FullName"),
                "unused_payment": _text(ret, "UnusedPayment"),
            }
        )
    )
    return entry


def bill(ret: etree._Element) -> Entry:
    """Map a BillRet with its expense and item lines to bill record data."""
    entry = _base(ret, "TxnID")
    entry.name = entry.full_name = _text(ret, "RefNumber") or entry.qb_id
    entry.record_kind = RecordKind.BILL
    vendor_id = _text(ret, "VendorRef/ListID")
    if vendor_id:
        entry.data["vendor"] = f"qb-{vendor_id}"
        entry.refs["vendor"] = ((RecordKind.VENDOR,), vendor_id)
    entry.data.update(
        _drop_empty(
            {
                "number": _text(ret, "RefNumber"),
                "date": _text(ret, "TxnDate"),
                "due_date": _text(ret, "DueDate"),
                "memo": _text(ret, "Memo"),
            }
        )
    )
    expense_lines: list[dict[str, Any]] = []
    for index, line in enumerate(ret.findall("ExpenseLineRet")):
        expense_lines.append(
            _drop_empty(
                {
                    "id": _text(line, "TxnLineID"),
                    "account": _text(line, "AccountRef/FullName"),
                    "amount": _text(line, "Amount"),
                    "memo": _text(line, "Memo"),
                }
            )
        )
        _billable(entry, line, f"expense_lines.{index}", expense_lines[-1])
    item_lines: list[dict[str, Any]] = []
    for index, line in enumerate(ret.iter("ItemLineRet")):
        item_id = _text(line, "ItemRef/ListID")
        item_lines.append(
            _drop_empty(
                {
                    "id": _text(line, "TxnLineID"),
                    "item": f"qb-{item_id}" if item_id else None,
                    "description": _text(line, "Desc"),
                    "quantity": _text(line, "Quantity"),
                    "cost": _text(line, "Cost"),
                    "amount": _text(line, "Amount"),
                }
            )
        )
        if item_id:
            entry.refs[f"item_lines.{index}.item"] = ((RecordKind.ITEM,), item_id)
        _billable(entry, line, f"item_lines.{index}", item_lines[-1])
    entry.data["expense_lines"] = expense_lines
    entry.data["item_lines"] = item_lines
    entry.qb_data.update(
        _drop_empty(
            {
                "vendor_full_name": _text(ret, "VendorRef/FullName"),
                "amount_due": _text(ret, "AmountDue"),
                "open_amount": _text(ret, "OpenAmount"),
                "is_paid": _flag(ret, "IsPaid"),
            }
        )
    )
    return entry


def _billable(entry: Entry, line: etree._Element, path: str, mapped: dict[str, Any]) -> None:
    """Keep the customer (or job) a bill line is billable to; the store turns it into our customer and job."""
    customer_id = _text(line, "CustomerRef/ListID")
    if customer_id:
        mapped["customer"] = f"qb-{customer_id}"
        entry.refs[f"{path}.customer"] = (CUSTOMERS, customer_id)


# --- deletions --------------------------------------------------------------------------------------------

# QuickBooks' ListDelType / TxnDelType of each kind of record we keep.
LIST_DEL_TYPES: dict[str, RecordKind] = {
    "Customer": RecordKind.CUSTOMER,  # a job is a Customer in QuickBooks
    "Vendor": RecordKind.VENDOR,
    "ItemService": RecordKind.ITEM,
    "ItemNonInventory": RecordKind.ITEM,
    "ItemOtherCharge": RecordKind.ITEM,
}
TXN_DEL_TYPES: dict[str, RecordKind] = {
    "Invoice": RecordKind.INVOICE,
    "ReceivePayment": RecordKind.PAYMENT,
    "Bill": RecordKind.BILL,
}


def deleted(ret: etree._Element) -> Entry:
    """Map a ListDeletedRet or TxnDeletedRet: what was deleted, and when (kept where an entry keeps TimeModified)."""
    is_txn = ret.tag == "TxnDeletedRet"
    entry = _base(ret, "TxnID" if is_txn else "ListID")
    del_type = _text(ret, "TxnDelType" if is_txn else "ListDelType") or ""
    entry.time_modified = _text(ret, "TimeDeleted")
    entry.name = entry.full_name = _text(ret, "RefNumber" if is_txn else "FullName") or entry.qb_id
    entry.qb_data = {"del_type": del_type, "time_deleted": entry.time_modified}
    return entry


_BY_KIND = {
    "accounts": account,
    "terms": terms,
    "classes": qb_class,
    "payment_methods": payment_method,
    "sales_tax_codes": sales_tax_code,
    "items": item,
    "customers": customer,
    "vendors": vendor,
    "invoices": invoice,
    "payments": payment,
    "bills": bill,
    "deleted_lists": deleted,
    "deleted_transactions": deleted,
}


def map_ret(kind: str, ret: etree._Element) -> Entry:
    """Map one returned object of an import of ``kind``; raise ValueError when it cannot be identified."""
    return _BY_KIND[kind](ret)
