"""InvoiceAdd and InvoiceMod: lines with TxnLineIDs, sales tax, totals and balances."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lxml import etree

from . import refs
from .answer import Answer
from .rets import ORDER
from .txncommon import (
    check_lines_exist,
    default_account,
    due_date,
    header_fields,
    keep_ret_fields,
    line_amounts,
    refresh_customer_balance,
    txn_for_mod,
)
from .xmltools import fmt_money, fmt_number, money, to_value

if TYPE_CHECKING:
    from .company import CompanyStore

LINE_TAGS = {
    "InvoiceLineAdd",
    "InvoiceLineGroupAdd",
    "InvoiceLineMod",
    "InvoiceLineGroupMod",
    "DiscountLineAdd",
    "SalesTaxLineAdd",
    "ShippingLineAdd",
    "SetCredit",
    "LinkToTxnID",
}
LINE_KEYS = set(ORDER["InvoiceLineRet"])
# Skipped in Add/Mod answers: QuickBooks lists linked transactions only when a query asks for them.
ANSWER_SKIP = frozenset({"LinkedTxn"})


def add_invoice(company: CompanyStore, rq: etree._Element) -> Answer:
    """Create an invoice the way QuickBooks does, computing totals from lines and the tax item."""
    add = rq.find("InvoiceAdd")
    fields = header_fields(add, LINE_TAGS)
    fields["CustomerRef"] = refs.resolve(company, "CustomerRef", fields.get("CustomerRef"), "Invoice")
    refs.resolve_all(company, fields, "Invoice")
    customer = refs.record_of(company, fields["CustomerRef"])
    lines = [_line(company, {}, to_value(elem)) for elem in add.findall("InvoiceLineAdd")]
    fields.setdefault("ARAccountRef", default_account(company, "DefaultARAccount"))
    fields.setdefault("TxnDate", company.today())
    fields.setdefault("RefNumber", _next_ref_number(company))
    for address in ("BillAddress", "ShipAddress"):
        if address not in fields and address in customer:
            fields[address] = customer[address]
    fields.setdefault("IsPending", "false")
    fields.setdefault("IsFinanceCharge", "false")
    if "TermsRef" not in fields and "TermsRef" in customer:
        fields["TermsRef"] = customer["TermsRef"]
    fields.setdefault("DueDate", due_date(company, fields["TxnDate"], fields.get("TermsRef"), 0))
    if "ItemSalesTaxRef" not in fields and "ItemSalesTaxRef" in customer:
        fields["ItemSalesTaxRef"] = customer["ItemSalesTaxRef"]
    if "CustomerSalesTaxCodeRef" not in fields and "SalesTaxCodeRef" in customer:
        fields["CustomerSalesTaxCodeRef"] = customer["SalesTaxCodeRef"]
    fields.setdefault("IsToBePrinted", "false")
    fields.setdefault("IsToBeEmailed", "false")
    stored = keep_ret_fields("InvoiceRet", {k: v for k, v in fields.items() if v is not None})
    record = company.insert_txn("Invoice", {**stored, "InvoiceLineRet": lines, "_applied": {}})
    recompute_invoice(company, record)
    return Answer(rets=[("InvoiceRet", record)], skip=ANSWER_SKIP, change=("add", "Invoice"))


def mod_invoice(company: CompanyStore, rq: etree._Element) -> Answer:
    """Change an invoice: TxnLineID -1 adds a line, a known one changes it, lines left out are deleted."""
    mod = rq.find("InvoiceMod")
    fields = header_fields(mod, LINE_TAGS)
    record = txn_for_mod(company, "Invoice", fields)
    old_customer = record["CustomerRef"]["ListID"]
    refs.resolve_all(company, fields, "Invoice")
    line_mods = [to_value(elem) for elem in mod.findall("InvoiceLineMod")]
    if line_mods:
        existing = {line["TxnLineID"]: line for line in record["InvoiceLineRet"]}
        check_lines_exist("Invoice", existing, line_mods)
        record["InvoiceLineRet"] = [
            _line(company, dict(existing.get(data["TxnLineID"], {})), data) for data in line_mods
        ]
    record.update(keep_ret_fields("InvoiceRet", fields))
    company.touch(record)
    recompute_invoice(company, record)
    if old_customer != record["CustomerRef"]["ListID"]:
        refresh_customer_balance(company, old_customer)
    return Answer(rets=[("InvoiceRet", record)], skip=ANSWER_SKIP, change=("mod", "Invoice"))


def _line(company: CompanyStore, line: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Build or change one invoice line from an InvoiceLineAdd/InvoiceLineMod."""
    data = dict(data)
    line_id = data.pop("TxnLineID", "-1")
    if not line.get("TxnLineID") or line_id == "-1":
        line = {"TxnLineID": company.new_line_id()}
    refs.resolve_all(company, data, "Invoice line")
    item = refs.record_of(company, data["ItemRef"]) if "ItemRef" in data else None
    if item is None and line.get("ItemRef"):
        item = refs.record_of(company, line["ItemRef"])
    if "ItemRef" in data:
        line["ItemRef"] = data["ItemRef"]
    for key in ("Desc", "ClassRef", "ServiceDate", "SalesTaxCodeRef", "Other1", "Other2", "UnitOfMeasure"):
        if key in data:
            line[key] = data[key]
    if item is not None:
        sales = item.get("SalesOrPurchase") or {}
        both = item.get("SalesAndPurchase") or {}
        line.setdefault("Desc", sales.get("Desc") or both.get("SalesDesc") or item.get("SalesDesc"))
        if "SalesTaxCodeRef" not in line and item.get("SalesTaxCodeRef"):
            line["SalesTaxCodeRef"] = item["SalesTaxCodeRef"]
        default_rate = sales.get("Price") or both.get("SalesPrice") or item.get("SalesPrice")
    else:
        default_rate = None
    if line.get("Desc") is None:
        line.pop("Desc", None)
    line_amounts(line, data, default_rate, "Rate")
    return {key: line[key] for key in ORDER["InvoiceLineRet"] if key in line}


