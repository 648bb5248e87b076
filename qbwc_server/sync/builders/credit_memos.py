"""Credit memos: CreditMemoAdd/CreditMemoMod with lines like an invoice's, and the zero payment that applies a
credit to open invoices (QuickBooks applies credits through a ReceivePayment's SetCredit)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

from qbwc_server.qbxml import limits, values
from qbwc_server.qbxml.parse import text_of
from qbwc_server.qbxml.render import render
from qbwc_server.sync.builders import invoices
from qbwc_server.sync.builders.drafting import Draft, blank
from qbwc_server.sync.builders.lists import txn_query
from qbwc_server.sync.builders.types import Built, ProblemKind, RecordProblem, RequestInput

subtotal = invoices.subtotal  # a credit memo's lines add up as an invoice's do

# QuickBooks' totals (subtotal, tax, total, credit remaining) are kept and compared with the app's as an invoice's
# are: sync/totals.py and sync/comparison.py.


def build(inp: RequestInput, request_id: str) -> Built:
    """Return CreditMemoAdd, or CreditMemoMod that keeps known lines by TxnLineID, adds new ones, drops the rest."""
    d = Draft(inp)
    data = inp.data
    r = {
        "customer": invoices.customer_ref(d),
        "class_ref": d.named_ref(data.get("class"), limits.CLASS_FULL_NAME, "Class", "class"),
        "ar_account": d.named_ref(
            d.setting("ar_account"), limits.ACCOUNT_FULL_NAME, "Accounts receivable setting", "ar_account"
        ),
        "txn_date": d.date(data.get("date"), "date", "Credit memo date"),
        "ref_number": d.exact(data.get("number"), limits.INVOICE_REF_NUMBER, "The credit memo number", "number"),
        "sales_tax_item": invoices._sales_tax_item(d),
        "memo": d.text(data.get("memo"), limits.MEMO, "Memo"),
        "lines": invoices._lines(d),
    }
    qb = inp.qb
    if qb is None:
        return Built(render("credit_memo_add.xml.j2", request_id=request_id, r=r), "CreditMemoAddRq", d.warnings)
    xml = render("credit_memo_mod.xml.j2", request_id=request_id, r=r, qb_id=qb.id, edit_sequence=qb.edit_sequence)
    return Built(xml, "CreditMemoModRq", d.warnings)


def build_lookup(inp: RequestInput, request_id: str) -> Built:
    """Return a CreditMemoQuery by customer/job and number (or date when there is no number), with lines."""
    d = Draft(inp)
    number = d.exact(inp.data.get("number"), limits.INVOICE_REF_NUMBER, "The credit memo number", "number")
    date = None if number else d.date(inp.data.get("date"), "date", "Credit memo date")
    xml = txn_query(
        "CreditMemoQueryRq",
        request_id,
        entity=invoices._entity(inp),
        ref_number=number,
        from_date=date,
        to_date=date,
        include_line_items=True,
    )
    return Built(xml, "CreditMemoQueryRq", [])


def matches(inp: RequestInput, ret: etree._Element) -> bool:
    """Tell whether a returned credit memo is ours: same number, date, customer/job and subtotal."""
    d = Draft(inp)
    number = d.exact(inp.data.get("number"), limits.INVOICE_REF_NUMBER, "The credit memo number", "number")
    date = d.date(inp.data.get("date"), "date", "Credit memo date")
    theirs_subtotal = text_of(ret, "Subtotal")
    return (
        invoices.same_text(number, text_of(ret, "RefNumber"))
        and (date is None or date == text_of(ret, "TxnDate"))
        and invoices.same_entity(inp, ret, "CustomerRef", invoices._entity(inp))
        and (theirs_subtotal is None or values.to_decimal(theirs_subtotal) == subtotal(inp))
    )


def line_ids(inp: RequestInput, ret: etree._Element) -> dict[str, str]:
    """Map our line keys, in order, to the TxnLineIDs QuickBooks returned."""
    keys = [invoices.line_key(line, i) for i, line in enumerate(inp.data.get("lines") or [])]
    ids = [text_of(line, "TxnLineID") or "" for line in ret.findall("CreditMemoLineRet")]
    return dict(zip(keys, ids, strict=False))


def applications(inp: RequestInput) -> list[tuple[str, Decimal]]:
    """Return the QuickBooks TxnID of each invoice the credit is applied to, with the amount."""
    found = []
    for index, entry in enumerate(inp.data.get("applied_to") or []):
        ref = inp.refs.get(("invoice", str(entry.get("invoice"))))
        if ref is None or not ref.id:
            raise RecordProblem(
                f"applied_to.{index}.invoice",
                f"Invoice '{entry.get('invoice')}' is not in QuickBooks yet, so the credit cannot be applied to it.",
                ProblemKind.DATA,
            )
        found.append((ref.id, values.to_decimal(entry["amount"])))
    return found


def applied_total(inp: RequestInput) -> Decimal:
    """Return how much of the credit the app applies to invoices."""
    return sum((values.to_decimal(e["amount"]) for e in inp.data.get("applied_to") or []), Decimal(0))


def build_application(inp: RequestInput, credit_txn_id: str, request_id: str) -> Built:
    """Return the ReceivePaymentAdd of zero that applies the credit memo to the app's invoices (SetCredit)."""
    d = Draft(inp)
    r: dict[str, Any] = {
        "customer": d.record_ref("customer", inp.data.get("customer"), "customer"),
        "txn_date": d.date(inp.data.get("date"), "date", "Credit memo date"),
        "credit_txn_id": credit_txn_id,
        "applications": [{"txn_id": txn_id, "amount": amount} for txn_id, amount in applications(inp)],
    }
    xml = render("receive_payment_credit.xml.j2", request_id=request_id, r=r)
    return Built(xml, "ReceivePaymentAddRq", d.warnings)


def build_check(credit_txn_id: str, request_id: str) -> Built:
    """Return the CreditMemoQuery, with linked transactions, that shows how much of the credit is applied."""
    xml = txn_query("CreditMemoQueryRq", request_id, txn_ids=[credit_txn_id], include_linked_txns=True)
    return Built(xml, "CreditMemoQueryRq", [])


def applied_in_quickbooks(ret: etree._Element) -> Decimal:
    """Return how much of a returned credit memo QuickBooks shows applied to invoices (by payments, not refunds)."""
    total = Decimal(0)
    for linked in ret.findall("LinkedTxn"):
        if text_of(linked, "TxnType") == "ReceivePayment":
            total -= values.to_decimal(text_of(linked, "Amount") or "0")
    return total


def credit_remaining(ret: etree._Element) -> Decimal | None:
    """Return the credit a returned credit memo has left, or None when the answer does not say."""
    text = text_of(ret, "CreditRemaining")
    return None if blank(text) else values.to_decimal(text)


def total_amount(ret: etree._Element) -> Decimal | None:
    """Return a returned credit memo's total (lines and sales tax)."""
    text = text_of(ret, "TotalAmount")
    return None if blank(text) else values.to_decimal(text)
