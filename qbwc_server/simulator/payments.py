"""ReceivePaymentAdd and ReceivePaymentMod: a customer payment applied to invoices, updating their balances.

A Mod that lists AppliedToTxnMod aggregates replaces the payment's applications with those listed (an invoice left
out is unapplied and its balance restored); a Mod without any keeps the applications it has.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lxml import etree

from . import refs
from .answer import Answer
from .credit_memos import recompute_credit_memo
from .errors import RequestError
from .invoices import invoice_for_payment, recompute_invoice
from .lists import object_not_found
from .txncommon import default_account, header_fields, keep_ret_fields, refresh_customer_balance, txn_for_mod
from .xmltools import fmt_money, money, to_value

if TYPE_CHECKING:
    from .company import CompanyStore

LINE_TAGS = {"AppliedToTxnAdd", "IsAutoApply"}
MOD_LINE_TAGS = {"AppliedToTxnMod"}
Plan = list[tuple[dict[str, Any], Decimal, str]]


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
    credits = _credit_plan(company, customer_id, add, plan)
    fields.setdefault("ARAccountRef", default_account(company, "DefaultARAccount"))
    fields.setdefault("TxnDate", company.today())
    fields["TotalAmount"] = fmt_money(total)
    fields.setdefault("DepositToAccountRef", default_account(company, "DefaultDepositAccount"))
    stored = keep_ret_fields("ReceivePaymentRet", {k: v for k, v in fields.items() if v is not None})
    record = company.insert_txn("ReceivePayment", stored)
    _apply(company, record, plan)
    _apply_credits(company, record, credits)
    refresh_customer_balance(company, customer_id)
    return Answer(rets=[("ReceivePaymentRet", record)], change=("add", "ReceivePayment"))


def mod_payment(company: CompanyStore, rq: etree._Element) -> Answer:
    """Change a payment: its header, its amount and, when AppliedToTxnMod is given, the invoices it pays."""
    mod = rq.find("ReceivePaymentMod")
    fields = header_fields(mod, MOD_LINE_TAGS)
    record = txn_for_mod(company, "ReceivePayment", fields)
    old_customer = record["CustomerRef"]["ListID"]
    if "CustomerRef" in fields:
        fields["CustomerRef"] = refs.resolve(company, "CustomerRef", fields["CustomerRef"], "ReceivePayment")
    refs.resolve_all(company, fields, "ReceivePayment")
    customer_id = (fields.get("CustomerRef") or record["CustomerRef"])["ListID"]
    total = money(fields.get("TotalAmount", record["TotalAmount"]))
    current = _applications(company, record["TxnID"])
    applications = mod.findall("AppliedToTxnMod")
    if applications:
        plan = _plan_applications(company, customer_id, applications, record["TxnID"])
    else:
        if customer_id != old_customer and current:
            # The invoices it pays belong to the old customer: QuickBooks wants the applications restated.
            raise object_not_found(next(iter(current)))
        plan = [(invoice, amount, fmt_money(amount)) for invoice, amount in current.values()]
    # Everything is checked: take this payment off its invoices, then apply it as planned.
    for invoice, _ in current.values():
        invoice.get("_applied", {}).pop(record["TxnID"], None)
        invoice.get("_links", {}).pop(record["TxnID"], None)
        recompute_invoice(company, invoice)
    record.update(keep_ret_fields("ReceivePaymentRet", {k: v for k, v in fields.items() if v is not None}))
    record["TotalAmount"] = fmt_money(total)
    record.pop("AppliedToTxnRet", None)
    _apply(company, record, plan)
    company.touch(record)
    refresh_customer_balance(company, customer_id)
    if old_customer != customer_id:
        refresh_customer_balance(company, old_customer)
    return Answer(rets=[("ReceivePaymentRet", record)], change=("mod", "ReceivePayment"))


def _apply(company: CompanyStore, record: dict[str, Any], plan: Plan) -> None:
    """Apply the payment to the planned invoices and note the unused amount, as QuickBooks shows both."""
    applied_total = sum((amount for _, amount, _ in plan), Decimal(0))
    refunded = sum((money(amount) for amount in record.get("_refunded", {}).values()), Decimal(0))
    record["UnusedPayment"] = fmt_money(money(record["TotalAmount"]) - applied_total - refunded)
    record["UnusedCredits"] = "0.00"
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


def _credit_plan(
    company: CompanyStore, customer_id: str, add: etree._Element, plan: Plan
) -> list[tuple[dict[str, Any], dict[str, Any], Decimal]]:
    """Check each SetCredit (a credit memo's credit applied to an invoice) before anything changes."""
    credits: list[tuple[dict[str, Any], dict[str, Any], Decimal]] = []
    family = _customer_family(company, customer_id)
    paying = {id(invoice): amount for invoice, amount, _ in plan}
    left: dict[str, Decimal] = {}
    for elem in add.findall("AppliedToTxnAdd"):
        invoice = invoice_for_payment(company, elem.findtext("TxnID") or "")
        for set_credit in elem.findall("SetCredit"):
            credit_id = set_credit.findtext("CreditTxnID") or ""
            found = company.by_txn_id.get(credit_id)
            if invoice is None or found is None or found[0] != "CreditMemo":
                raise object_not_found(credit_id)
            credit = found[1]
            if credit["CustomerRef"]["ListID"] not in family:
                raise object_not_found(credit_id)
            amount = money(set_credit.findtext("AppliedAmount"))
            remaining = left.setdefault(credit_id, money(credit["CreditRemaining"]))
            if amount > remaining:
                raise RequestError(
                    3210,
                    f'The "AppliedAmount" field has an invalid value "{fmt_money(amount)}".  QuickBooks error '
                    f"message: The credit memo has only {fmt_money(remaining)} of credit remaining.",
                )
            open_balance = money(invoice["BalanceRemaining"]) - paying.get(id(invoice), Decimal(0))
            if amount > open_balance:
                raise overpaid(fmt_money(amount))
            left[credit_id] = remaining - amount
            paying[id(invoice)] = paying.get(id(invoice), Decimal(0)) + amount
            credits.append((invoice, credit, amount))
    return credits


def _apply_credits(
    company: CompanyStore, record: dict[str, Any], credits: list[tuple[dict[str, Any], dict[str, Any], Decimal]]
) -> None:
    """Apply each planned credit: the invoice's balance falls, the credit memo's credit remaining too."""
    for invoice, credit, amount in credits:
        applied = invoice.setdefault("_applied", {})
        applied[credit["TxnID"]] = fmt_money(money(applied.get(credit["TxnID"], "0")) + amount)
        invoice.setdefault("_links", {})[credit["TxnID"]] = {
            "TxnID": credit["TxnID"],
            "TxnType": "CreditMemo",
            "TxnDate": credit["TxnDate"],
            **({"RefNumber": credit["RefNumber"]} if credit.get("RefNumber") else {}),
            "LinkType": "AMTTYPE",
            "Amount": fmt_money(-money(applied[credit["TxnID"]])),
        }
        recompute_invoice(company, invoice)
        done = credit.setdefault("_credits_applied", {})
        done[invoice["TxnID"]] = fmt_money(money(done.get(invoice["TxnID"], "0")) + amount)
        link = credit.setdefault("_links", {}).setdefault(
            record["TxnID"],
            {"TxnID": record["TxnID"], "TxnType": "ReceivePayment", "TxnDate": record["TxnDate"],
             "LinkType": "AMTTYPE", "Amount": "0.00"},
        )  # fmt: skip
        link["Amount"] = fmt_money(money(link["Amount"]) - amount)
        credit["LinkedTxn"] = [dict(value) for value in credit["_links"].values()]
        recompute_credit_memo(company, credit)
        company.touch(credit)


def _applications(company: CompanyStore, payment_id: str) -> dict[str, tuple[dict[str, Any], Decimal]]:
    """Return the invoices a payment is applied to now, by TxnID, with the amount applied to each."""
    return {
        invoice["TxnID"]: (invoice, money(invoice["_applied"][payment_id]))
        for invoice in company.state.txns["Invoice"].values()
        if payment_id in invoice.get("_applied", {})
    }


def _plan(company: CompanyStore, customer_id: str, add: etree._Element, total: Decimal) -> Plan:
    """Check every application before changing anything, so an error leaves all invoices untouched."""
    plan: Plan = []
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
    return _plan_applications(company, customer_id, add.findall("AppliedToTxnAdd"))


def _plan_applications(
    company: CompanyStore, customer_id: str, elems: list[etree._Element], payment_id: str | None = None
) -> Plan:
    """Check each AppliedToTxnAdd/Mod against its invoice's open balance (what this payment pays already counts)."""
    plan: Plan = []
    family = _customer_family(company, customer_id)
    for elem in elems:
        data: dict[str, Any] = to_value(elem)
        paid = invoice_for_payment(company, data.get("TxnID", ""))
        if paid is None or paid["CustomerRef"]["ListID"] not in family:
            raise object_not_found(data.get("TxnID", ""))
        invoice = paid
        open_balance = money(invoice["BalanceRemaining"])
        if payment_id is not None:
            open_balance += money(invoice.get("_applied", {}).get(payment_id, "0"))
        given = data.get("PaymentAmount")
        amount = money(given) if given is not None else open_balance
        if amount > open_balance:
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
