"""Turn one QuickBooks ``…Ret`` element into our record data (the REST API's field shapes) or a list entry.

Lists and deletions are mapped here, transactions in `txn_mapping`; `Entry` and the shared readers are in `entry`.
Mapping is pure: references to other QuickBooks objects are left as ``refs`` (path → kinds and QuickBooks id) and
sales tax codes as ``tax_codes`` (path → code name), for the store to resolve against what it holds.
"""

from __future__ import annotations

from lxml import etree

from qbwc_server.imports.entry import Entry, address_of, base_entry, drop_empty, flag_at, snake, text_at
from qbwc_server.imports.txn_mapping import bill, invoice, payment
from qbwc_server.models import RecordKind

__all__ = ["Entry", "map_ret", "deleted", "LIST_DEL_TYPES", "TXN_DEL_TYPES"]

# Item Ret elements that become item records; every item type is also kept as a reference list entry.
ITEM_RECORD_TYPES = {"service", "non_inventory", "other_charge"}
# Item types the server never adds: imported as link-only item records that keep QuickBooks' type.
LINK_ONLY_RECORD_TYPES = {"inventory", "inventory_assembly", "discount", "group", "payment"}
SALES_TAX_ITEM_TYPES = {"sales_tax", "sales_tax_group"}


# --- customers, jobs, vendors ----------------------------------------------------------------------------


def customer(ret: etree._Element) -> Entry:
    """Map a CustomerRet: Sublevel 0 is a customer, 1 a job of its parent; deeper levels are listed only."""
    entry = base_entry(ret)
    if entry.sublevel == 0:
        entry.record_kind = RecordKind.CUSTOMER
        entry.lists = [("customer", None)]
        entry.data = drop_empty(
            {
                "name": entry.name,
                "company_name": text_at(ret, "CompanyName"),
                "first_name": text_at(ret, "FirstName"),
                "last_name": text_at(ret, "LastName"),
                "email": text_at(ret, "Email"),
                "phone": text_at(ret, "Phone"),
                "billing_address": address_of(ret.find("BillAddress")),
                "service_address": address_of(ret.find("ShipAddress")),
                "active": entry.active,
                "notes": text_at(ret, "Notes"),
            }
        )
    else:
        entry.lists = [("job", None)]
        if entry.sublevel == 1 and entry.parent_id:
            entry.record_kind = RecordKind.JOB
            entry.data = drop_empty(
                {
                    "customer": f"qb-{entry.parent_id}",
                    "name": entry.name,
                    "description": text_at(ret, "JobDesc"),
                    "address": address_of(ret.find("ShipAddress")) or address_of(ret.find("BillAddress")),
                    "active": entry.active,
                }
            )
            entry.refs["customer"] = ((RecordKind.CUSTOMER,), entry.parent_id)
    balance = text_at(ret, "TotalBalance") or text_at(ret, "Balance")
    entry.qb_data = drop_empty({"balance": balance, "job_status": text_at(ret, "JobStatus")})
    return entry


def vendor(ret: etree._Element) -> Entry:
    """Map a VendorRet to vendor record data."""
    entry = base_entry(ret)
    entry.record_kind = RecordKind.VENDOR
    entry.lists = [("vendor", None)]
    entry.data = drop_empty(
        {
            "name": entry.name,
            "company_name": text_at(ret, "CompanyName"),
            "first_name": text_at(ret, "FirstName"),
            "last_name": text_at(ret, "LastName"),
            "email": text_at(ret, "Email"),
            "phone": text_at(ret, "Phone"),
            "address": address_of(ret.find("VendorAddress")),
            "is_1099": flag_at(ret, "IsVendorEligibleFor1099"),
            "active": entry.active,
        }
    )
    entry.qb_data = drop_empty({"balance": text_at(ret, "Balance")})
    return entry


# --- items ------------------------------------------------------------------------------------------------


