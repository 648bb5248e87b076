"""CreditMemoAdd and CreditMemoMod: a customer credit with lines like an invoice's, its total and the credit left.

A credit is applied to invoices by a ReceivePaymentAdd whose AppliedToTxnAdd carries SetCredit (see payments);
the credit memo keeps what it applied to each invoice, and its CreditRemaining is the total less those amounts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lxml import etree

from . import refs
from .answer import Answer
from .invoices import _is_taxable, _line, recompute_invoice, tax_rate
from .rets import ORDER
from .txncommon import (
    check_lines_exist,
    default_account,
    header_fields,
    keep_ret_fields,
    refresh_customer_balance,
    txn_for_mod,
)
from .xmltools import fmt_money, fmt_number, money, to_value

if TYPE_CHECKING:
    from .company import CompanyStore

LINE_TAGS = {"CreditMemoLineAdd", "CreditMemoLineGroupAdd", "CreditMemoLineMod", "CreditMemoLineGroupMod"}
ANSWER_SKIP = frozenset({"LinkedTxn"})


def add_credit_memo(company: CompanyStore, rq: etree._Element) -> Answer:
    """Create a credit memo; all of its total is credit remaining until it is applied."""
    add = rq.find("CreditMemoAdd")
    fields = header_fields(add, LINE_TAGS)
    fields["CustomerRef"] = refs.resolve(company, "CustomerRef", fields.get("CustomerRef"), "CreditMemo")
    refs.resolve_all(company, fields, "CreditMemo")
    customer = refs.record_of(company, fields["CustomerRef"])
    lines = [_credit_line(company, {}, to_value(elem)) for elem in add.findall("CreditMemoLineAdd")]
    fields.setdefault("ARAccountRef", default_account(company, "DefaultARAccount"))
    fields.setdefault("TxnDate", company.today())
    if "ItemSalesTaxRef" not in fields and "ItemSalesTaxRef" in customer:
        fields["ItemSalesTaxRef"] = customer["ItemSalesTaxRef"]
    fields.setdefault("IsPending", "false")
    stored = keep_ret_fields("CreditMemoRet", {k: v for k, v in fields.items() if v is not None})
    record = company.insert_txn("CreditMemo", {**stored, "CreditMemoLineRet": lines, "_credits_applied": {}})
    recompute_credit_memo(company, record)
    return Answer(rets=[("CreditMemoRet", record)], skip=ANSWER_SKIP, change=("add", "CreditMemo"))


def mod_credit_memo(company: CompanyStore, rq: etree._Element) -> Answer:
    """Change a credit memo: TxnLineID -1 adds a line, a known one changes it, lines left out are deleted."""
    mod = rq.find("CreditMemoMod")
    fields = header_fields(mod, LINE_TAGS)
    record = txn_for_mod(company, "CreditMemo", fields)
    refs.resolve_all(company, fields, "CreditMemo")
    line_mods = [to_value(elem) for elem in mod.findall("CreditMemoLineMod")]
    if line_mods:
        existing = {line["TxnLineID"]: line for line in record["CreditMemoLineRet"]}
        check_lines_exist("CreditMemo", existing, line_mods)
        record["CreditMemoLineRet"] = [
            _credit_line(company, dict(existing.get(data["TxnLineID"], {})), data) for data in line_mods
        ]
    record.update(keep_ret_fields("CreditMemoRet", fields))
    company.touch(record)
    recompute_credit_memo(company, record)
    return Answer(rets=[("CreditMemoRet", record)], skip=ANSWER_SKIP, change=("mod", "CreditMemo"))


def _credit_line(company: CompanyStore, line: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    built = _line(company, line, data)  # an invoice line and a credit memo line have the same fields and order
    return {key: built[key] for key in ORDER["CreditMemoLineRet"] if key in built}


def recompute_credit_memo(company: CompanyStore, record: dict[str, Any]) -> None:
    """Recompute Subtotal, sales tax, TotalAmount and CreditRemaining, then the customer's balance."""
    lines = record.get("CreditMemoLineRet", [])
    subtotal = sum((money(line.get("Amount")) for line in lines), Decimal(0))
    taxable = sum(
        (money(line.get("Amount")) for line in lines if _is_taxable(company, line.get("SalesTaxCodeRef"))),
        Decimal(0),
    )
    rate = tax_rate(company, record.get("ItemSalesTaxRef"))
    tax = money(taxable * rate / 100)
    used = [*record.get("_credits_applied", {}).values(), *record.get("_refunded", {}).values()]
    applied = sum((money(amount) for amount in used), Decimal(0))
    record["Subtotal"] = fmt_money(subtotal)
    if record.get("ItemSalesTaxRef"):
        record["SalesTaxPercentage"] = fmt_number(rate) if rate else "0.00"
    record["SalesTaxTotal"] = fmt_money(tax)
    record["TotalAmount"] = fmt_money(subtotal + tax)
    record["CreditRemaining"] = fmt_money(subtotal + tax - applied)
    refresh_customer_balance(company, record["CustomerRef"]["ListID"])


def take_back(company: CompanyStore, credit: dict[str, Any]) -> None:
    """Take a voided or deleted credit memo off the invoices it was applied to: they are open for it again."""
    for invoice_id in list(credit.get("_credits_applied", {})):
        credit["_credits_applied"].pop(invoice_id)
        found = company.by_txn_id.get(invoice_id)
        if found is None:
            continue
        invoice = found[1]
        invoice.get("_applied", {}).pop(credit["TxnID"], None)
        invoice.get("_links", {}).pop(credit["TxnID"], None)
        recompute_invoice(company, invoice)
    for txn_id, link in list(credit.get("_links", {}).items()):
        if link["TxnType"] == "ReceivePayment":
            credit["_links"].pop(txn_id)  # the payments that applied it are no longer linked
    credit["LinkedTxn"] = [dict(link) for link in credit.get("_links", {}).values()]
    recompute_credit_memo(company, credit)
