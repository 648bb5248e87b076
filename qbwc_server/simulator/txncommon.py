"""Helpers shared by the transaction handlers: lookups, dates, line arithmetic and balances."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lxml import etree

from . import refs
from .errors import RequestError
from .lists import object_not_found, stale_edit_sequence
from .rets import ORDER
from .xmltools import fmt_money, money, to_value

if TYPE_CHECKING:
    from .company import CompanyStore

TXN_CORE_KEYS = {"TxnID", "TimeCreated", "TimeModified", "EditSequence", "TxnNumber"}


def header_fields(elem: etree._Element, line_tags: set[str]) -> dict[str, Any]:
    """Return an Add/Mod aggregate's header elements (lines excluded) as plain data."""
    fields: dict[str, Any] = {}
    for child in elem:
        if isinstance(child.tag, str) and child.tag not in line_tags:
            fields[child.tag] = to_value(child)
    return fields


def keep_ret_fields(ret_tag: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Return only the fields that appear in the Ret (QuickBooks drops request-only elements)."""
    keep = set(ORDER[ret_tag]) - TXN_CORE_KEYS
    return {key: value for key, value in fields.items() if key in keep}


def txn_for_mod(company: CompanyStore, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Return the transaction a Mod names after checking its TxnID and EditSequence (3120 / 3200)."""
    txn_id = fields.pop("TxnID", "")
    found = company.by_txn_id.get(txn_id)
    if found is None or found[0] != kind:
        raise object_not_found(txn_id)
    given = fields.pop("EditSequence", "")
    if given != found[1]["EditSequence"]:
        raise stale_edit_sequence(given)
    return found[1]


def default_account(company: CompanyStore, pref: str) -> dict[str, str] | None:
    """Return a reference to the company's default account for `pref` (AR, AP, Undeposited Funds)."""
    list_id = company.state.preferences.get(pref)
    return {"ListID": list_id} if list_id else None


def add_days(day: str, days: int) -> str:
    """Return the ISO date `days` after `day`."""
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def due_date(company: CompanyStore, txn_date: str, terms_ref: dict[str, str] | None, fallback_days: int) -> str:
    """Return the due date from standard terms (StdDueDays), else `fallback_days` after the date."""
    if terms_ref:
        terms = refs.record_of(company, terms_ref)
        return add_days(txn_date, int(terms.get("StdDueDays", "0") or 0))
    return add_days(txn_date, fallback_days)


def line_amounts(line: dict[str, Any], changed: dict[str, Any], default_rate: str | None, rate_key: str) -> None:
    """Set Quantity/rate/Amount on a line as QuickBooks computes them from what the request gave."""
    quantity = changed.get("Quantity", line.get("Quantity"))
    rate = changed.get(rate_key, line.get(rate_key))
    if rate is None and "Amount" not in changed and "Amount" not in line and default_rate is not None:
        rate = default_rate
    if "Amount" in changed:
        amount = money(changed["Amount"])
        if rate is None and quantity not in (None, "") and Decimal(quantity) != 0:
            rate = str((amount / Decimal(quantity)).quantize(Decimal("0.00001")).normalize())
    elif rate is not None and ({rate_key, "Quantity"} & set(changed) or "Amount" not in line):
        amount = money(Decimal(rate) * (Decimal(quantity) if quantity not in (None, "") else Decimal(1)))
    else:
        amount = money(line.get("Amount"))
    if quantity is not None:
        line["Quantity"] = quantity
    if rate is not None:
        line[rate_key] = rate
    line["Amount"] = fmt_money(amount)


def check_lines_exist(kind: str, lines: dict[str, dict[str, Any]], mods: list[dict[str, Any]]) -> None:
    """Raise 3120 when a line Mod names a TxnLineID the transaction does not have."""
    for mod in mods:
        line_id = mod.get("TxnLineID", "")
        if line_id != "-1" and line_id not in lines:
            raise object_not_found(line_id)


def refresh_customer_balance(company: CompanyStore, customer_id: str) -> None:
    """Recompute a customer's Balance and TotalBalance (and its parents') from invoices and payments."""
    customers = company.state.lists["Customer"]
    family: list[str] = []
    current: str | None = customer_id
    while current:
        family.append(current)
        current = customers[current].get("ParentRef", {}).get("ListID")
    # Only the customer and its parents are recomputed: only their open amounts are added up.
    own = dict.fromkeys(family, Decimal(0))
    for invoice in company.state.txns["Invoice"].values():
        key = invoice["CustomerRef"]["ListID"]
        if key in own:
            own[key] += money(invoice.get("BalanceRemaining"))
    for payment in company.state.txns["ReceivePayment"].values():
        key = payment["CustomerRef"]["ListID"]
        if key in own:
            own[key] -= money(payment.get("UnusedPayment"))
    for credit in company.state.txns.get("CreditMemo", {}).values():
        key = credit["CustomerRef"]["ListID"]
        if key in own:
            own[key] -= money(credit.get("CreditRemaining"))
    for current in family:
        record = customers[current]
        record["Balance"] = fmt_money(own[current])
        total = own[current]
        for child in customers.values():
            if child.get("ParentRef", {}).get("ListID") == current:
                total += money(child.get("TotalBalance"))
        record["TotalBalance"] = fmt_money(total)


def refresh_vendor_balance(company: CompanyStore, vendor_id: str) -> None:
    """Recompute a vendor's Balance from its open bills."""
    total = sum(
        (
            money(bill.get("OpenAmount"))
            for bill in company.state.txns["Bill"].values()
            if bill["VendorRef"]["ListID"] == vendor_id
        ),
        Decimal(0),
    )
    company.state.lists["Vendor"][vendor_id]["Balance"] = fmt_money(total)


def require(condition: bool, code: int, message: str) -> None:
    """Raise a RequestError unless `condition` holds."""
    if not condition:
        raise RequestError(code, message)
