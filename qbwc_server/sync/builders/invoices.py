"""Invoices: InvoiceAdd/InvoiceMod with lines, sales tax item, terms and class."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lxml import etree

from qbwc_server.qbxml import limits, values
from qbwc_server.qbxml.parse import text_of
from qbwc_server.qbxml.render import render
from qbwc_server.sync.builders.drafting import Draft, blank
from qbwc_server.sync.builders.lists import txn_query
from qbwc_server.sync.builders.types import Built, ProblemKind, RecordProblem, RequestInput

CENT = Decimal("0.01")


def line_key(line: Mapping[str, Any], index: int) -> str:
    """Return a line's key: the host's line id when given, else its position ("0", "1", ...)."""
    return str(line["id"]) if not blank(line.get("id")) else str(index)


def line_amount(quantity: Decimal | None, rate: Decimal | None, amount: Decimal | None) -> Decimal:
    """Return what a line is worth: its amount, else quantity (default 1) times rate, rounded to cents."""
    if amount is not None:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if rate is not None:
        return ((quantity if quantity is not None else Decimal(1)) * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return Decimal("0.00")


def subtotal(inp: RequestInput) -> Decimal:
    """Return the sum of the invoice's lines as QuickBooks will compute it (before sales tax)."""
    total = Decimal("0.00")
    for line in inp.data.get("lines") or []:
        total += line_amount(*(_number(line.get(k)) for k in ("quantity", "rate", "amount")))
    return total


def _number(value: Any) -> Decimal | None:
    return None if blank(value) else values.to_decimal(value)


def customer_ref(d: Draft) -> dict[str, str | None]:
    """Return the CustomerRef: the job when the invoice names one, else the customer."""
    if not blank(d.data.get("job")):
        return d.record_ref("job", d.data["job"], "job")
    return d.record_ref("customer", d.data.get("customer"), "customer")


def _sales_tax_item(d: Draft) -> dict[str, str | None] | None:
    tax_rate = d.data.get("tax_rate")
    if blank(tax_rate):
        return None
    mapped = (d.setting("tax_mapping") or {}).get(str(tax_rate))
    if blank(mapped):
        raise RecordProblem(
            "tax_rate",
            f"Map the tax rate '{tax_rate}' to a QuickBooks sales tax item in the settings.",
            ProblemKind.TAX_MAPPING,
        )
    if isinstance(mapped, Mapping):
        if mapped.get("list_id"):
            return {"list_id": str(mapped["list_id"]), "full_name": None}
        mapped = mapped.get("item") or mapped.get("full_name") or mapped.get("name")
    return d.named_ref(mapped, limits.SALES_TAX_ITEM_NAME, "Sales tax item", "tax_rate")


def _lines(d: Draft) -> list[dict[str, Any]]:
    known = d.inp.qb.line_ids if d.inp.qb is not None else {}
    lines = []
    for index, line in enumerate(d.data.get("lines") or []):
        where, label = f"lines.{index}", f"Line {index + 1}"
        # Each figure is read and formatted once: the line carries the qbXML text (`elements.sales_lines`).
        quantity = d.figure(line.get("quantity"), f"{where}.quantity", f"{label} quantity", values.price)
        rate = d.figure(line.get("rate"), f"{where}.rate", f"{label} rate", values.price)
        amount = d.figure(line.get("amount"), f"{where}.amount", f"{label} amount", values.money)
        if (
            rate is not None
            and amount is not None
            and line_amount(None if quantity is None else quantity[0], rate[0], None)
            != line_amount(None, None, amount[0])
        ):
            # QuickBooks would recompute one from the other; keep the app's amount so the totals agree.
            rate = None
        elif rate is not None:
            amount = None
        lines.append(
            {
                "txn_line_id": known.get(line_key(line, index), "-1"),
                "item": None if blank(line.get("item")) else d.record_ref("item", line["item"], f"{where}.item"),
                "description": d.text(line.get("description"), limits.DESC, f"{label} description"),
                "quantity": None if quantity is None else quantity[1],
                "rate": None if rate is None else rate[1],
                "amount": None if amount is None else amount[1],
                "tax_code": d.tax_code(line.get("taxable")),
            }
        )
    return lines


def build(inp: RequestInput, request_id: str) -> Built:
    """Return InvoiceAdd, or InvoiceMod that keeps known lines by TxnLineID, adds new ones and drops removed ones."""
    d = Draft(inp)
    data = inp.data
    r = {
        "customer": customer_ref(d),
        "class_ref": d.named_ref(data.get("class"), limits.CLASS_FULL_NAME, "Class", "class"),
        "ar_account": d.named_ref(
            d.setting("ar_account"), limits.ACCOUNT_FULL_NAME, "Accounts receivable setting", "ar_account"
        ),
        "txn_date": d.date(data.get("date"), "date", "Invoice date"),
        "ref_number": d.exact(data.get("number"), limits.INVOICE_REF_NUMBER, "The invoice number", "number"),
        "po_number": d.exact(data.get("po_number"), limits.PO_NUMBER, "The PO number", "po_number"),
        "terms": d.named_ref(data.get("terms"), limits.TERMS_NAME, "Terms", "terms"),
        "due_date": d.date(data.get("due_date"), "due_date", "Due date"),
        "sales_tax_item": _sales_tax_item(d),
        "memo": d.text(data.get("memo"), limits.MEMO, "Memo"),
        "to_be_printed": bool(d.setting("to_be_printed")),
        "lines": _lines(d),
    }
    qb = inp.qb
    if qb is None:
        return Built(render("invoice_add.xml.j2", request_id=request_id, r=r), "InvoiceAddRq", d.warnings)
    xml = render("invoice_mod.xml.j2", request_id=request_id, r=r, qb_id=qb.id, edit_sequence=qb.edit_sequence)
    return Built(xml, "InvoiceModRq", d.warnings)


