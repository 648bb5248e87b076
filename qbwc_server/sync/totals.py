"""QuickBooks' own figures for a transaction: totals, sales tax, balance and paid status, from answers and imports.

After QuickBooks answers an Add, a Mod or a query, its figures are kept on the record (`lifecycle.store_figures`)
with the warnings `comparison` finds; a payment's answer (or an imported payment) says QuickBooks' balance of each
invoice it pays. A credit memo's figures add the credit QuickBooks has left of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import synclog
from qbwc_server.models import Company, LogEvent, Record, RecordKind
from qbwc_server.qbxml.parse import Fields, text_of
from qbwc_server.sync import builders, lifecycle, references
from qbwc_server.sync.builders.drafting import setting
from qbwc_server.sync.comparison import COMPARED, QbLine, Warning_, amount_of, compare, money_text

CENT = Decimal("0.01")


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


def _flag(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() == "true"


# --- QuickBooks' figures, from an answer or an import ---------------------------------------------------------


def _invoice_figures(ret: Fields) -> dict[str, Any]:
    subtotal, tax = amount_of(ret.text("Subtotal")), amount_of(ret.text("SalesTaxTotal"))
    total = amount_of(ret.text("TotalAmount"))
    if total is None and subtotal is not None:
        total = subtotal + (tax or Decimal(0))
    return {
        "subtotal": money_text(subtotal),
        "tax": money_text(tax),
        "total": money_text(total),
        "balance": money_text(amount_of(ret.text("BalanceRemaining"))),
        "paid": _flag(ret.text("IsPaid")),
        "tax_item": ret.text("ItemSalesTaxRef/FullName"),
        "tax_rate": ret.text("SalesTaxPercentage"),
    }


def _payment_figures(ret: Fields) -> dict[str, Any]:
    return {
        "total": money_text(amount_of(ret.text("TotalAmount"))),
        "unused": money_text(amount_of(ret.text("UnusedPayment"))),
    }


def _bill_figures(ret: Fields) -> dict[str, Any]:
    return {
        "total": money_text(amount_of(ret.text("AmountDue"))),
        "balance": money_text(amount_of(ret.text("OpenAmount"))),
        "paid": _flag(ret.text("IsPaid")),
    }


def _credit_memo_figures(ret: Fields) -> dict[str, Any]:
    subtotal = amount_of(ret.text("Subtotal"))
    tax = amount_of(ret.text("SalesTaxTotal"))
    total = amount_of(ret.text("TotalAmount"))
    if total is None and subtotal is not None:
        total = subtotal + (tax or Decimal(0))
    return {
        "subtotal": money_text(subtotal),
        "tax": money_text(tax),
        "total": money_text(total),
        "balance": money_text(amount_of(ret.text("CreditRemaining"))),  # the credit QuickBooks has left
        "tax_item": ret.text("ItemSalesTaxRef/FullName"),
        "tax_rate": ret.text("SalesTaxPercentage"),
    }


_FIGURES: dict[str, Callable[[Fields], dict[str, Any]]] = {
    "invoice": _invoice_figures,
    "credit_memo": _credit_memo_figures,
    "payment": _payment_figures,
    "bill": _bill_figures,
}


def figures_of(kind: str, ret: etree._Element | Fields) -> dict[str, Any]:
    """Return QuickBooks' figures in a returned transaction (empty for a list record)."""
    reader = _FIGURES.get(kind)
    if reader is None:
        return {}
    fields = ret if isinstance(ret, Fields) else Fields(ret)
    return {key: value for key, value in reader(fields).items() if value is not None}


def settlements_of(ret: etree._Element, paid_on: str = "") -> tuple[Settlement, ...]:
    """Return the invoices a returned payment pays, each with QuickBooks' balance of it after the payment."""
    found = []
    for applied in ret.findall("AppliedToTxnRet"):
        txn_id, balance = text_of(applied, "TxnID"), amount_of(text_of(applied, "BalanceRemaining"))
        if txn_id and balance is not None and (text_of(applied, "TxnType") or "Invoice") == "Invoice":
            amount = amount_of((text_of(applied, "Amount") or "").lstrip("-")) or Decimal(0)
            found.append(Settlement(txn_id, money_text(balance) or "0.00", money_text(amount) or "0.00", paid_on))
    return tuple(found)


def _ret_lines(inp: builders.RequestInput, ret: etree._Element) -> list[QbLine]:
    taxable_code = str(setting(inp.settings, "sales_tax_code_taxable")).casefold()
    non_taxable_code = str(setting(inp.settings, "sales_tax_code_non_taxable")).casefold()
    lines = []
    for line in ret.iter("InvoiceLineRet", "CreditMemoLineRet"):
        code = text_of(line, "SalesTaxCodeRef/FullName")
        known = {taxable_code: True, non_taxable_code: False}
        taxable = known.get(code.casefold()) if code is not None else None
        lines.append(QbLine(amount_of(text_of(line, "Amount")), taxable, code))
    return lines


