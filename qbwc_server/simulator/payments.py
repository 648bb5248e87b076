"""ReceivePaymentAdd: a customer payment applied to invoices, updating their balances."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lxml import etree

from . import refs
from .answer import Answer
from .errors import RequestError
from .invoices import invoice_for_payment, recompute_invoice
from .lists import object_not_found
from .txncommon import default_account, header_fields, keep_ret_fields, refresh_customer_balance
from .xmltools import fmt_money, money, to_value

if TYPE_CHECKING:
    from .company import CompanyStore

LINE_TAGS = {"AppliedToTxnAdd", "IsAutoApply"}


def overpaid(amount: str) -> RequestError:
    """Return QuickBooks' 3210 error for applying more than an invoice's open balance."""
    return RequestError(
        3210,
        f'The "AppliedToTxnAdd payment amount" field has an invalid value "{amount}".  '
        "QuickBooks error message: You cannot pay more than the amount due.",
    )


def add_payment(company: CompanyStore, rq: etree._Element) -> Answer:
    """Record a payment, apply it to the invoices named (or oldest first with IsAutoApply)."""
    add = rq.find("ReceivePaymentAdd")
    fields = header_fields(add, LINE_TAGS)
    fields["CustomerRef"] = refs.resolve(company, "CustomerRef", fields.get("CustomerRef"), "ReceivePayment")
    refs.resolve_all(company, fields, "ReceivePayment")
    customer_id = fields["CustomerRef"]["ListID"]
    total = money(fields.get("TotalAmount"))
    plan = _plan(company, customer_id, add, total)
    fields.setdefault("ARAccountRef", default_account(company, "DefaultARAccount"))
    fields.setdefault("TxnDate", company.today())
    fields["TotalAmount"] = fmt_money(total)
    fields.setdefault("DepositToAccountRef", default_account(company, "DefaultDepositAccount"))
    applied_total = sum((amount for _, amount, _ in plan), Decimal(0))
    fields["UnusedPayment"] = fmt_money(total - applied_total)
    fields["UnusedCredits"] = "0.00"
    stored = keep_ret_fields("ReceivePaymentRet", {k: v for k, v in fields.items() if v is not None})
    record = company.insert_txn("ReceivePayment", stored)
    applied_rets = []
    for invoice, amount, _ in plan:
        invoice.setdefault("_applied", {})[record["TxnID"]] = fmt_money(amount)
        invoice.setdefault("_links", {})[record["TxnID"]] = {
            "TxnID": record["TxnID"],
            "TxnType": "ReceivePayment",
            "TxnDate": record["TxnDate"],
            **({"RefNumber": record["RefNumber"]} if record.get("RefNumber") else {}),
            "LinkType": "AMTTYPE",
            "Amount": fmt_money(-amount),
        }
        recompute_invoice(company, invoice)
        applied_rets.append(
            {
                "TxnID": invoice["TxnID"],
                "TxnType": "Invoice",
                "TxnDate": invoice["TxnDate"],
                **({"RefNumber": invoice["RefNumber"]} if invoice.get("RefNumber") else {}),
                "BalanceRemaining": invoice["BalanceRemaining"],
                "Amount": fmt_money(-amount),
            }
        )
    if applied_rets:
        record["AppliedToTxnRet"] = applied_rets
    refresh_customer_balance(company, customer_id)
    return Answer(rets=[("ReceivePaymentRet", record)], change=("add", "ReceivePayment"))


def _plan(
    company: CompanyStore, customer_id: str, add: etree._Element, total: Decimal
) -> list[tuple[dict[str, Any], Decimal, str]]:
    """Check every application before changing anything, so an error leaves all invoices untouched."""
    plan: list[tuple[dict[str, Any], Decimal, str]] = []
    family = _customer_family(company, customer_id)
    if add.findtext("IsAutoApply") == "true":
        remaining = total
        open_invoices = sorted(
            (
                inv
                for inv in company.state.txns["Invoice"].values()
                if inv["CustomerRef"]["ListID"] in family and money(inv["BalanceRemaining"]) > 0
            ),
            key=lambda inv: (inv["TxnDate"], inv["_seq"]),
        )
        for invoice in open_invoices:
            if remaining <= 0:
                break
            amount = min(remaining, money(invoice["BalanceRemaining"]))
            plan.append((invoice, amount, fmt_money(amount)))
            remaining -= amount
        return plan
    for elem in add.findall("AppliedToTxnAdd"):
        data: dict[str, Any] = to_value(elem)
        paid = invoice_for_payment(company, data.get("TxnID", ""))
        if paid is None or paid["CustomerRef"]["ListID"] not in family:
            raise object_not_found(data.get("TxnID", ""))
        invoice = paid
        given = data.get("PaymentAmount")
        amount = money(given) if given is not None else money(invoice["BalanceRemaining"])
        if amount > money(invoice["BalanceRemaining"]):
            raise overpaid(given or fmt_money(amount))
        plan.append((invoice, amount, given or fmt_money(amount)))
    return plan


def _customer_family(company: CompanyStore, customer_id: str) -> set[str]:
    """Return the customer and all of its jobs: a payment from a customer may pay its jobs' invoices."""
    family = {customer_id}
    changed = True
    while changed:
        changed = False
        for record in company.state.lists["Customer"].values():
            parent = record.get("ParentRef", {}).get("ListID")
            if parent in family and record["ListID"] not in family:
                family.add(record["ListID"])
                changed = True
    return family