def item(ret: etree._Element) -> Entry:
    """Map any item Ret; service, non-inventory and other-charge items also become item records."""
    entry = base_entry(ret)
    item_type = snake(entry.ret_type)
    entry.lists = [("item", item_type)]
    if item_type in SALES_TAX_ITEM_TYPES:
        entry.lists.append(("sales_tax_item", item_type))
    sales = ret.find("SalesOrPurchase")
    both = ret.find("SalesAndPurchase")
    description = (
        text_at(sales, "Desc") or text_at(both, "SalesDesc") or text_at(ret, "SalesDesc") or text_at(ret, "ItemDesc")
    )
    percent = text_at(sales, "PricePercent")  # a percentage of the lines above, not an amount
    price = (
        text_at(sales, "Price") or text_at(both, "SalesPrice") or text_at(ret, "SalesPrice") or text_at(ret, "TaxRate")
    )
    income = text_at(sales, "AccountRef/FullName") or text_at(both, "IncomeAccountRef/FullName")
    income = income or text_at(ret, "IncomeAccountRef/FullName")
    cost = text_at(both, "PurchaseCost") or text_at(ret, "PurchaseCost")
    entry.list_data = drop_empty(
        {
            "description": description,
            "price": price,
            "price_percent": percent,
            "income_account": income,
            "tax_rate": text_at(ret, "TaxRate"),
        }
    )
    if item_type in ITEM_RECORD_TYPES | LINK_ONLY_RECORD_TYPES:
        entry.record_kind = RecordKind.ITEM
        entry.data = drop_empty(
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
        code = text_at(ret, "SalesTaxCodeRef/FullName")
        if code:
            entry.tax_codes["taxable"] = code
    return entry


# --- reference lists --------------------------------------------------------------------------------------


def account(ret: etree._Element) -> Entry:
    """Map an AccountRet to a list entry whose subtype is the account type."""
    entry = base_entry(ret)
    entry.lists = [("account", text_at(ret, "AccountType"))]
    entry.list_data = drop_empty(
        {
            "number": text_at(ret, "AccountNumber"),
            "description": text_at(ret, "Desc"),
            "special_type": text_at(ret, "SpecialAccountType"),
        }
    )
    return entry


def terms(ret: etree._Element) -> Entry:
    """Map StandardTermsRet / DateDrivenTermsRet."""
    entry = base_entry(ret)
    standard = entry.ret_type == "StandardTermsRet"
    entry.lists = [("terms", "standard" if standard else "date_driven")]
    entry.list_data = drop_empty(
        {
            "due_days": text_at(ret, "StdDueDays") or text_at(ret, "DayOfMonthDue"),
            "discount_days": text_at(ret, "StdDiscountDays") or text_at(ret, "DiscountDayOfMonth"),
            "discount_pct": text_at(ret, "DiscountPct"),
        }
    )
    return entry


def qb_class(ret: etree._Element) -> Entry:
    """Map a ClassRet."""
    entry = base_entry(ret)
    entry.lists = [("class", None)]
    return entry


def payment_method(ret: etree._Element) -> Entry:
    """Map a PaymentMethodRet; the subtype is QuickBooks' payment method type (Cash, Check, Visa …)."""
    entry = base_entry(ret)
    entry.lists = [("payment_method", text_at(ret, "PaymentMethodType"))]
    return entry


def sales_tax_code(ret: etree._Element) -> Entry:
    """Map a SalesTaxCodeRet; whether the code taxes is kept for mapping line and item taxability."""
    entry = base_entry(ret)
    entry.lists = [("sales_tax_code", None)]
    entry.list_data = drop_empty({"taxable": flag_at(ret, "IsTaxable"), "description": text_at(ret, "Desc")})
    return entry


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
    entry = base_entry(ret, "TxnID" if is_txn else "ListID")
    del_type = text_at(ret, "TxnDelType" if is_txn else "ListDelType") or ""
    entry.time_modified = text_at(ret, "TimeDeleted")
    entry.name = entry.full_name = text_at(ret, "RefNumber" if is_txn else "FullName") or entry.qb_id
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
