"""Map QuickBooks' transactions (InvoiceRet, ReceivePaymentRet, BillRet) into our records' data, with their lines."""

from __future__ import annotations

from typing import Any

from lxml import etree

from qbwc_server.imports.entry import CUSTOMERS, Entry, base_entry, drop_empty, flag_at, text_at
from qbwc_server.models import RecordKind


def _customer_ref(entry: Entry, ret: etree._Element) -> None:
    customer_id = text_at(ret, "CustomerRef/ListID")
    full = text_at(ret, "CustomerRef/FullName") or ""
    if customer_id:
        entry.data["customer"] = f"qb-{customer_id}"
        entry.refs["customer"] = (CUSTOMERS, customer_id)
    entry.qb_data["customer_full_name"] = full


def invoice(ret: etree._Element) -> Entry:
    """Map an InvoiceRet with its lines (also those inside line groups) to invoice record data."""
    entry = base_entry(ret, "TxnID")
    entry.name = entry.full_name = text_at(ret, "RefNumber") or entry.qb_id
    entry.record_kind = RecordKind.INVOICE
    _customer_ref(entry, ret)
    entry.data.update(
        drop_empty(
            {
                "number": text_at(ret, "RefNumber"),
                "date": text_at(ret, "TxnDate"),
                "due_date": text_at(ret, "DueDate"),
                "terms": text_at(ret, "TermsRef/FullName"),
                "po_number": text_at(ret, "PONumber"),
                "memo": text_at(ret, "Memo"),
                "status": "paid" if flag_at(ret, "IsPaid") else "sent",
                "class": text_at(ret, "ClassRef/FullName"),
                "tax_rate": text_at(ret, "ItemSalesTaxRef/FullName"),
            }
        )
    )
    lines: list[dict[str, Any]] = []
    for line in ret.iter("InvoiceLineRet"):
        index = len(lines)
        item_id = text_at(line, "ItemRef/ListID")
        mapped = drop_empty(
            {
                "id": text_at(line, "TxnLineID"),
                "item": f"qb-{item_id}" if item_id else None,
                "description": text_at(line, "Desc"),
                "quantity": text_at(line, "Quantity"),
                "rate": text_at(line, "Rate") or text_at(line, "RatePercent"),
                "amount": text_at(line, "Amount"),
            }
        )
        if item_id:
            entry.refs[f"lines.{index}.item"] = ((RecordKind.ITEM,), item_id)
        code = text_at(line, "SalesTaxCodeRef/FullName")
        if code:
            entry.tax_codes[f"lines.{index}.taxable"] = code
        lines.append(mapped)
    entry.data["lines"] = lines
    entry.qb_data.update(
        drop_empty(
            {
                "subtotal": text_at(ret, "Subtotal"),
                "sales_tax_total": text_at(ret, "SalesTaxTotal"),
                "balance_remaining": text_at(ret, "BalanceRemaining"),
                "applied_amount": text_at(ret, "AppliedAmount"),
                "is_paid": flag_at(ret, "IsPaid"),
                "sales_tax_percentage": text_at(ret, "SalesTaxPercentage"),
            }
        )
    )
    return entry