def _entity(inp: RequestInput) -> dict[str, str | None] | None:
    key = (
        ("job", str(inp.data["job"])) if not blank(inp.data.get("job")) else ("customer", str(inp.data.get("customer")))
    )
    ref = inp.refs.get(key)
    return None if ref is None else {"list_id": ref.id, "full_name": ref.full_name}


def build_lookup(inp: RequestInput, request_id: str) -> Built:
    """Return an InvoiceQuery by customer/job and number (or date when there is no number), with lines."""
    d = Draft(inp)
    number = d.exact(inp.data.get("number"), limits.INVOICE_REF_NUMBER, "The invoice number", "number")
    date = None if number else d.date(inp.data.get("date"), "date", "Invoice date")
    xml = txn_query(
        "InvoiceQueryRq",
        request_id,
        entity=_entity(inp),
        ref_number=number,
        from_date=date,
        to_date=date,
        include_line_items=True,
    )
    return Built(xml, "InvoiceQueryRq", [])


def build_lookup_many(inps: list[RequestInput], request_id: str) -> Built:
    """Return one InvoiceQuery for many invoice numbers at once, with lines (first syncs of many invoices)."""
    numbers = []
    for inp in inps:
        number = Draft(inp).exact(inp.data.get("number"), limits.INVOICE_REF_NUMBER, "The invoice number", "number")
        if number and number not in numbers:
            numbers.append(number)
    xml = txn_query("InvoiceQueryRq", request_id, ref_numbers=numbers, include_line_items=True)
    return Built(xml, "InvoiceQueryRq", [])


def same_entity(inp: RequestInput, ret: etree._Element, ref_path: str, entity: dict[str, Any] | None) -> bool:
    """Tell whether the returned transaction's customer/vendor is ours (unknown on our side counts as a match)."""
    if entity is None:
        return True
    theirs = text_of(ret, f"{ref_path}/ListID")
    return theirs is None or theirs == entity["list_id"]


def same_text(ours: str | None, theirs: str | None) -> bool:
    return (ours or "").strip().casefold() == (theirs or "").strip().casefold()


def matches(inp: RequestInput, ret: etree._Element) -> bool:
    """Tell whether a returned invoice is ours: same number, date, customer/job and subtotal."""
    d = Draft(inp)
    number = d.exact(inp.data.get("number"), limits.INVOICE_REF_NUMBER, "The invoice number", "number")
    date = d.date(inp.data.get("date"), "date", "Invoice date")
    theirs_subtotal = text_of(ret, "Subtotal")
    return (
        same_text(number, text_of(ret, "RefNumber"))
        and (date is None or date == text_of(ret, "TxnDate"))
        and same_entity(inp, ret, "CustomerRef", _entity(inp))
        and (theirs_subtotal is None or values.to_decimal(theirs_subtotal) == subtotal(inp))
    )


def line_ids(inp: RequestInput, ret: etree._Element) -> dict[str, str]:
    """Map our line keys, in order, to the TxnLineIDs QuickBooks returned."""
    keys = [line_key(line, i) for i, line in enumerate(inp.data.get("lines") or [])]
    ids = [text_of(line, "TxnLineID") or "" for line in ret.findall("InvoiceLineRet")]
    return dict(zip(keys, ids, strict=False))


def total_warnings(inp: RequestInput, ret: etree._Element) -> list[str]:
    """Warn when QuickBooks' subtotal differs from the app's lines (sales tax is QuickBooks' to compute)."""
    theirs = text_of(ret, "Subtotal")
    if theirs is None:
        return []
    ours = subtotal(inp)
    qb_subtotal = values.to_decimal(theirs)
    if qb_subtotal == ours:
        return []
    tax = values.to_decimal(text_of(ret, "SalesTaxTotal") or "0")
    return [
        f"QuickBooks shows a subtotal of {values.money(qb_subtotal)} for this invoice (total "
        f"{values.money(qb_subtotal + tax)} with sales tax), but its lines in the app add up to {values.money(ours)}."
    ]


def same_number(inp: RequestInput, ret: etree._Element) -> bool:
    """Tell whether a returned invoice has our number and customer/job (an invoice entered in QuickBooks first)."""
    d = Draft(inp)
    number = d.exact(inp.data.get("number"), limits.INVOICE_REF_NUMBER, "The invoice number", "number")
    return same_text(number, text_of(ret, "RefNumber")) and same_entity(inp, ret, "CustomerRef", _entity(inp))
