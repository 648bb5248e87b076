"""Invoices, payments and bills: the totals and balances a bookkeeper sees in QuickBooks."""

from __future__ import annotations

from lxml import etree

from qbwc_server.simulator import FakeCompany

from .helpers import one, status

INVOICE = (
    "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Smith, John:1001 - 12 Oak St</FullName></CustomerRef>"
    "<TxnDate>2023-11-01</TxnDate><RefNumber>INV-1</RefNumber>"
    "<TermsRef><FullName>Net 15</FullName></TermsRef>"
    "<ItemSalesTaxRef><FullName>State Tax</FullName></ItemSalesTaxRef>"
    "<InvoiceLineAdd><ItemRef><FullName>Labor</FullName></ItemRef><Quantity>2</Quantity></InvoiceLineAdd>"
    "<InvoiceLineAdd><ItemRef><FullName>Pipe Fittings</FullName></ItemRef><Quantity>4</Quantity>"
    "<Rate>12.50</Rate></InvoiceLineAdd>"
    "<InvoiceLineAdd><ItemRef><FullName>Materials</FullName></ItemRef><Desc>Valve</Desc>"
    "<Amount>100.00</Amount><SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef></InvoiceLineAdd>"
    "</InvoiceAdd></InvoiceAddRq>"
)


def add_invoice(company: FakeCompany) -> tuple[str, str, list[str]]:
    rs = one(company, INVOICE)
    assert status(rs)[0] == 0, status(rs)
    ret = rs.find("InvoiceRet")
    lines = [line.text for line in ret.findall("InvoiceLineRet/TxnLineID")]
    return ret.findtext("TxnID"), ret.findtext("EditSequence"), lines


def pay(company: FakeCompany, txn_id: str, amount: str, total: str | None = None) -> object:
    return one(
        company,
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Smith, John:1001 - 12 Oak St</FullName>"
        f"</CustomerRef><TxnDate>2023-11-10</TxnDate><RefNumber>CHK-88</RefNumber>"
        f"<TotalAmount>{total or amount}</TotalAmount><PaymentMethodRef><FullName>Check</FullName></PaymentMethodRef>"
        f"<AppliedToTxnAdd><TxnID>{txn_id}</TxnID><PaymentAmount>{amount}</PaymentAmount></AppliedToTxnAdd>"
        "</ReceivePaymentAdd></ReceivePaymentAddRq>",
    )


def test_invoice_totals_tax_and_due_date(company: FakeCompany) -> None:
    rs = one(company, INVOICE)
    ret = rs.find("InvoiceRet")
    # Labor 2 x 85.00 (non-taxable service) + fittings 4 x 12.50 (taxable) + valve 100.00 marked Non
    assert [line.findtext("Amount") for line in ret.findall("InvoiceLineRet")] == [
        "170.00",
        "50.00",
        "100.00",
    ]
    assert ret.findtext("InvoiceLineRet/Rate") == "85.00"
    assert ret.findtext("Subtotal") == "320.00"
    assert ret.findtext("SalesTaxPercentage") == "6.25"
    assert ret.findtext("SalesTaxTotal") == "3.13"  # 6.25 % of the 50.00 taxable line, rounded
    assert ret.findtext("BalanceRemaining") == "323.13"
    assert ret.findtext("IsPaid") == "false"
    assert ret.findtext("DueDate") == "2023-11-16"
    assert ret.findtext("CustomerRef/FullName") == "Smith, John:1001 - 12 Oak St"
    assert all(line.findtext("TxnLineID") for line in ret.findall("InvoiceLineRet"))


def test_payments_reduce_balances_and_overpaying_is_3210(company: FakeCompany) -> None:
    txn_id, _, _ = add_invoice(company)
    first = pay(company, txn_id, "300.00")
    assert status(first)[0] == 0
    applied = first.find("ReceivePaymentRet/AppliedToTxnRet")
    assert applied.findtext("TxnID") == txn_id and applied.findtext("BalanceRemaining") == "23.13"
    assert first.findtext("ReceivePaymentRet/DepositToAccountRef/FullName") == "Undeposited Funds"
    assert first.findtext("ReceivePaymentRet/UnusedPayment") == "0.00"
    too_much = pay(company, txn_id, "129.43")
    assert status(too_much) == (
        3210,
        "Error",
        (
            'The "AppliedToTxnAdd payment amount" field has an invalid value "129.43".  QuickBooks error message: '
            "You cannot pay more than the amount due."
        ),
    )
    rest = pay(company, txn_id, "23.13", total="50.00")
    assert rest.findtext("ReceivePaymentRet/UnusedPayment") == "26.87"
    invoice = one(
        company,
        f"<InvoiceQueryRq><TxnID>{txn_id}</TxnID><IncludeLinkedTxns>true</IncludeLinkedTxns></InvoiceQueryRq>",
    ).find("InvoiceRet")
    assert invoice.findtext("AppliedAmount") == "-323.13"
    assert invoice.findtext("BalanceRemaining") == "0.00"
    assert invoice.findtext("IsPaid") == "true"
    assert [link.findtext("Amount") for link in invoice.findall("LinkedTxn")] == ["-300.00", "-23.13"]
    assert invoice.find("InvoiceLineRet") is None  # lines only with IncludeLineItems
    job = one(company, "<CustomerQueryRq><FullName>Smith, John:1001 - 12 Oak St</FullName></CustomerQueryRq>")
    parent = one(company, "<CustomerQueryRq><FullName>Smith, John</FullName></CustomerQueryRq>")
    assert job.findtext("CustomerRet/Balance") == "-26.87"  # the unused payment is a credit
    assert parent.findtext("CustomerRet/Balance") == "0.00"
    assert parent.findtext("CustomerRet/TotalBalance") == "-26.87"


