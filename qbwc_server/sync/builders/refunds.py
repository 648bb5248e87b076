"""Refunds: ARRefundCreditCardAdd, money paid back to a customer from the company's refund account against a credit
memo's credit or a payment's unused amount (an overpayment). QuickBooks has no Mod for a refund."""

from __future__ import annotations

from typing import Any

from lxml import etree

from qbwc_server.qbxml import limits, values
from qbwc_server.qbxml.parse import text_of
from qbwc_server.qbxml.render import render
from qbwc_server.sync.builders.drafting import Draft, blank
from qbwc_server.sync.builders.invoices import same_entity
from qbwc_server.sync.builders.lists import txn_query
from qbwc_server.sync.builders.types import Built, ProblemKind, RecordProblem, RequestInput

NO_REFUND_ACCOUNT = (
    "Choose the account refunds are paid from (the setting refund_account: a bank account or Undeposited Funds)."
)


def credit_ref(inp: RequestInput) -> tuple[str, str]:
    """Return the (kind, external_id) of the credit a refund pays back."""
    if not blank(inp.data.get("credit_memo")):
        return "credit_memo", str(inp.data["credit_memo"])
    return "payment", str(inp.data.get("payment"))


def build(inp: RequestInput, request_id: str) -> Built:
    """Return the ARRefundCreditCardAdd; a refund QuickBooks has already cannot be changed there."""
    if inp.qb is not None:
        raise RecordProblem(
            "amount",
            "QuickBooks cannot change a refund once it is recorded. Remove this refund (it is voided) and send a new "
            "one with another external_id.",
        )
    d = Draft(inp)
    account = d.setting("refund_account")
    if blank(account):
        raise RecordProblem("refund_account", NO_REFUND_ACCOUNT, ProblemKind.REFUND_ACCOUNT)
    kind, external_id = credit_ref(inp)
    credit = inp.refs.get((kind, external_id))
    if credit is None or not credit.id:
        raise RecordProblem(kind, f"The {kind.replace('_', ' ')} '{external_id}' this refund pays back is not in "
                            "QuickBooks yet.")  # fmt: skip
    r: dict[str, Any] = {
        "customer": d.record_ref("customer", inp.data.get("customer"), "customer"),
        "account": d.named_ref(account, limits.ACCOUNT_FULL_NAME, "Refund account setting", "refund_account"),
        "txn_date": d.date(inp.data.get("date"), "date", "Refund date"),
        "method": d.named_ref(inp.data.get("method"), limits.PAYMENT_METHOD_NAME, "Payment method", "method"),
        "memo": d.text(inp.data.get("memo"), limits.MEMO, "Memo"),
        "credit_txn_id": credit.id,
        "amount": d.money(inp.data.get("amount"), "amount", "Refund amount"),
    }
    xml = render("ar_refund_credit_card_add.xml.j2", request_id=request_id, r=r)
    return Built(xml, "ARRefundCreditCardAddRq", d.warnings)


def _entity(inp: RequestInput) -> dict[str, Any] | None:
    ref = inp.refs.get(("customer", str(inp.data.get("customer"))))
    return None if ref is None else {"list_id": ref.id, "full_name": ref.full_name}


def build_lookup(inp: RequestInput, request_id: str) -> Built:
    """Return an ARRefundCreditCardQuery for the customer's refunds on the refund's date."""
    date = Draft(inp).date(inp.data.get("date"), "date", "Refund date")
    xml = txn_query(
        "ARRefundCreditCardQueryRq",
        request_id,
        entity=_entity(inp),
        from_date=date,
        to_date=date,
        include_line_items=True,
    )
    return Built(xml, "ARRefundCreditCardQueryRq", [])


def matches(inp: RequestInput, ret: etree._Element) -> bool:
    """Tell whether a returned refund is ours: same date, amount, customer and the same credit paid back."""
    d = Draft(inp)
    date = d.date(inp.data.get("date"), "date", "Refund date")
    amount = d.money(inp.data.get("amount"), "amount", "Refund amount")
    theirs = text_of(ret, "TotalAmount")
    credit = inp.refs.get(credit_ref(inp))
    paid_back = {text_of(applied, "TxnID") for applied in ret.findall("RefundAppliedToTxnRet")}
    return (
        (date is None or date == text_of(ret, "TxnDate"))
        and (amount is None or (theirs is not None and values.to_decimal(theirs) == amount))
        and same_entity(inp, ret, "CustomerRef", _entity(inp))
        and (credit is None or not paid_back or credit.id in paid_back)
    )
