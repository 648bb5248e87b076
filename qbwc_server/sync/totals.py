"""QuickBooks' own figures for a transaction, compared with the app's: totals, sales tax, balance and paid status.

QuickBooks computes an invoice's sales tax and total itself. After it answers an Add, a Mod or a query, its
figures are kept on the record (`lifecycle.store_figures`), and a difference of more than a cent from the app's
figures becomes a warning that names the likely cause: the tax mapping and both rates, a line rounded differently,
a line QuickBooks taxes and the app does not. Credit memos get the same comparison: their kind goes in `COMPARED`
and `_FIGURES` (a CreditMemoRet has the invoice's Subtotal, SalesTaxTotal and lines).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import synclog, tax_mapping
from qbwc_server.models import Company, LogEvent, Record, RecordKind
from qbwc_server.qbxml import values
from qbwc_server.qbxml.parse import text_of
from qbwc_server.sync import builders, lifecycle
from qbwc_server.sync.builders.drafting import blank, setting
from qbwc_server.sync.builders.invoices import line_amount

CENT = Decimal("0.01")
COMPARED = frozenset({"invoice"})  # kinds whose totals are compared line by line ("credit_memo" when it exists)
Warning_ = dict[str, Any]
_WHAT = {"subtotal": "subtotal", "tax": "sales tax", "total": "total"}


@dataclass(frozen=True)
class Settlement:
    """What a payment's answer says about one invoice it pays: QuickBooks' balance of it after the payment."""

    invoice_txn_id: str
    balance: str
    amount: str
    paid_on: str = ""  # the payment's date, so an older payment never takes the place of a later one


@dataclass(frozen=True)
class Figures:
    """QuickBooks' figures from one answer: the record's own, the warnings (None: not compared) and settlements."""

    totals: dict[str, Any]
    warnings: list[Warning_] | None = None
    settlements: tuple[Settlement, ...] = ()
    payment_label: str = ""


@dataclass(frozen=True)
class QbLine:
    """One line as QuickBooks holds it: its amount and whether QuickBooks taxes it (None: not known)."""

    amount: Decimal | None
    taxable: bool | None
    code: str | None = None


@dataclass
class AppTotals:
    """The app's figures for a transaction: given by the app, or computed from its lines and tax mapping."""

    subtotal: Decimal
    tax: Decimal | None
    total: Decimal | None
    lines_subtotal: Decimal
    rate: Decimal | None = None
    given: set[str] = field(default_factory=set)