def test_invoice_mod_adds_changes_and_deletes_lines(company: FakeCompany) -> None:
    txn_id, edit_sequence, (labor, fittings, valve) = add_invoice(company)
    rs = one(
        company,
        f"<InvoiceModRq><InvoiceMod><TxnID>{txn_id}</TxnID><EditSequence>{edit_sequence}</EditSequence>"
        f"<Memo>Revised</Memo>"
        f"<InvoiceLineMod><TxnLineID>{labor}</TxnLineID><Quantity>3</Quantity></InvoiceLineMod>"
        f"<InvoiceLineMod><TxnLineID>{valve}</TxnLineID></InvoiceLineMod>"
        "<InvoiceLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Trip Charge</FullName></ItemRef>"
        "</InvoiceLineMod></InvoiceMod></InvoiceModRq>",
    )
    assert status(rs)[0] == 0
    ret = rs.find("InvoiceRet")
    lines = ret.findall("InvoiceLineRet")
    assert [line.findtext("TxnLineID") for line in lines][:2] == [labor, valve]
    assert lines[2].findtext("TxnLineID") not in (labor, fittings, valve, "-1")
    assert [line.findtext("Amount") for line in lines] == ["255.00", "100.00", "45.00"]
    assert ret.findtext("Subtotal") == "400.00"
    assert ret.findtext("SalesTaxTotal") == "0.00"  # the only taxable line (fittings) was left out: deleted
    assert ret.findtext("Memo") == "Revised"
    assert int(ret.findtext("EditSequence")) > int(edit_sequence)
    unknown = one(
        company,
        f"<InvoiceModRq><InvoiceMod><TxnID>{txn_id}</TxnID><EditSequence>{ret.findtext('EditSequence')}"
        "</EditSequence><InvoiceLineMod><TxnLineID>77-1</TxnLineID></InvoiceLineMod></InvoiceMod></InvoiceModRq>",
    )
    assert status(unknown)[0] == 3120


def test_bill_amount_due_from_expense_and_item_lines(company: FakeCompany) -> None:
    rs = one(
        company,
        "<BillAddRq><BillAdd><VendorRef><FullName>ABC Plumbing Supply</FullName></VendorRef>"
        "<TxnDate>2023-11-01</TxnDate><RefNumber>A-77</RefNumber>"
        "<ExpenseLineAdd><AccountRef><FullName>Subcontractors</FullName></AccountRef><Amount>250.00</Amount>"
        "<CustomerRef><FullName>Garcia, Maria</FullName></CustomerRef></ExpenseLineAdd>"
        "<ItemLineAdd><ItemRef><FullName>Pipe Fittings</FullName></ItemRef><Quantity>10</Quantity></ItemLineAdd>"
        "</BillAdd></BillAddRq>",
    )
    assert status(rs)[0] == 0
    ret = rs.find("BillRet")
    assert ret.findtext("AmountDue") == "310.00"
    assert ret.findtext("DueDate") == "2023-12-01"  # the vendor's Net 30
    assert ret.findtext("ItemLineRet/Cost") == "6.00"
    assert ret.findtext("ExpenseLineRet/BillableStatus") == "Billable"
    vendor = one(company, "<VendorQueryRq><FullName>ABC Plumbing Supply</FullName></VendorQueryRq>")
    assert vendor.findtext("VendorRet/Balance") == "310.00"
    bad = one(
        company,
        "<BillAddRq><BillAdd><VendorRef><FullName>ABC Plumbing Supply</FullName></VendorRef><ExpenseLineAdd>"
        "<AccountRef><FullName>Nope</FullName></AccountRef><Amount>1.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>",
    )
    assert status(bad)[0] == 3140


def mod_payment(company: FakeCompany, payment: etree._Element, body: str, sequence: str | None = None) -> object:
    return one(
        company,
        f"<ReceivePaymentModRq><ReceivePaymentMod><TxnID>{payment.findtext('TxnID')}</TxnID>"
        f"<EditSequence>{sequence or payment.findtext('EditSequence')}</EditSequence>{body}"
        "</ReceivePaymentMod></ReceivePaymentModRq>",
    )


