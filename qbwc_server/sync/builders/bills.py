"""Vendor bills: BillAdd/BillMod with expense lines (by account) and item lines, optionally billable to a job."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

from qbwc_server.qbxml import limits, values
from qbwc_server.qbxml.parse import text_of
from qbwc_server.qbxml.render import render
from qbwc_server.sync.builders.drafting import Draft, blank
from qbwc_server.sync.builders.invoices import line_amount, line_key, same_entity, same_text
from qbwc_server.sync.builders.lists import txn_query
from qbwc_server.sync.builders.types import Built, RequestInput

EXPENSE, ITEM = "e:", "i:"


def _billable_to(d: Draft, line: dict[str, Any], where: str) -> dict[str, Any] | None:
    if not blank(line.get("job")):
        return d.record_ref("job", line["job"], f"{where}.job")
    if not blank(line.get("customer")):
        return d.record_ref("customer", line["customer"], f"{where}.customer")
    return None


def _expense_lines(d: Draft, known: Any) -> list[dict[str, Any]]:
    lines = []
    for index, line in enumerate(d.data.get("expense_lines") or []):
        where, label = f"expense_lines.{index}", f"Expense line {index + 1}"
        account = line.get("account")
        if blank(account):
            account = d.setting("expense_account_default")
        lines.append(
            {
                "txn_line_id": known.get(EXPENSE + line_key(line, index), "-1"),
                "account": d.named_ref(account, limits.ACCOUNT_FULL_NAME, f"{label} account", f"{where}.account"),
                "amount": d.money(line.get("amount"), f"{where}.amount", f"{label} amount"),
                "memo": d.text(line.get("memo"), limits.MEMO, f"{label} memo"),
                "customer": _billable_to(d, line, where),
            }
        )
    return lines


def _item_lines(d: Draft, known: Any) -> list[dict[str, Any]]:
    lines = []
    for index, line in enumerate(d.data.get("item_lines") or []):
        where, label = f"item_lines.{index}", f"Item line {index + 1}"
        lines.append(
            {
                "txn_line_id": known.get(ITEM + line_key(line, index), "-1"),
                "item": None if blank(line.get("item")) else d.record_ref("item", line["item"], f"{where}.item"),
                "description": d.text(line.get("description"), limits.DESC, f"{label} description"),
                "quantity": d.price(line.get("quantity"), f"{where}.quantity", f"{label} quantity"),
                "cost": d.price(line.get("cost"), f"{where}.cost", f"{label} cost"),
                "amount": d.money(line.get("amount"), f"{where}.amount", f"{label} amount"),
                "customer": _billable_to(d, line, where),
            }
        )
    return lines


def _number(d: Draft) -> str | None:
    return d.exact(d.data.get("number"), limits.BILL_REF_NUMBER, "The bill number", "number")


def build(inp: RequestInput, request_id: str) -> Built:
    """Return BillAdd or BillMod; a Mod keeps known lines by TxnLineID and clears a kind of line that is gone."""
    d = Draft(inp)
    data = inp.data
    known = inp.qb.line_ids if inp.qb is not None else {}
    expense_lines = _expense_lines(d, known)
    item_lines = _item_lines(d, known)
    r = {
        "vendor": d.record_ref("vendor", data.get("vendor"), "vendor"),
        "ap_account": d.named_ref(
            d.setting("ap_account"), limits.ACCOUNT_FULL_NAME, "Accounts payable setting", "ap_account"
        ),
        "txn_date": d.date(data.get("date"), "date", "Bill date"),
        "due_date": d.date(data.get("due_date"), "due_date", "Due date"),
        "ref_number": _number(d),
        "memo": d.text(data.get("memo"), limits.MEMO, "Memo"),
        "expense_lines": expense_lines,
        "item_lines": item_lines,
        "clear_expense_lines": not expense_lines and any(k.startswith(EXPENSE) for k in known),
        "clear_item_lines": not item_lines and any(k.startswith(ITEM) for k in known),
    }
    qb = inp.qb
    if qb is None:
        return Built(render("bill_add.xml.j2", request_id=request_id, r=r), "BillAddRq", d.warnings)
    xml = render("bill_mod.xml.j2", request_id=request_id, r=r, qb_id=qb.id, edit_sequence=qb.edit_sequence)
    return Built(xml, "BillModRq", d.warnings)


def amount_due(inp: RequestInput) -> Decimal:
    """Return the bill's total as QuickBooks will compute it from its lines."""
    total = Decimal("0.00")
    for line in inp.data.get("expense_lines") or []:
        total += line_amount(None, None, _dec(line.get("amount")) or Decimal(0))
    for line in inp.data.get("item_lines") or []:
        total += line_amount(_dec(line.get("quantity")), _dec(line.get("cost")), _dec(line.get("amount")))
    return total


def _dec(value: Any) -> Decimal | None:
    return None if blank(value) else values.to_decimal(value)


def _entity(inp: RequestInput) -> dict[str, Any] | None:
    ref = inp.refs.get(("vendor", str(inp.data.get("vendor"))))
    return None if ref is None else {"list_id": ref.id, "full_name": ref.full_name}


def build_lookup(inp: RequestInput, request_id: str) -> Built:
    """Return a BillQuery by vendor and bill number (or by date when the bill has no number), with lines."""
    d = Draft(inp)
    number = _number(d)
    date = None if number else d.date(inp.data.get("date"), "date", "Bill date")
    xml = txn_query(
        "BillQueryRq",
        request_id,
        entity=_entity(inp),
        ref_number=number,
        from_date=date,
        to_date=date,
        include_line_items=True,
    )
    return Built(xml, "BillQueryRq", [])


def matches(inp: RequestInput, ret: etree._Element) -> bool:
    """Tell whether a returned bill is ours: same number, date, vendor and amount."""
    d = Draft(inp)
    date = d.date(inp.data.get("date"), "date", "Bill date")
    theirs_amount = text_of(ret, "AmountDue")
    return (
        same_text(_number(d), text_of(ret, "RefNumber"))
        and (date is None or date == text_of(ret, "TxnDate"))
        and same_entity(inp, ret, "VendorRef", _entity(inp))
        and (theirs_amount is None or values.to_decimal(theirs_amount) == amount_due(inp))
    )


def line_ids(inp: RequestInput, ret: etree._Element) -> dict[str, str]:
    """Map "e:key"/"i:key" of our expense and item lines, in order, to QuickBooks' TxnLineIDs."""
    result: dict[str, str] = {}
    for prefix, field, tag in ((EXPENSE, "expense_lines", "ExpenseLineRet"), (ITEM, "item_lines", "ItemLineRet")):
        keys = [prefix + line_key(line, i) for i, line in enumerate(inp.data.get(field) or [])]
        ids = [text_of(line, "TxnLineID") or "" for line in ret.findall(tag)]
        result.update(zip(keys, ids, strict=False))
    return result


def total_warnings(inp: RequestInput, ret: etree._Element) -> list[str]:
    """Warn when QuickBooks' amount due differs from the sum of the bill's lines in the app."""
    theirs = text_of(ret, "AmountDue")
    if theirs is None:
        return []
    ours = amount_due(inp)
    if values.to_decimal(theirs) == ours:
        return []
    return [
        f"QuickBooks shows {values.money(theirs)} due on this bill, but its lines in the app add up to "
        f"{values.money(ours)}."
    ]