def payment(ret: etree._Element) -> Entry:
    """Map a ReceivePaymentRet with the invoices it pays (AppliedToTxnRet) to payment record data."""
    entry = base_entry(ret, "TxnID")
    entry.name = entry.full_name = text_at(ret, "RefNumber") or entry.qb_id
    entry.record_kind = RecordKind.PAYMENT
    _customer_ref(entry, ret)
    entry.data.update(
        drop_empty(
            {
                "date": text_at(ret, "TxnDate"),
                "amount": text_at(ret, "TotalAmount"),
                "method": text_at(ret, "PaymentMethodRef/FullName"),
                "reference": text_at(ret, "RefNumber"),
                "memo": text_at(ret, "Memo"),
            }
        )
    )
    applied: list[dict[str, Any]] = []
    for index, applied_el in enumerate(ret.findall("AppliedToTxnRet")):
        txn_id = text_at(applied_el, "TxnID")
        # QuickBooks reports the amount applied as negative (it lowers the invoice's balance); ours is positive.
        amount = (text_at(applied_el, "Amount") or "").lstrip("-") or None
        applied.append(drop_empty({"invoice": f"qb-{txn_id}" if txn_id else None, "amount": amount}))
        if txn_id:
            entry.refs[f"applied_to.{index}.invoice"] = ((RecordKind.INVOICE,), txn_id)
            balance = text_at(applied_el, "BalanceRemaining")
            if balance is not None:
                # QuickBooks' balance of the invoice now: it tells whether our invoice is paid.
                entry.qb_data.setdefault("invoice_balances", {})[txn_id] = balance
    entry.data["applied_to"] = applied
    entry.qb_data.update(
        drop_empty(
            {
                "total": text_at(ret, "TotalAmount"),
                "deposit_account": text_at(ret, "DepositToAccountRef/FullName"),
                "unused_payment": text_at(ret, "UnusedPayment"),
            }
        )
    )
    return entry


def bill(ret: etree._Element) -> Entry:
    """Map a BillRet with its expense and item lines to bill record data."""
    entry = base_entry(ret, "TxnID")
    entry.name = entry.full_name = text_at(ret, "RefNumber") or entry.qb_id
    entry.record_kind = RecordKind.BILL
    vendor_id = text_at(ret, "VendorRef/ListID")
    if vendor_id:
        entry.data["vendor"] = f"qb-{vendor_id}"
        entry.refs["vendor"] = ((RecordKind.VENDOR,), vendor_id)
    entry.data.update(
        drop_empty(
            {
                "number": text_at(ret, "RefNumber"),
                "date": text_at(ret, "TxnDate"),
                "due_date": text_at(ret, "DueDate"),
                "memo": text_at(ret, "Memo"),
            }
        )
    )
    expense_lines: list[dict[str, Any]] = []
    for index, line in enumerate(ret.findall("ExpenseLineRet")):
        expense_lines.append(
            drop_empty(
                {
                    "id": text_at(line, "TxnLineID"),
                    "account": text_at(line, "AccountRef/FullName"),
                    "amount": text_at(line, "Amount"),
                    "memo": text_at(line, "Memo"),
                }
            )
        )
        _billable(entry, line, f"expense_lines.{index}", expense_lines[-1])
    item_lines: list[dict[str, Any]] = []
    for index, line in enumerate(ret.iter("ItemLineRet")):
        item_id = text_at(line, "ItemRef/ListID")
        item_lines.append(
            drop_empty(
                {
                    "id": text_at(line, "TxnLineID"),
                    "item": f"qb-{item_id}" if item_id else None,
                    "description": text_at(line, "Desc"),
                    "quantity": text_at(line, "Quantity"),
                    "cost": text_at(line, "Cost"),
                    "amount": text_at(line, "Amount"),
                }
            )
        )
        if item_id:
            entry.refs[f"item_lines.{index}.item"] = ((RecordKind.ITEM,), item_id)
        _billable(entry, line, f"item_lines.{index}", item_lines[-1])
    entry.data["expense_lines"] = expense_lines
    entry.data["item_lines"] = item_lines
    entry.qb_data.update(
        drop_empty(
            {
                "vendor_full_name": text_at(ret, "VendorRef/FullName"),
                "amount_due": text_at(ret, "AmountDue"),
                "open_amount": text_at(ret, "OpenAmount"),
                "is_paid": flag_at(ret, "IsPaid"),
            }
        )
    )
    return entry


def _billable(entry: Entry, line: etree._Element, path: str, mapped: dict[str, Any]) -> None:
    """Keep the customer (or job) a bill line is billable to; the store turns it into our customer and job."""
    customer_id = text_at(line, "CustomerRef/ListID")
    if customer_id:
        mapped["customer"] = f"qb-{customer_id}"
        entry.refs[f"{path}.customer"] = (CUSTOMERS, customer_id)