def from_answer(inp: builders.RequestInput, ret: etree._Element) -> Figures:
    """Return QuickBooks' figures in an answer for the record, compared with the app's data."""
    fields = Fields(ret)  # its fields are read in one walk of its children
    totals = figures_of(inp.kind, fields)
    if inp.kind in COMPARED:
        customer_code = fields.text("CustomerSalesTaxCodeRef/FullName")
        # The lines are read only when the totals differ and the warning names a cause (most answers agree).
        warnings = compare(inp, totals, lambda: _ret_lines(inp, ret), customer_code)
    else:
        warnings = [_plain(text) for text in builders.total_warnings(inp, ret)]
    settlements = settlements_of(ret, str(inp.data.get("date") or "")) if inp.kind == "payment" else ()
    label = _payment_label(inp.data, inp.external_id) if inp.kind == "payment" else ""
    return Figures(totals, warnings, settlements, label)


def from_import(kind: RecordKind, qb_data: Mapping[str, Any]) -> dict[str, Any]:
    """Return QuickBooks' figures from what an import mapped out of a transaction (see imports.mapping)."""
    subtotal, tax = amount_of(qb_data.get("subtotal")), amount_of(qb_data.get("sales_tax_total"))
    total = amount_of(qb_data.get("total"))
    if total is None and subtotal is not None:
        total = subtotal + (tax or Decimal(0))
    paid = qb_data.get("is_paid")
    found = {
        "subtotal": money_text(subtotal),
        "tax": money_text(tax),
        "total": money_text(total),
        "balance": money_text(amount_of(qb_data.get("balance_remaining"))),
        "paid": paid if isinstance(paid, bool) else None,
        "tax_rate": qb_data.get("sales_tax_percentage"),
        "unused": money_text(amount_of(qb_data.get("unused_payment"))) if kind is RecordKind.PAYMENT else None,
    }
    return {key: value for key, value in found.items() if value is not None}


def own(figures: Figures) -> bool:
    """Tell whether an answer's figures change the record's own (its totals, or the warnings a comparison gave)."""
    return bool(figures.totals) or figures.warnings is not None


def _plain(text: str) -> Warning_:
    return {"code": "totals_differ", "message": text, "causes": []}


def _payment_label(data: Mapping[str, Any], external_id: str) -> str:
    parts = [f"payment {external_id}"]
    if data.get("reference"):
        parts.append(f"reference {data['reference']}")
    if data.get("date"):
        parts.append(f"of {data['date']}")
    return " ".join(parts)


# --- carrying figures out (transitions.apply and imports call these) --------------------------------------------


def apply(
    db: Session, company: Company, record: Record, figures: Figures, ticket: str | None = None, *, stored: bool = False
) -> None:
    """Store QuickBooks' figures on the record, and the balances of the invoices a payment of ours pays.

    `stored`: the record's own figures are stored already (with its identity, see `own`); only the settlements here.
    """
    if not stored and own(figures):
        lifecycle.store_figures(record, figures.totals, figures.warnings)
    for settlement in figures.settlements:
        settle(db, company, settlement, figures.payment_label or f"payment {record.external_id}", ticket)


def settle(db: Session, company: Company, settlement: Settlement, paid_by: str, ticket: str | None = None) -> None:
    """Take QuickBooks' balance of an invoice after a payment; the invoice's log says when a payment paid it."""
    # The invoice is usually one the payment references, found already while its answer is filed.
    invoice = references.remembered(db, company.id, RecordKind.INVOICE, settlement.invoice_txn_id) or db.scalar(
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
        amount = amount_of(applied.get("amount"))
        figures = (invoice.qb_totals or {}) if invoice is not None else {}
        balance = amount_of(figures.get("balance"))
        if invoice is None or amount is None or balance is None or amount <= balance:
            continue
        name = (invoice.data or {}).get("number") or invoice.external_id
        text = (
            f"Invoice {name} has a balance of {money_text(balance)} in QuickBooks, "
            f"{money_text(amount - balance)} less than the {money_text(amount)} this payment applies to it."
        )
        app_total, qb_total = amount_of((invoice.data or {}).get("total")), amount_of(figures.get("total"))
        if invoice.warning_count:
            text += " QuickBooks' total for that invoice differs from the app's; see the invoice's warning."
        elif app_total is not None and qb_total is not None and app_total != qb_total:
            text += f" QuickBooks' total for it is {money_text(qb_total)}, the app's {money_text(app_total)}."
        said.append(text)
    if not said:
        return None
    return (
        "The payment is more than the invoice's open balance in QuickBooks: "
        + " ".join(said)
        + " Apply no more than QuickBooks' balance, or correct the invoice, then reprocess."
    )
