"""Customer payments: ReceivePaymentAdd/Mod, deposited to the configured account and applied to invoices."""

from __future__ import annotations

from typing import Any

from lxml import etree

from qbwc_server.qbxml import limits, values
from qbwc_server.qbxml.parse import text_of
from qbwc_server.qbxml.render import render
from qbwc_server.sync.builders.drafting import Draft, blank
from qbwc_server.sync.builders.invoices import same_entity, same_text
from qbwc_server.sync.builders.lists import txn_query
from qbwc_server.sync.builders.types import Built, RecordProblem, RequestInput


def _applied(d: Draft) -> list[dict[str, Any]]:
    applied = []
    for index, application in enumerate(d.data.get("applied_to") or []):
        where = f"applied_to.{index}"
        invoice = application.get("invoice")
        ref = d.inp.refs.get(("invoice", str(invoice)))
        if ref is None:
            raise RecordProblem(
                f"{where}.invoice",
                f"The invoice '{invoice}' this payment pays is not in QuickBooks yet; it has to be synced first.",
            )
        amount = d.money(application.get("amount"), f"{where}.amount", f"Amount applied to invoice {invoice}")
        applied.append({"txn_id": ref.id, "amount": amount})
    return applied


def _reference(d: Draft) -> str | None:
    return d.exact(d.data.get("reference"), limits.PAYMENT_REF_NUMBER, "The payment reference", "reference")


def build(inp: RequestInput, request_id: str) -> Built:
    """Return ReceivePaymentAdd (applied to its invoices, or left as a credit) or ReceivePaymentMod."""
    d = Draft(inp)
    data = inp.data
    r = {
        "customer": d.record_ref("customer", data.get("customer"), "customer"),
        "ar_account": d.named_ref(
            d.setting("ar_account"), limits.ACCOUNT_FULL_NAME, "Accounts receivable setting", "ar_account"
        ),
        "txn_date": d.date(data.get("date"), "date", "Payment date"),
        "ref_number": _reference(d),
        "total": d.money(data.get("amount"), "amount", "Payment amount"),
        "method": d.named_ref(data.get("method"), limits.PAYMENT_METHOD_NAME, "Payment method", "method"),
        "memo": d.text(data.get("memo"), limits.MEMO, "Memo"),
        "deposit_account": d.named_ref(
            d.setting("deposit_account"), limits.ACCOUNT_FULL_NAME, "Deposit account setting", "deposit_account"
        ),
        "applied": _applied(d),
    }
    qb = inp.qb
    if qb is None:
        xml = render("receive_payment_add.xml.j2", request_id=request_id, r=r)
        return Built(xml, "ReceivePaymentAddRq", d.warnings)
    xml = render("receive_payment_mod.xml.j2", request_id=request_id, r=r, qb_id=qb.id, edit_sequence=qb.edit_sequence)
    return Built(xml, "ReceivePaymentModRq", d.warnings)


def _entity(inp: RequestInput) -> dict[str, Any] | None:
    ref = inp.refs.get(("customer", str(inp.data.get("customer"))))
    return None if ref is None else {"list_id": ref.id, "full_name": ref.full_name}


def build_lookup(inp: RequestInput, request_id: str) -> Built:
    """Return a ReceivePaymentQuery for the customer's payments on the payment's date."""
    d = Draft(inp)
    date = d.date(inp.data.get("date"), "date", "Payment date")
    xml = txn_query(
        "ReceivePaymentQueryRq",
        request_id,
        entity=_entity(inp),
        from_date=date,
        to_date=date,
        include_line_items=True,
    )
    return Built(xml, "ReceivePaymentQueryRq", [])


def matches(inp: RequestInput, ret: etree._Element) -> bool:
    """Tell whether a returned payment is ours: same date, amount, reference and customer."""
    d = Draft(inp)
    date = d.date(inp.data.get("date"), "date", "Payment date")
    amount = d.money(inp.data.get("amount"), "amount", "Payment amount")
    theirs_amount = text_of(ret, "TotalAmount")
    return (
        (date is None or date == text_of(ret, "TxnDate"))
        and (amount is None or (theirs_amount is not None and values.to_decimal(theirs_amount) == amount))
        and same_text(_reference(d), text_of(ret, "RefNumber"))
        and same_entity(inp, ret, "CustomerRef", _entity(inp))
    )


def total_warnings(inp: RequestInput, ret: etree._Element) -> list[str]:
    """Warn when QuickBooks recorded a different payment amount than the app sent."""
    theirs = text_of(ret, "TotalAmount")
    if theirs is None or blank(inp.data.get("amount")):
        return []
    ours = values.to_decimal(values.money(inp.data["amount"]))
    if values.to_decimal(theirs) == ours:
        return []
    return [f"QuickBooks recorded this payment as {values.money(theirs)}, but the app says {values.money(ours)}."]