def _dec(value: Any) -> Decimal | None:
    if blank(value):
        return None
    try:
        return values.to_decimal(value)
    except ValueError:
        return None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _flag(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() == "true"


# --- QuickBooks' figures, from an answer or an import ---------------------------------------------------------


def _invoice_figures(ret: etree._Element) -> dict[str, Any]:
    subtotal, tax = _dec(text_of(ret, "Subtotal")), _dec(text_of(ret, "SalesTaxTotal"))
    total = _dec(text_of(ret, "TotalAmount"))
    if total is None and subtotal is not None:
        total = subtotal + (tax or Decimal(0))
    return {
        "subtotal": _money(subtotal),
        "tax": _money(tax),
        "total": _money(total),
        "balance": _money(_dec(text_of(ret, "BalanceRemaining"))),
        "paid": _flag(text_of(ret, "IsPaid")),
        "tax_item": text_of(ret, "ItemSalesTaxRef/FullName"),
        "tax_rate": text_of(ret, "SalesTaxPercentage"),
    }


def _payment_figures(ret: etree._Element) -> dict[str, Any]:
    return {
        "total": _money(_dec(text_of(ret, "TotalAmount"))),
        "unused": _money(_dec(text_of(ret, "UnusedPayment"))),
    }


def _bill_figures(ret: etree._Element) -> dict[str, Any]:
    return {
        "total": _money(_dec(text_of(ret, "AmountDue"))),
        "balance": _money(_dec(text_of(ret, "OpenAmount"))),
        "paid": _flag(text_of(ret, "IsPaid")),
    }


_FIGURES: dict[str, Callable[[etree._Element], dict[str, Any]]] = {
    "invoice": _invoice_figures,
    "payment": _payment_figures,
    "bill": _bill_figures,
}


def figures_of(kind: str, ret: etree._Element) -> dict[str, Any]:
    """Return QuickBooks' figures in a returned transaction (empty for a list record)."""
    reader = _FIGURES.get(kind)
    if reader is None:
        return {}
    return {key: value for key, value in reader(ret).items() if value is not None}


def settlements_of(ret: etree._Element, paid_on: str = "") -> tuple[Settlement, ...]:
    """Return the invoices a returned payment pays, each with QuickBooks' balance of it after the payment."""
    found = []
    for applied in ret.findall("AppliedToTxnRet"):
        txn_id, balance = text_of(applied, "TxnID"), _dec(text_of(applied, "BalanceRemaining"))
        if txn_id and balance is not None and (text_of(applied, "TxnType") or "Invoice") == "Invoice":
            amount = _dec((text_of(applied, "Amount") or "").lstrip("-")) or Decimal(0)
            found.append(Settlement(txn_id, _money(balance) or "0.00", _money(amount) or "0.00", paid_on))
    return tuple(found)


def _ret_lines(inp: builders.RequestInput, ret: etree._Element) -> list[QbLine]:
    taxable_code = str(setting(inp.settings, "sales_tax_code_taxable")).casefold()
    non_taxable_code = str(setting(inp.settings, "sales_tax_code_non_taxable")).casefold()
    lines = []
    for line in ret.iter("InvoiceLineRet", "CreditMemoLineRet"):
        code = text_of(line, "SalesTaxCodeRef/FullName")
        known = {taxable_code: True, non_taxable_code: False}
        taxable = known.get(code.casefold()) if code is not None else None
        lines.append(QbLine(_dec(text_of(line, "Amount")), taxable, code))
    return lines


def from_answer(inp: builders.RequestInput, ret: etree._Element) -> Figures:
    """Return QuickBooks' figures in an answer for the record, compared with the app's data."""
    totals = figures_of(inp.kind, ret)
    if inp.kind in COMPARED:
        customer_code = text_of(ret, "CustomerSalesTaxCodeRef/FullName")
        warnings = compare(inp, totals, _ret_lines(inp, ret), customer_code)
    else:
        warnings = [_plain(text) for text in builders.total_warnings(inp, ret)]
    settlements = settlements_of(ret, str(inp.data.get("date") or "")) if inp.kind == "payment" else ()
    label = _payment_label(inp.data, inp.external_id) if inp.kind == "payment" else ""
    return Figures(totals, warnings, settlements, label)


def from_import(kind: RecordKind, qb_data: Mapping[str, Any]) -> dict[str, Any]:
    """Return QuickBooks' figures from what an import mapped out of a transaction (see imports.mapping)."""
    subtotal, tax = _dec(qb_data.get("subtotal")), _dec(qb_data.get("sales_tax_total"))
    total = _dec(qb_data.get("total"))
    if total is None and subtotal is not None:
        total = subtotal + (tax or Decimal(0))
    paid = qb_data.get("is_paid")
    found = {
        "subtotal": _money(subtotal),
        "tax": _money(tax),
        "total": _money(total),
        "balance": _money(_dec(qb_data.get("balance_remaining"))),
        "paid": paid if isinstance(paid, bool) else None,
        "tax_rate": qb_data.get("sales_tax_percentage"),
        "unused": _money(_dec(qb_data.get("unused_payment"))) if kind is RecordKind.PAYMENT else None,
    }
    return {key: value for key, value in found.items() if value is not None}


def compare_imported(
    record: Record, settings: Mapping[str, Any], figures: Mapping[str, Any], qb_data: Mapping[str, Any]
) -> list[Warning_] | None:
    """Compare an imported copy of one of our transactions with the app's data (None when its kind is not compared).

    `qb_data` is the imported copy in our field shapes: its lines carry QuickBooks' amounts and taxability.
    """
    if record.kind.value not in COMPARED:
        return None
    inp = builders.RequestInput(record.kind.value, record.external_id, record.data or {}, settings, None)
    lines = [
        QbLine(_dec(line.get("amount")), line["taxable"] if isinstance(line.get("taxable"), bool) else None)
        for line in qb_data.get("lines") or []
    ]
    return compare(inp, figures, lines)


def _plain(text: str) -> Warning_:
    return {"code": "totals_differ", "message": text, "causes": []}


# --- the app's figures, and the comparison --------------------------------------------------------------------


def _taxable_in_app(line: Mapping[str, Any]) -> bool:
    # A line says whether it is taxable; one that does not follows the invoice's tax rate.
    return line.get("taxable") is not False


def app_totals(inp: builders.RequestInput) -> AppTotals:
    """Return the app's subtotal, sales tax and total: as the app gave them, else from its lines and mapped rate."""
    data = inp.data
    lines = list(data.get("lines") or [])
    amounts = [line_amount(_dec(li.get("quantity")), _dec(li.get("rate")), _dec(li.get("amount"))) for li in lines]
    lines_subtotal = sum(amounts, Decimal("0.00"))
    given = {key for key in ("subtotal", "tax_total", "total") if _dec(data.get(key)) is not None}
    subtotal = _dec(data.get("subtotal")) if "subtotal" in given else lines_subtotal
    assert subtotal is not None
    row = tax_mapping.rows(setting(inp.settings, "tax_mapping")).get(str(data.get("tax_rate") or ""))
    rate = row.rate if row is not None else None
    tax: Decimal | None
    if "tax_total" in given:
        tax = _dec(data.get("tax_total"))
    elif blank(data.get("tax_rate")):
        tax = Decimal("0.00")
    elif rate is not None:
        base = sum((a for a, li in zip(amounts, lines, strict=True) if _taxable_in_app(li)), Decimal(0))
        tax = (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        tax = None
    total = _dec(data.get("total")) if "total" in given else (subtotal + tax if tax is not None else None)
    return AppTotals(subtotal, tax, total, lines_subtotal, rate, given)


def compare(
    inp: builders.RequestInput,
    theirs: Mapping[str, Any],
    qb_lines: Sequence[QbLine],
    customer_code: str | None = None,
) -> list[Warning_]:
    """Return a warning when QuickBooks' subtotal, sales tax or total differs from the app's by more than a cent."""
    ours = app_totals(inp)
    app = {"subtotal": ours.subtotal, "tax": ours.tax, "total": ours.total}
    differs = {}
    for key, mine in app.items():
        qb = _dec(theirs.get(key))
        if mine is not None and qb is not None and abs(mine - qb) > CENT:
            differs[key] = (mine, qb)
    if not differs:
        return []
    noun = inp.kind.replace("_", " ")
    key = "total" if "total" in differs else next(iter(differs))
    mine, qb = differs[key]
    words = [
        f"QuickBooks' {_WHAT[key]} for this {noun} is {_money(qb)}, the app's is {_money(mine)} "
        f"({_money(abs(qb - mine))} {'lower' if qb < mine else 'higher'} in QuickBooks)."
    ]
    others = [f"{_WHAT[k]}: QuickBooks {_money(q)}, app {_money(m)}" for k, (m, q) in differs.items() if k != key]
    if others:
        words.append("Also " + "; ".join(others) + ".")
    causes = _causes(inp, ours, theirs, qb_lines, customer_code, differs)
    words.append("Likely cause: " + " ".join(causes) if causes else "Compare the lines on both sides.")
    return [
        {
            "code": "totals_differ",
            "message": " ".join(words),
            "app": {k: _money(v) for k, v in app.items()},
            "quickbooks": {k: theirs.get(k) for k in ("subtotal", "tax", "total")},
            "causes": causes,
        }
    ]


def _causes(
    inp: builders.RequestInput,
    ours: AppTotals,
    theirs: Mapping[str, Any],
    qb_lines: Sequence[QbLine],
    customer_code: str | None,
    differs: Mapping[str, tuple[Decimal, Decimal]],
) -> list[str]:
    causes: list[str] = []
    lines = list(inp.data.get("lines") or [])
    for index, (line, qb_line) in enumerate(zip(lines, qb_lines, strict=False)):
        mine = line_amount(_dec(line.get("quantity")), _dec(line.get("rate")), _dec(line.get("amount")))
        label = _line_label(line, index)
        if qb_line.amount is not None and qb_line.amount != mine:
            kind = "a rounding difference" if abs(qb_line.amount - mine) <= Decimal("0.05") else "a different amount"
            causes.append(f"{label} is {_money(qb_line.amount)} in QuickBooks and {_money(mine)} in the app ({kind}).")
    if "subtotal" in ours.given and ours.subtotal != ours.lines_subtotal and "subtotal" in differs:
        causes.append(
            f"The app's subtotal {_money(ours.subtotal)} is not the sum of its lines ({_money(ours.lines_subtotal)}): "
            "the app rounds its lines differently."
        )
    if "tax" not in differs and "total" not in differs:
        return causes
    rate_name = inp.data.get("tax_rate")
    qb_rate = _dec(theirs.get("tax_rate"))
    qb_tax = _dec(theirs.get("tax")) or Decimal(0)
    if blank(rate_name) and qb_tax > 0:
        item = theirs.get("tax_item") or "its default sales tax item"
        at = f" at {_pct(qb_rate)}" if qb_rate is not None else ""
        causes.append(
            f"The app gives this invoice no tax rate, so QuickBooks charged the customer's or the company's default "
            f"sales tax item ('{item}'{at}) on the lines it treats as taxable. Give the invoice a tax rate, or send "
            "its lines as not taxable."
        )
    if not blank(rate_name):
        row = tax_mapping.rows(setting(inp.settings, "tax_mapping")).get(str(rate_name))
        item = row.item if row is not None else str(theirs.get("tax_item") or "its sales tax item")
        mine_rate = ours.rate if ours.rate is not None else _implied_rate(ours, lines)
        if qb_rate is None and row is not None:
            qb_rate = row.quickbooks_rate
        if mine_rate is not None and qb_rate is not None and mine_rate != qb_rate:
            causes.append(
                f"The tax rate '{rate_name}' is mapped to the QuickBooks sales tax item '{item}', which QuickBooks "
                f"charges at {_pct(qb_rate)}; the app charges {_pct(mine_rate)}. Map '{rate_name}' to an item with "
                "the app's rate, or correct the item's rate in QuickBooks."
            )
    for index, (line, qb_line) in enumerate(zip(lines, qb_lines, strict=False)):
        label = _line_label(line, index)
        app_taxable = line.get("taxable")
        if qb_line.taxable is True and app_taxable is False:
            causes.append(f"{label} is taxable in QuickBooks (code {qb_line.code}) but not in the app.")
        elif qb_line.taxable is False and app_taxable is not False and not blank(rate_name):
            causes.append(f"{label} is not taxable in QuickBooks (code {qb_line.code}) but the app taxes it.")
    non_taxable = str(setting(inp.settings, "sales_tax_code_non_taxable")).casefold()
    if customer_code is not None and customer_code.casefold() == non_taxable and not blank(rate_name):
        causes.append(
            f"QuickBooks treats the customer as not taxable (customer tax code {customer_code}), so it charges no "
            "sales tax on this invoice."
        )
    return causes


def _implied_rate(ours: AppTotals, lines: Sequence[Mapping[str, Any]]) -> Decimal | None:
    """Return the rate the app's own sales tax implies on its taxable lines (to three decimals), if it gave one."""
    if ours.tax is None or "tax_total" not in ours.given:
        return None
    base = sum(
        (
            line_amount(_dec(li.get("quantity")), _dec(li.get("rate")), _dec(li.get("amount")))
            for li in lines
            if _taxable_in_app(li)
        ),
        Decimal(0),
    )
    if base == 0:
        return None
    # The plainest rate that gives the app's tax once rounded to cents (7.50 on 100.01 is 7.5%, not 7.499%).
    for places in range(5):
        rate = (ours.tax * 100 / base).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP) == ours.tax:
            return rate.normalize()
    return None


def _pct(rate: Decimal) -> str:
    return f"{format(rate.normalize(), 'f')}%"


def _line_label(line: Mapping[str, Any], index: int) -> str:
    description = line.get("description") or line.get("item")
    return f"Line {index + 1}" + (f" ({description})" if description else "")


def _payment_label(data: Mapping[str, Any], external_id: str) -> str:
    parts = [f"payment {external_id}"]
    if data.get("reference"):
        parts.append(f"reference {data['reference']}")
    if data.get("date"):
        parts.append(f"of {data['date']}")
    return " ".join(parts)


# --- carrying figures out (transitions.apply and imports call these) --------------------------------------------


def apply(db: Session, company: Company, record: Record, figures: Figures, ticket: str | None = None) -> None:
    """Store QuickBooks' figures on the record, and the balances of the invoices a payment of ours pays."""
    if figures.totals or figures.warnings is not None:
        lifecycle.store_figures(record, figures.totals, figures.warnings)
    for settlement in figures.settlements:
        settle(db, company, settlement, figures.payment_label or f"payment {record.external_id}", ticket)


def settle(db: Session, company: Company, settlement: Settlement, paid_by: str, ticket: str | None = None) -> None:
    """Take QuickBooks' balance of an invoice after a payment; the invoice's log says when a payment paid it."""
    invoice = db.scalar(
        select(Record).where(
            Record.company_id == company.id,
            Record.kind == RecordKind.INVOICE,
            Record.qb_id == settlement.invoice_txn_id,
        )
    )
    if invoice is None:
        return
    before = invoice.qb_totals or {}
    # An import of invoices may have said "paid" already; the payment that paid it is said once, when it is known.
    was_paid, said_by = bool(before.get("paid")), before.get("paid_by")
    paid = Decimal(settlement.balance) <= 0
    if paid and said_by and str(before.get("paid_on") or "") > settlement.paid_on:
        paid_by = str(said_by)  # a later payment paid it; this one is older
    lifecycle.store_balance(invoice, settlement.balance, paid, paid_by, settlement.paid_on)
    if paid and (not was_paid or said_by != paid_by):
        synclog.append(
            db,
            invoice,
            LogEvent.PAID,
            f"Paid in full in QuickBooks by {paid_by} ({settlement.amount} applied); balance 0.00.",
            ticket=ticket,
        )
    elif not paid and was_paid:
        synclog.append(
            db, invoice, LogEvent.PAID, f"Open again in QuickBooks: balance {settlement.balance}.", ticket=ticket
        )


# --- a payment QuickBooks refused as more than the amount due (3210) -------------------------------------------


def overpayment_advice(db: Session, company: Company, payment: Record) -> str | None:
    """Say which invoice's QuickBooks balance is lower than what the payment applies to it, and by how much."""
    said = []
    for applied in (payment.data or {}).get("applied_to") or []:
        invoice = db.scalar(
            select(Record).where(
                Record.company_id == company.id,
                Record.kind == RecordKind.INVOICE,
                Record.external_id == str(applied.get("invoice")),
            )
        )
        amount = _dec(applied.get("amount"))
        figures = (invoice.qb_totals or {}) if invoice is not None else {}
        balance = _dec(figures.get("balance"))
        if invoice is None or amount is None or balance is None or amount <= balance:
            continue
        name = (invoice.data or {}).get("number") or invoice.external_id
        text = (
            f"Invoice {name} has a balance of {_money(balance)} in QuickBooks, {_money(amount - balance)} less than "
            f"the {_money(amount)} this payment applies to it."
        )
        app_total, qb_total = _dec((invoice.data or {}).get("total")), _dec(figures.get("total"))
        if invoice.warning_count:
            text += " QuickBooks' total for that invoice differs from the app's; see the invoice's warning."
        elif app_total is not None and qb_total is not None and app_total != qb_total:
            text += f" QuickBooks' total for it is {_money(qb_total)}, the app's {_money(app_total)}."
        said.append(text)
    if not said:
        return None
    return (
        "The payment is more than the invoice's open balance in QuickBooks: "
        + " ".join(said)
        + " Apply no more than QuickBooks' balance, or correct the invoice, then reprocess."
    )
