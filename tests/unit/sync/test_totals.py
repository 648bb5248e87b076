"""QuickBooks' figures against the app's: each likely cause is named in words, and a cent of difference is not one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from qbwc_server import tax_mapping
from qbwc_server.qbxml import values
from qbwc_server.sync import builders, totals
from qbwc_server.sync.builders.drafting import blank
from qbwc_server.sync.comparison import amount_of


def _input(data: dict, mapping: dict | None = None) -> builders.RequestInput:
    settings = {"tax_mapping": mapping or {}, "sales_tax_code_taxable": "Tax", "sales_tax_code_non_taxable": "Non"}
    return builders.RequestInput("invoice", "inv-1", data, settings, None)


def _ret(
    subtotal: str, tax: str, lines: list[tuple[str, str]], rate: str | None = None, customer_code: str = ""
) -> etree._Element:
    parts = "".join(
        f"<InvoiceLineRet><TxnLineID>L{i}</TxnLineID><Amount>{amount}</Amount>"
        f"<SalesTaxCodeRef><FullName>{code}</FullName></SalesTaxCodeRef></InvoiceLineRet>"
        for i, (amount, code) in enumerate(lines)
    )
    customer = (
        f"<CustomerSalesTaxCodeRef><FullName>{customer_code}</FullName></CustomerSalesTaxCodeRef>"
        if customer_code
        else ""
    )
    tax_item = (
        "<ItemSalesTaxRef><FullName>State Tax</FullName></ItemSalesTaxRef>"
        f"<SalesTaxPercentage>{rate}</SalesTaxPercentage>"
        if rate
        else ""
    )
    total = Decimal(subtotal) + Decimal(tax)
    return etree.fromstring(
        f"<InvoiceRet><TxnID>T-1</TxnID><EditSequence>1</EditSequence><Subtotal>{subtotal}</Subtotal>{tax_item}"
        f"<SalesTaxTotal>{tax}</SalesTaxTotal><BalanceRemaining>{total}</BalanceRemaining><IsPaid>false</IsPaid>"
        f"{customer}{parts}</InvoiceRet>"
    )


LINES = [
    {"description": "Labor", "quantity": "3", "rate": "33.335", "taxable": True},
    {"description": "Trip charge", "amount": "25.00", "taxable": False},
]


def test_figures_that_agree_within_a_cent_give_no_warning_and_are_kept():
    inp = _input({"tax_rate": "IL", "lines": LINES, "total": "131.26"}, {"IL": {"item": "State Tax", "rate": "6.25"}})
    figures = totals.from_answer(inp, _ret("125.01", "6.25", [("100.01", "Tax"), ("25.00", "Non")], "6.25"))
    assert figures.warnings == []
    assert figures.totals == {
        "subtotal": "125.01",
        "tax": "6.25",
        "total": "131.26",
        "balance": "131.26",
        "paid": False,
        "tax_item": "State Tax",
        "tax_rate": "6.25",
    }


def test_a_line_rounded_otherwise_is_named_with_both_amounts():
    # The app rounds 3 x 33.335 to 100.01 (half up) and says its subtotal is 125.03; QuickBooks held 100.00
    inp = _input({"lines": LINES, "subtotal": "125.03"})
    [warning] = totals.from_answer(inp, _ret("125.00", "0.00", [("100.00", "Tax"), ("25.00", "Non")])).warnings
    assert warning["message"].startswith("QuickBooks' total for this invoice is 125.00, the app's is 125.03")
    assert "Line 1 (Labor) is 100.00 in QuickBooks and 100.01 in the app (a rounding difference)." in warning["causes"]
    assert any("not the sum of its lines (125.01)" in cause for cause in warning["causes"])


def test_a_line_quickbooks_taxes_and_the_app_does_not_is_named():
    inp = _input({"tax_rate": "IL", "lines": LINES, "tax_total": "6.25"}, {"IL": {"item": "State Tax", "rate": "6.25"}})
    [warning] = totals.from_answer(inp, _ret("125.01", "7.81", [("100.01", "Tax"), ("25.00", "Tax")], "6.25")).warnings
    assert warning["causes"] == ["Line 2 (Trip charge) is taxable in QuickBooks (code Tax) but not in the app."]
    assert warning["message"].startswith(
        "QuickBooks' total for this invoice is 132.82, the app's is 131.26 (1.56 higher in QuickBooks). "
        "Also sales tax: QuickBooks 7.81, app 6.25."
    )


def test_a_customer_quickbooks_treats_as_not_taxable_is_named():
    inp = _input({"tax_rate": "IL", "lines": LINES, "tax_total": "6.25"})
    ret = _ret("125.01", "0.00", [("100.01", "Tax"), ("25.00", "Non")], "6.25", customer_code="Non")
    [warning] = totals.from_answer(inp, ret).warnings
    assert any("treats the customer as not taxable (customer tax code Non)" in c for c in warning["causes"])


def test_the_app_rate_implied_by_its_own_tax_is_compared_when_the_mapping_has_no_rate():
    inp = _input({"tax_rate": "IL 7.5%", "lines": LINES, "tax_total": "7.50"}, {"IL 7.5%": "State Tax"})
    [warning] = totals.from_answer(inp, _ret("125.01", "6.25", [("100.01", "Tax"), ("25.00", "Non")], "6.25")).warnings
    assert "which QuickBooks charges at 6.25%; the app charges 7.5%" in warning["causes"][0]


def test_a_payment_answer_settles_the_invoices_it_pays():
    inp = builders.RequestInput(
        "payment", "p1", {"amount": "50.00", "reference": "CHK-9", "date": "2026-11-05"}, {}, None
    )
    ret = etree.fromstring(
        "<ReceivePaymentRet><TxnID>P-1</TxnID><EditSequence>1</EditSequence><TotalAmount>50.00</TotalAmount>"
        "<UnusedPayment>0.00</UnusedPayment><AppliedToTxnRet><TxnID>T-1</TxnID><TxnType>Invoice</TxnType>"
        "<BalanceRemaining>0.00</BalanceRemaining><Amount>-50.00</Amount></AppliedToTxnRet></ReceivePaymentRet>"
    )
    figures = totals.from_answer(inp, ret)
    assert figures.settlements == (totals.Settlement("T-1", "0.00", "50.00", "2026-11-05"),)
    assert figures.totals == {"total": "50.00", "unused": "0.00"}
    assert figures.payment_label == "payment p1 reference CHK-9 of 2026-11-05"


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ({"IL": "State Tax"}, {"IL": "State Tax"}),
        ({"IL": {"item": " State Tax ", "rate": "7.50%"}}, {"IL": {"item": "State Tax", "rate": "7.5"}}),
        ({"IL": {"item": "State Tax"}}, {"IL": "State Tax"}),
        (
            {"IL": {"item": "S", "rate": 6.25, "quickbooks_rate": "6.25"}},
            {"IL": {"item": "S", "rate": "6.25", "quickbooks_rate": "6.25"}},
        ),
    ],
)
def test_the_tax_mapping_keeps_names_alone_or_with_both_rates(value, stored):
    assert tax_mapping.check(value) == stored


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"IL": {"item": "State Tax", "rate": "lots"}}, "the rate of 'IL': 'lots' is not a percentage"),
        ({"IL": {"item": "State Tax", "rate": "150"}}, "between 0 and 100"),
        ({"IL": {"rate": "7"}}, "needs the name of a QuickBooks sales tax item"),
        ({"IL": {"item": "S", "percent": "7"}}, "'percent'"),
        (["IL"], "must map tax rate names"),
    ],
)
def test_a_bad_tax_mapping_row_is_refused_naming_it(value, says):
    with pytest.raises(ValueError, match=None) as caught:
        tax_mapping.check(value)
    assert says in str(caught.value)


def test_the_command_line_writes_both_rates_after_the_item():
    assert tax_mapping.parse_cli("IL 7.5%:State Tax:7.5:6.25, CA:CA Tax") == {
        "IL 7.5%": {"item": "State Tax", "rate": "7.5", "quickbooks_rate": "6.25"},
        "CA": "CA Tax",
    }
    with pytest.raises(ValueError):
        tax_mapping.parse_cli("IL")


@pytest.mark.parametrize(
    "value",
    ["12.50", " 12.5 ", "1_000", "1e3", "-0.00", "", "  ", "NaN", "-Infinity", "12,50", None, 7, 0.1, 2.5e300,
     float("inf"), float("nan"), True, Decimal("3.10"), Decimal("NaN"), ["1"]],
)  # fmt: skip
def test_an_amount_is_read_as_the_request_values_read_it(value):
    try:
        expected = None if blank(value) else values.to_decimal(value)
    except ValueError:
        expected = None
    found = amount_of(value)
    assert (found is None, str(found)) == (expected is None, str(expected))
