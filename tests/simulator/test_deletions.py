"""Deleting in QuickBooks and asking what was deleted: as strict as QuickBooks, and answers that validate."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from qbwc_server.simulator import FakeCompany
from qbwc_server.sync.builders.lists import build_deleted_query

from .helpers import one, qbxml, responses, status
from .test_invoices import INVOICE
from .test_schema import validate


def _payment(invoice_id: str, amount: str) -> str:
    return (
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Smith, John:1001 - 12 Oak St</FullName>"
        f"</CustomerRef><TotalAmount>{amount}</TotalAmount><AppliedToTxnAdd><TxnID>{invoice_id}</TxnID>"
        f"<PaymentAmount>{amount}</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>"
    )


@pytest.mark.parametrize(("version", "key"), [("13.0", "v13"), ("16.0", "v16")])
def test_deletions_are_refused_while_in_use_and_then_answered_by_the_deleted_queries(
    schema_dir: Path, version: str, key: str
) -> None:
    company = FakeCompany.demo(schema_dir=schema_dir)
    company.supports_versions("16.0")
    invoice = one(company, INVOICE, version=version).find("InvoiceRet")
    invoice_id = invoice.findtext("TxnID")
    customer_id = invoice.findtext("CustomerRef/ListID")
    payment = one(company, _payment(invoice_id, "10.00"), version=version).find("ReceivePaymentRet")

    # The job still has an invoice and a payment: QuickBooks refuses to delete it.
    refused = one(company, f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>{customer_id}</ListID></ListDelRq>")
    assert status(refused)[0] == 3180 and "in use" in status(refused)[2]
    wrong_type = one(company, f"<TxnDelRq><TxnDelType>Bill</TxnDelType><TxnID>{invoice_id}</TxnID></TxnDelRq>")
    assert status(wrong_type)[0] == 3120

    # Deleting the invoice leaves the payment's money as unused credit.
    text = company.process(
        qbxml(f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{invoice_id}</TxnID></TxnDelRq>", version=version)
    )
    validate(schema_dir, key, text)
    (deleted,) = responses(text)
    assert status(deleted)[0] == 0 and deleted.findtext("TxnID") == invoice_id
    assert deleted.findtext("RefNumber") == invoice.findtext("RefNumber")
    kept = company.by_txn_id[payment.findtext("TxnID")][1]
    assert kept["UnusedPayment"] == "10.00" and "AppliedToTxnRet" not in kept
    assert invoice_id not in company.by_txn_id

    asked = [
        build_deleted_query("1", ("Invoice", "ReceivePayment"), transactions=True).xml,
        build_deleted_query("2", ("Customer", "Vendor"), transactions=False).xml,
    ]
    answer = company.process(qbxml("".join(asked), version=version))
    validate(schema_dir, key, qbxml("".join(asked), version=version))
    validate(schema_dir, key, answer)
    txns, lists = responses(answer)
    assert status(txns)[0] == 0 and [r.findtext("TxnID") for r in txns] == [invoice_id]
    assert txns[0].findtext("TxnDelType") == "Invoice" and txns[0].findtext("TimeDeleted")
    assert status(lists)[0] == 1  # nothing of those lists was deleted


def test_the_deleted_queries_answer_only_what_was_deleted_since_the_date_asked(schema_dir: Path) -> None:
    company = FakeCompany.demo(schema_dir=schema_dir)
    vendor = company.list_by_name("Vendor", "ABC Plumbing Supply")
    company.delete(vendor["ListID"])
    (gone,) = company.state.deleted
    later = "2099-01-01T00:00:00"

    def ask(since: str | None) -> list[str]:
        when = datetime.fromisoformat(since) if since else None
        rs = one(company, build_deleted_query("1", ("Vendor",), transactions=False, from_deleted=when).xml)
        return [r.findtext("ListID") for r in rs]

    assert ask(None) == [vendor["ListID"]] == [gone["ID"]]
    assert ask(gone["TimeDeleted"][:19]) == [vendor["ListID"]]
    assert ask(later) == []
    # A deleted name is free again, as in QuickBooks.
    added = one(company, "<VendorAddRq><VendorAdd><Name>ABC Plumbing Supply</Name></VendorAdd></VendorAddRq>")
    assert status(added)[0] == 0
    with pytest.raises(KeyError):
        company.delete(vendor["ListID"])  # gone already
