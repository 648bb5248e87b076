"""The app's figures for a transaction against QuickBooks' own, and the likely cause of a difference, in words.

QuickBooks computes an invoice's sales tax and total itself. A difference of more than a cent from the app's
figures (given by the app, or computed from its lines and the mapped tax rate) becomes a warning that names the
likely cause: the tax mapping and both rates, a line rounded differently, a line QuickBooks taxes and the app does
not, a customer QuickBooks treats as not taxable. Credit memos get the same comparison (`COMPARED`: a CreditMemoRet
has the invoice's Subtotal, SalesTaxTotal and lines).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from qbwc_server import tax_mapping
from qbwc_server.models import Record
from qbwc_server.qbxml import values
from qbwc_server.sync import builders
from qbwc_server.sync.builders.drafting import blank, setting
from qbwc_server.sync.builders.invoices import line_amount

CENT = Decimal("0.01")
COMPARED = frozenset({"invoice", "credit_memo"})  # kinds whose totals are compared line by line
Warning_ = dict[str, Any]
_WHAT = {"subtotal": "subtotal", "tax": "sales tax", "total": "total"}


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


def amount_of(value: Any) -> Decimal | None:
    """Return a number from the app's data or QuickBooks' text; None when it is absent or not a number."""
    # About twenty-five per invoice filed: text (QuickBooks' figures, the app's amounts) and the JSON numbers of the
    # app's lines go straight to Decimal, as `values.to_decimal` turns them (Decimal ignores the spaces around a
    # text; a blank text or not a number is InvalidOperation; a float goes through its shortest repr).
    if value is None:
        return None
    kind = type(value)
    if kind is str or kind is float:
        try:
            number = Decimal(value if kind is str else repr(value))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    if kind is int:
        return Decimal(value)
    try:  # a Decimal as it is (when finite), anything else (a yes/no, a list) is no number
        return values.to_decimal(value)
    except ValueError:
        return None


def money_text(value: Decimal | None) -> str | None:
    """Return an amount as QuickBooks writes it (two decimals)."""
    return None if value is None else str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def line_value(line: Mapping[str, Any]) -> Decimal:
    """Return what the app's line is worth: its amount, else quantity times rate, rounded to cents."""
    return line_amount(amount_of(line.get("quantity")), amount_of(line.get("rate")), amount_of(line.get("amount")))


def _taxable_in_app(line: Mapping[str, Any]) -> bool:
    # A line says whether it is taxable; one that does not follows the invoice's tax rate.
    return line.get("taxable") is not False


def app_totals(inp: builders.RequestInput) -> AppTotals:
    """Return the app's subtotal, sales tax and total: as the app gave them, else from its lines and mapped rate."""
    data = inp.data
    lines = list(data.get("lines") or [])
    amounts = [line_value(li) for li in lines]
    lines_subtotal = sum(amounts, Decimal("0.00"))
    given = {key for key in ("subtotal", "tax_total", "total") if amount_of(data.get(key)) is not None}
    subtotal = amount_of(data.get("subtotal")) if "subtotal" in given else lines_subtotal
    assert subtotal is not None
    row = tax_mapping.rows(setting(inp.settings, "tax_mapping")).get(str(data.get("tax_rate") or ""))
    rate = row.rate if row is not None else None
    tax: Decimal | None
    if "tax_total" in given:
        tax = amount_of(data.get("tax_total"))
    elif blank(data.get("tax_rate")):
        tax = Decimal("0.00")
    elif rate is not None:
        base = sum((a for a, li in zip(amounts, lines, strict=True) if _taxable_in_app(li)), Decimal(0))
        tax = (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        tax = None
    total = amount_of(data.get("total")) if "total" in given else (subtotal + tax if tax is not None else None)
    return AppTotals(subtotal, tax, total, lines_subtotal, rate, given)


def compare(
    inp: builders.RequestInput,
    theirs: Mapping[str, Any],
    qb_lines: Callable[[], Sequence[QbLine]],
    customer_code: str | None = None,
) -> list[Warning_]:
    """Return a warning when QuickBooks' subtotal, sales tax or total differs from the app's by more than a cent.

    `qb_lines` reads QuickBooks' lines: they are read only when there is a cause to name (most answers agree).
    """
    ours = app_totals(inp)
    app = {"subtotal": ours.subtotal, "tax": ours.tax, "total": ours.total}
    differs = {}
    for key, mine in app.items():
        qb = amount_of(theirs.get(key))
        if mine is not None and qb is not None and abs(mine - qb) > CENT:
            differs[key] = (mine, qb)
    if not differs:
        return []
    noun = inp.kind.replace("_", " ")
    key = "total" if "total" in differs else next(iter(differs))
    mine, qb = differs[key]
    words = [
        f"QuickBooks' {_WHAT[key]} for this {noun} is {money_text(qb)}, the app's is {money_text(mine)} "
        f"({money_text(abs(qb - mine))} {'lower' if qb < mine else 'higher'} in QuickBooks)."
    ]
    others = [
        f"{_WHAT[k]}: QuickBooks {money_text(q)}, app {money_text(m)}" for k, (m, q) in differs.items() if k != key
    ]
    if others:
        words.append("Also " + "; ".join(others) + ".")
    causes = _causes(inp, ours, theirs, qb_lines(), customer_code, differs)
    words.append("Likely cause: " + " ".join(causes) if causes else "Compare the lines on both sides.")
    return [
        {
            "code": "totals_differ",
            "message": " ".join(words),
            "app": {k: money_text(v) for k, v in app.items()},
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
        mine = line_value(line)
        label = _line_label(line, index)
        if qb_line.amount is not None and qb_line.amount != mine:
            kind = "a rounding difference" if abs(qb_line.amount - mine) <= Decimal("0.05") else "a different amount"
            causes.append(
                f"{label} is {money_text(qb_line.amount)} in QuickBooks and {money_text(mine)} in the app ({kind})."
            )
    if "subtotal" in ours.given and ours.subtotal != ours.lines_subtotal and "subtotal" in differs:
        causes.append(
            f"The app's subtotal {money_text(ours.subtotal)} is not the sum of its lines "
            f"({money_text(ours.lines_subtotal)}): the app rounds its lines differently."
        )
    if "tax" not in differs and "total" not in differs:
        return causes
    rate_name = inp.data.get("tax_rate")
    qb_rate = amount_of(theirs.get("tax_rate"))
    qb_tax = amount_of(theirs.get("tax")) or Decimal(0)
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
        (line_value(li) for li in lines if _taxable_in_app(li)),
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


def compare_imported(
    record: Record, settings: Mapping[str, Any], figures: Mapping[str, Any], qb_data: Mapping[str, Any]
) -> list[Warning_] | None:
    """Compare an imported copy of one of our transactions with the app's data (None when its kind is not compared).

    `qb_data` is the imported copy in our field shapes: its lines carry QuickBooks' amounts and taxability.
    """
    if record.kind.value not in COMPARED:
        return None
    inp = builders.RequestInput(record.kind.value, record.external_id, record.data or {}, settings, None)
    return compare(
        inp,
        figures,
        lambda: [
            QbLine(amount_of(line.get("amount")), line["taxable"] if isinstance(line.get("taxable"), bool) else None)
            for line in qb_data.get("lines") or []
        ],
    )
