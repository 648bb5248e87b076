"""BillAdd and BillMod: vendor bills with expense lines (accounts) and item lines."""

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
    refresh_vendor_balance,
    txn_for_mod,
)
from .xmltools import fmt_money, money, to_value

if TYPE_CHECKING:
    from .company import CompanyStore

LINE_TAGS = {
    "ExpenseLineAdd",
    "ItemLineAdd",
    "ItemGroupLineAdd",
    "ExpenseLineMod",
    "ItemLineMod",
    "ItemGroupLineMod",
    "ClearExpenseLines",
    "ClearItemLines",
    "LinkToTxnID",
}
ANSWER_SKIP = frozenset({"LinkedTxn"})
DEFAULT_DAYS_BILLS_ARE_DUE = 10


def add_bill(company: CompanyStore, rq: etree._Element) -> Answer:
    """Create a bill; its AmountDue is the sum of its lines."""
    add = rq.find("BillAdd")
    fields = header_fields(add, LINE_TAGS)
    fields["VendorRef"] = refs.resolve(company, "VendorRef", fields.get("VendorRef"), "Bill")
    refs.resolve_all(company, fields, "Bill")
    vendor = refs.record_of(company, fields["VendorRef"])
    expense = [_expense_line(company, {}, to_value(elem)) for elem in add.findall("ExpenseLineAdd")]
    items = [_item_line(company, {}, to_value(elem)) for elem in add.findall("ItemLineAdd")]
    fields.setdefault("APAccountRef", default_account(company, "DefaultAPAccount"))
    fields.setdefault("TxnDate", company.today())
    if "TermsRef" not in fields and "TermsRef" in vendor:
        fields["TermsRef"] = vendor["TermsRef"]
    days = int(company.state.preferences.get("DaysBillsAreDue", DEFAULT_DAYS_BILLS_ARE_DUE))
    fields.setdefault("DueDate", due_date(company, fields["TxnDate"], fields.get("TermsRef"), days))
    if "VendorAddress" not in fields and "VendorAddress" in vendor:
        fields["VendorAddress"] = vendor["VendorAddress"]
    stored = keep_ret_fields("BillRet", {k: v for k, v in fields.items() if v is not None})
    record = company.insert_txn("Bill", stored)
    _set_lines(record, "ExpenseLineRet", expense)
    _set_lines(record, "ItemLineRet", items)
    _recompute(company, record)
    return Answer(rets=[("BillRet", record)], skip=ANSWER_SKIP, change=("add", "Bill"))


def mod_bill(company: CompanyStore, rq: etree._Element) -> Answer:
    """Change a bill; each line list given replaces the old one (TxnLineID -1 = new line)."""
    mod = rq.find("BillMod")
    fields = header_fields(mod, LINE_TAGS)
    record = txn_for_mod(company, "Bill", fields)
    old_vendor = record["VendorRef"]["ListID"]
    refs.resolve_all(company, fields, "Bill")
    for tag, ret, clear, build in (
        ("ExpenseLineMod", "ExpenseLineRet", "ClearExpenseLines", _expense_line),
        ("ItemLineMod", "ItemLineRet", "ClearItemLines", _item_line),
    ):
        mods = [to_value(elem) for elem in mod.findall(tag)]
        existing = {line["TxnLineID"]: line for line in record.get(ret, [])}
        if mod.findtext(clear) == "true":
            existing = {}
            _set_lines(record, ret, [])
        if mods:
            check_lines_exist("Bill", existing, mods)
            _set_lines(record, ret, [build(company, dict(existing.get(m["TxnLineID"], {})), m) for m in mods])
    record.update(keep_ret_fields("BillRet", fields))
    company.touch(record)
    _recompute(company, record)
    if old_vendor != record["VendorRef"]["ListID"]:
        refresh_vendor_balance(company, old_vendor)
    return Answer(rets=[("BillRet", record)], skip=ANSWER_SKIP, change=("mod", "Bill"))


def _set_lines(record: dict[str, Any], key: str, lines: list[dict[str, Any]]) -> None:
    """Store a line list, leaving the key out when there are none (as QuickBooks omits them)."""
    if lines:
        record[key] = lines
    else:
        record.pop(key, None)


def _new_or_same(company: CompanyStore, line: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return the line to change: a fresh one for TxnLineID -1 or an Add."""
    line_id = data.pop("TxnLineID", "-1")
    if not line.get("TxnLineID") or line_id == "-1":
        return {"TxnLineID": company.new_line_id()}
    return line


def _expense_line(company: CompanyStore, line: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Build or change an expense line (an account and an amount, optionally billable to a customer)."""
    data = dict(data)
    line = _new_or_same(company, line, data)
    refs.resolve_all(company, data, "Bill line")
    line.update({key: value for key, value in data.items() if key in ORDER["ExpenseLineRet"]})
    line["Amount"] = fmt_money(money(line.get("Amount")))
    if line.get("CustomerRef"):
        line.setdefault("BillableStatus", "Billable")
    return {key: line[key] for key in ORDER["ExpenseLineRet"] if key in line}


def _item_line(company: CompanyStore, line: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Build or change an item line; Cost defaults to the item's purchase cost."""
    data = dict(data)
    line = _new_or_same(company, line, data)
    refs.resolve_all(company, data, "Bill line")
    item_ref = data.get("ItemRef") or line.get("ItemRef")
    item = refs.record_of(company, item_ref) if item_ref else {}
    both = item.get("SalesAndPurchase") or {}
    default_cost = both.get("PurchaseCost") or item.get("PurchaseCost")
    for key in ("ItemRef", "Desc", "CustomerRef", "ClassRef", "BillableStatus", "SalesTaxCodeRef"):
        if key in data:
            line[key] = data[key]
    if "Desc" not in line and (both.get("PurchaseDesc") or item.get("PurchaseDesc")):
        line["Desc"] = both.get("PurchaseDesc") or item.get("PurchaseDesc")
    line_amounts(line, data, default_cost, "Cost")
    if line.get("CustomerRef"):
        line.setdefault("BillableStatus", "Billable")
    return {key: line[key] for key in ORDER["ItemLineRet"] if key in line}


def _recompute(company: CompanyStore, record: dict[str, Any]) -> None:
    """Recompute AmountDue / OpenAmount / IsPaid and the vendor's balance."""
    lines = record.get("ExpenseLineRet", []) + record.get("ItemLineRet", [])
    total = sum((money(line.get("Amount")) for line in lines), Decimal(0))
    record["AmountDue"] = fmt_money(total)
    record["OpenAmount"] = fmt_money(total)
    record["IsPaid"] = "true" if total <= 0 else "false"
    refresh_vendor_balance(company, record["VendorRef"]["ListID"])