def tax_rate(company: CompanyStore, ref: dict[str, str] | None) -> Decimal:
    """Return the percentage of a sales tax item or the sum of a tax group's items."""
    if not ref or ref["ListID"] not in company.by_list_id:
        return Decimal(0)
    kind, item = company.by_list_id[ref["ListID"]]
    if kind == "ItemSalesTaxGroup":
        members = item.get("ItemSalesTaxRef") or []
        members = members if isinstance(members, list) else [members]
        return sum((tax_rate(company, member) for member in members), Decimal(0))
    return Decimal(item.get("TaxRate", "0") or 0)


def sales_tax(company: CompanyStore, ref: dict[str, str] | None, taxable: Decimal) -> Decimal:
    """Return the sales tax on a taxable amount as QuickBooks computes it.

    A sales tax item's rate is applied to the sum of the taxable lines and rounded to the cent (half up). A sales
    tax group computes each of its taxes that way and adds them up, so its total can differ by a cent or two from
    its combined rate applied once.
    """
    if not ref or ref["ListID"] not in company.by_list_id:
        return Decimal("0.00")
    kind, item = company.by_list_id[ref["ListID"]]
    if kind == "ItemSalesTaxGroup":
        members = item.get("ItemSalesTaxRef") or []
        members = members if isinstance(members, list) else [members]
        return sum((sales_tax(company, member, taxable) for member in members), Decimal("0.00"))
    return money(taxable * tax_rate(company, ref) / 100)


def _is_taxable(company: CompanyStore, code_ref: dict[str, str] | None) -> bool:
    """Return whether a sales tax code is a taxable one."""
    if not code_ref or code_ref["ListID"] not in company.by_list_id:
        return False
    return company.by_list_id[code_ref["ListID"]][1].get("IsTaxable") == "true"


def recompute_invoice(company: CompanyStore, record: dict[str, Any]) -> None:
    """Recompute Subtotal, sales tax, applied amount, balance and paid state, then the customer's balance."""
    lines = record.get("InvoiceLineRet", [])
    subtotal = sum((money(line.get("Amount")) for line in lines), Decimal(0))
    customer_code = record.get("CustomerSalesTaxCodeRef")
    customer_taxable = customer_code is None or _is_taxable(company, customer_code)
    taxable = sum(
        (money(line.get("Amount")) for line in lines if _is_taxable(company, line.get("SalesTaxCodeRef"))),
        Decimal(0),
    )
    rate = tax_rate(company, record.get("ItemSalesTaxRef"))
    tax = sales_tax(company, record.get("ItemSalesTaxRef"), taxable) if customer_taxable else Decimal("0.00")
    applied = sum((money(amount) for amount in record.get("_applied", {}).values()), Decimal(0))
    balance = subtotal + tax - applied
    record["Subtotal"] = fmt_money(subtotal)
    if record.get("ItemSalesTaxRef"):
        record["SalesTaxPercentage"] = fmt_number(rate) if rate else "0.00"
    record["SalesTaxTotal"] = fmt_money(tax)
    record["AppliedAmount"] = fmt_money(-applied) if applied else "0.00"
    record["BalanceRemaining"] = fmt_money(balance)
    record["IsPaid"] = "true" if balance <= 0 else "false"
    record["LinkedTxn"] = [dict(link) for link in record.get("_links", {}).values()]
    if not record["LinkedTxn"]:
        del record["LinkedTxn"]
    refresh_customer_balance(company, record["CustomerRef"]["ListID"])


def _next_ref_number(company: CompanyStore) -> str:
    """Return the number QuickBooks would print on the next invoice: one past the highest numeric one."""
    numbers = [
        int(invoice["RefNumber"])
        for invoice in company.state.txns["Invoice"].values()
        if str(invoice.get("RefNumber", "")).isdigit()
    ]
    return str(max(numbers, default=0) + 1)


def invoice_for_payment(company: CompanyStore, txn_id: str) -> dict[str, Any] | None:
    """Return the invoice with `txn_id`, or None."""
    found = company.by_txn_id.get(txn_id)
    return found[1] if found and found[0] == "Invoice" else None
