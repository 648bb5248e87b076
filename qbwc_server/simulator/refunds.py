"""ARRefundCreditCardAdd: money paid back to a customer from an account, against a credit memo's credit remaining or
a payment's unused amount; more than is left is refused, as QuickBooks does."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lxml import etree

from . import refs
from .answer import Answer
from .credit_memos import recompute_credit_memo
from .errors import RequestError
from .lists import object_not_found
from .txncommon import default_account, header_fields, keep_ret_fields, refresh_customer_balance
from .xmltools import fmt_money, money

if TYPE_CHECKING:
    from .company import CompanyStore

# What is left to refund on each kind of credit.
LEFT = {"CreditMemo": "CreditRemaining", "ReceivePayment": "UnusedPayment"}


def over_refund(amount: Decimal, left: Decimal) -> RequestError:
    """Return the error for refunding more than the credit has left."""
    return RequestError(
        3210,
        f'The "RefundAmount" field has an invalid value "{fmt_money(amount)}".  QuickBooks error message: The '
        f"transaction has only {fmt_money(left)} of credit remaining.",
    )


def add_refund(company: CompanyStore, rq: etree._Element) -> Answer:
    """Record a refund and take it off the credits it pays back."""
    add = rq.find("ARRefundCreditCardAdd")
    fields = header_fields(add, {"RefundAppliedToTxnAdd"})
    fields["CustomerRef"] = refs.resolve(company, "CustomerRef", fields.get("CustomerRef"), "ARRefundCreditCard")
    refs.resolve_all(company, fields, "ARRefundCreditCard")
    customer_id = fields["CustomerRef"]["ListID"]
    plan: list[tuple[str, dict[str, Any], Decimal]] = []
    for elem in add.findall("RefundAppliedToTxnAdd"):
        txn_id = elem.findtext("TxnID") or ""
        found = company.by_txn_id.get(txn_id)
        if found is None or found[0] not in LEFT or found[1]["CustomerRef"]["ListID"] != customer_id:
            raise object_not_found(txn_id)
        amount = money(elem.findtext("RefundAmount"))
        left = money(found[1].get(LEFT[found[0]]))
        if amount > left:
            raise over_refund(amount, left)
        plan.append((found[0], found[1], amount))
    total = sum((amount for _, _, amount in plan), Decimal(0))
    fields.setdefault("ARAccountRef", default_account(company, "DefaultARAccount"))
    fields.setdefault("RefundFromAccountRef", default_account(company, "DefaultDepositAccount"))
    fields.setdefault("TxnDate", company.today())
    fields["TotalAmount"] = fmt_money(total)
    stored = keep_ret_fields("ARRefundCreditCardRet", {k: v for k, v in fields.items() if v is not None})
    record = company.insert_txn("ARRefundCreditCard", stored)
    applied = []
    for kind, credit, amount in plan:
        credit.setdefault("_refunded", {})[record["TxnID"]] = fmt_money(amount)
        credit.setdefault("_links", {})[record["TxnID"]] = {
            "TxnID": record["TxnID"],
            "TxnType": "ARRefundCreditCard",
            "TxnDate": record["TxnDate"],
            "LinkType": "AMTTYPE",
            "Amount": fmt_money(-amount),
        }
        credit["LinkedTxn"] = [dict(link) for link in credit["_links"].values()]
        _recompute_credit(company, kind, credit)
        company.touch(credit)
        applied.append(
            {
                "TxnID": credit["TxnID"],
                "TxnType": kind,
                "TxnDate": credit["TxnDate"],
                **({"RefNumber": credit["RefNumber"]} if credit.get("RefNumber") else {}),
                "CreditRemaining": credit[LEFT[kind]],
                "RefundAmount": fmt_money(amount),
            }
        )
    record["RefundAppliedToTxnRet"] = applied
    refresh_customer_balance(company, customer_id)
    return Answer(rets=[("ARRefundCreditCardRet", record)], change=("add", "ARRefundCreditCard"))


def give_back(company: CompanyStore, refund: dict[str, Any]) -> None:
    """Undo a voided or deleted refund: the credits it paid back have that much left again."""
    for applied in refund.get("RefundAppliedToTxnRet", []):
        found = company.by_txn_id.get(applied["TxnID"])
        if found is None:
            continue
        found[1].get("_refunded", {}).pop(refund["TxnID"], None)
        found[1].get("_links", {}).pop(refund["TxnID"], None)
        found[1]["LinkedTxn"] = [dict(link) for link in found[1].get("_links", {}).values()]
        _recompute_credit(company, found[0], found[1])
        company.touch(found[1])
        applied["RefundAmount"] = "0.00"
    refresh_customer_balance(company, refund["CustomerRef"]["ListID"])


def _recompute_credit(company: CompanyStore, kind: str, credit: dict[str, Any]) -> None:
    if kind == "CreditMemo":
        recompute_credit_memo(company, credit)
        return
    applied = sum((money(ret.get("Amount")) for ret in credit.get("AppliedToTxnRet", [])), Decimal(0))  # negative
    refunded = sum((money(amount) for amount in credit.get("_refunded", {}).values()), Decimal(0))
    credit["UnusedPayment"] = fmt_money(money(credit["TotalAmount"]) + applied - refunded)