def test_a_payment_mod_moves_its_applications_and_refuses_more_than_is_due(company: FakeCompany) -> None:
    txn_id, _, _ = add_invoice(company)
    payment = pay(company, txn_id, "100.00").find("ReceivePaymentRet")
    invoice = company.state.txns["Invoice"][txn_id]
    due = float(invoice["BalanceRemaining"]) + 100

    # A lower amount applied: the invoice's balance grows back by the difference
    rs = mod_payment(
        company,
        payment,
        f"<TotalAmount>60.00</TotalAmount><AppliedToTxnMod><TxnID>{txn_id}</TxnID>"
        "<PaymentAmount>60.00</PaymentAmount></AppliedToTxnMod>",
    )
    assert status(rs)[0] == 0, status(rs)
    changed = rs.find("ReceivePaymentRet")
    assert changed.findtext("TotalAmount") == "60.00"
    assert changed.findtext("AppliedToTxnRet/Amount") == "-60.00"
    assert float(invoice["BalanceRemaining"]) == round(due - 60, 2)

    # What the payment already pays counts as open: the whole amount due may be applied, not a cent more
    over = f"{due + 0.01:.2f}"
    rs = mod_payment(
        company,
        changed,
        f"<TotalAmount>{over}</TotalAmount><AppliedToTxnMod><TxnID>{txn_id}</TxnID>"
        f"<PaymentAmount>{over}</PaymentAmount></AppliedToTxnMod>",
    )
    assert status(rs)[0] == 3210
    assert float(invoice["BalanceRemaining"]) == round(due - 60, 2), "a refused Mod changes nothing"

    # A stale EditSequence is 3200, as for every Mod
    rs = mod_payment(company, changed, "<Memo>late</Memo>", sequence=payment.findtext("EditSequence"))
    assert status(rs)[0] == 3200

    # Without AppliedToTxnMod the applications stay as they are
    rs = mod_payment(company, changed, "<Memo>Paid at the door</Memo>")
    assert status(rs)[0] == 0
    assert rs.find("ReceivePaymentRet").findtext("AppliedToTxnRet/Amount") == "-60.00"
    assert float(invoice["BalanceRemaining"]) == round(due - 60, 2)


def _taxed(
    company: FakeCompany, tax_item: str, *amounts: str, customer: str = "Smith, John:1001 - 12 Oak St"
) -> etree._Element:
    lines = "".join(
        f"<InvoiceLineAdd><ItemRef><FullName>Pipe Fittings</FullName></ItemRef><Amount>{amount}</Amount>"
        "<SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef></InvoiceLineAdd>"
        for amount in amounts
    )
    rs = one(
        company,
        f"<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>{customer}</FullName></CustomerRef>"
        f"<ItemSalesTaxRef><FullName>{tax_item}</FullName></ItemSalesTaxRef>{lines}</InvoiceAdd></InvoiceAddRq>",
    )
    assert status(rs)[0] == 0, status(rs)
    return rs.find("InvoiceRet")


def test_a_sales_tax_item_taxes_the_sum_of_the_taxable_lines_rounded_once(company: FakeCompany) -> None:
    # Three lines of 3.33 at 6.25%: 0.624375 on their sum rounds to 0.62 (per line it would be 3 x 0.21 = 0.63)
    ret = _taxed(company, "State Tax", "3.33", "3.33", "3.33")
    assert (ret.findtext("Subtotal"), ret.findtext("SalesTaxTotal"), ret.findtext("BalanceRemaining")) == (
        "9.99",
        "0.62",
        "10.61",
    )


def test_a_sales_tax_group_rounds_each_of_its_taxes_then_adds_them(company: FakeCompany) -> None:
    # 10.30 at 6.25% is 0.64375 (0.64) and at 1.5% is 0.1545 (0.15): 0.79, where 7.75% at once would give 0.80
    ret = _taxed(company, "State and County", "10.30")
    assert ret.findtext("SalesTaxPercentage") == "7.75"
    assert (ret.findtext("SalesTaxTotal"), ret.findtext("BalanceRemaining")) == ("0.79", "11.09")


def test_a_customer_with_a_non_taxable_code_pays_no_sales_tax(company: FakeCompany) -> None:
    customer = company.list_by_name("Customer", "Smith, John")
    customer["SalesTaxCodeRef"] = {"ListID": company.list_by_name("SalesTaxCode", "Non")["ListID"]}
    ret = _taxed(company, "State Tax", "100.00", customer="Smith, John")
    assert ret.findtext("CustomerSalesTaxCodeRef/FullName") == "Non"
    assert (ret.findtext("SalesTaxTotal"), ret.findtext("BalanceRemaining")) == ("0.00", "100.00")
