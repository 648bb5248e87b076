"""TxnVoid and TxnDel as QuickBooks does them: a void keeps the transaction with its number and zero amounts, a
delete removes it; either takes received payments off an invoice (they become unused credit), and deleting a payment
un-applies it, so the invoices it paid are open again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from .answer import Answer
from .bills import _recompute as recompute_bill
from .credit_memos import recompute_credit_memo, take_back
from .invoices import recompute_invoice
from .lists import object_not_found
from .refunds import give_back
from .txncommon import refresh_customer_balance, refresh_vendor_balance
from .xmltools import fmt_money, money

if TYPE_CHECKING:
    from .company import CompanyStore

VOID_MARK = "VOID:"
# The transaction types this company keeps, by the names TxnVoidType / TxnDelType use.
VOIDABLE = frozenset({"Invoice", "Bill", "CreditMemo", "ARRefundCreditCard"})
DELETABLE = frozenset({"Invoice", "Bill", "ReceivePayment", "CreditMemo", "ARRefundCreditCard"})


def txn_void(company: CompanyStore, rq: etree._Element) -> Answer:
    """Void a transaction: zero its lines and amounts, mark its memo, keep its number; payments on it are freed."""
    txn_type, record = _target(company, rq, "TxnVoidType", VOIDABLE)
    if record.get("Memo", "").startswith(VOID_MARK):
        # QuickBooks answers a second void of a void transaction without changing it.
        return _answer("TxnVoidType", txn_type, record, company, deleted=False)
    for key in ("InvoiceLineRet", "ExpenseLineRet", "ItemLineRet", "CreditMemoLineRet"):
        for line in record.get(key, []):
            line["Amount"] = "0.00"
            if "Quantity" in line:
                line["Quantity"] = "0"
    record["Memo"] = f"{VOID_MARK} {record['Memo']}" if record.get("Memo") else VOID_MARK
    if txn_type == "Invoice":
        _free_payments(company, record)
        recompute_invoice(company, record)
    elif txn_type == "CreditMemo":
        take_back(company, record)  # its credit leaves the invoices it was applied to
    elif txn_type == "ARRefundCreditCard":
        give_back(company, record)  # the credits it paid back have that much left again
        record["TotalAmount"] = "0.00"
    else:
        recompute_bill(company, record)
    company.touch(record)
    return _answer("TxnVoidType", txn_type, record, company, deleted=False)


def txn_del(company: CompanyStore, rq: etree._Element) -> Answer:
    """Delete a transaction; a payment's applications go with it and the invoices it paid are open again."""
    txn_type, record = _target(company, rq, "TxnDelType", DELETABLE)
    del company.state.txns[txn_type][record["TxnID"]]
    del company.by_txn_id[record["TxnID"]]
    if txn_type == "Invoice":
        _free_payments(company, record)
        refresh_customer_balance(company, record["CustomerRef"]["ListID"])
    elif txn_type == "CreditMemo":
        take_back(company, record)
        refresh_customer_balance(company, record["CustomerRef"]["ListID"])
    elif txn_type == "ARRefundCreditCard":
        give_back(company, record)
    elif txn_type == "ReceivePayment":
        for invoice in company.state.txns["Invoice"].values():
            if record["TxnID"] in invoice.get("_applied", {}):
                invoice["_applied"].pop(record["TxnID"])
                invoice.get("_links", {}).pop(record["TxnID"], None)
                recompute_invoice(company, invoice)
        refresh_customer_balance(company, record["CustomerRef"]["ListID"])
    else:
        refresh_vendor_balance(company, record["VendorRef"]["ListID"])
    return _answer("TxnDelType", txn_type, record, company, deleted=True)


def _target(
    company: CompanyStore, rq: etree._Element, type_tag: str, allowed: frozenset[str]
) -> tuple[str, dict[str, Any]]:
    """Return the transaction a void or delete names, refusing a type this company cannot remove that way."""
    txn_type = rq.findtext(type_tag) or ""
    txn_id = rq.findtext("TxnID") or ""
    found = company.by_txn_id.get(txn_id)
    if found is None or found[0] != txn_type or txn_type not in allowed:
        raise object_not_found(txn_id)
    return txn_type, found[1]


def _free_payments(company: CompanyStore, invoice: dict[str, Any]) -> None:
    """Take every payment off an invoice that is voided or deleted: what each applied becomes its unused credit."""
    for payment_id, amount in list(invoice.get("_applied", {}).items()):
        payment = company.state.txns["ReceivePayment"].get(payment_id)
        invoice["_applied"].pop(payment_id)
        invoice.get("_links", {}).pop(payment_id, None)
        credit = company.state.txns["CreditMemo"].get(payment_id)
        if credit is not None:
            # A credit applied to it is the credit memo's again.
            credit.get("_credits_applied", {}).pop(invoice["TxnID"], None)
            recompute_credit_memo(company, credit)
            company.touch(credit)
        if payment is None:
            continue
        payment["UnusedPayment"] = fmt_money(money(payment.get("UnusedPayment")) + money(amount))
        kept = [ret for ret in payment.get("AppliedToTxnRet", []) if ret["TxnID"] != invoice["TxnID"]]
        if kept:
            payment["AppliedToTxnRet"] = kept
        else:
            payment.pop("AppliedToTxnRet", None)
        company.touch(payment)


def _answer(type_tag: str, txn_type: str, record: dict[str, Any], company: CompanyStore, *, deleted: bool) -> Answer:
    """Return the TxnVoidRs / TxnDelRs body: the type, the TxnID, the times and the number QuickBooks kept."""
    fields: list[tuple[str, str]] = [(type_tag, txn_type), ("TxnID", record["TxnID"])]
    if deleted:
        fields.append(("TimeDeleted", company.stamp()))
    else:
        fields += [("TimeCreated", record["TimeCreated"]), ("TimeModified", record["TimeModified"])]
    if record.get("RefNumber"):
        fields.append(("RefNumber", record["RefNumber"]))
    change = "delete" if deleted else "void"
    return Answer(fields=fields, change=(change, txn_type))
