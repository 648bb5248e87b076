"""Lookups before re-sending an Add, refreshes after a stale EditSequence, list imports and reading answers."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from qbwc_server.qbxml.parse import parse_response
from qbwc_server.sync.builders import (
    build_list_query,
    build_lookup,
    build_refresh,
    identity_from_ret,
    pick_match,
    supports_iterator,
    total_warnings,
)
from qbwc_server.sync.builders.lists import ITERATOR_QUERIES

from .conftest import SAMPLES, SCHEMA_DIR, have_schemas, make_input


def ret(xml: str) -> etree._Element:
    return etree.fromstring(xml)


@pytest.mark.parametrize(
    ("kind", "rq_type"),
    [("customer", "CustomerQueryRq"), ("job", "CustomerQueryRq"), ("item", "ItemQueryRq"), ("vendor", "VendorQueryRq")],
)
def test_list_lookup_is_by_full_name(assert_valid, kind, rq_type):
    built = build_lookup(make_input(kind), "9")
    assert built.rq_type == rq_type
    rq = assert_valid(built)
    expected = {
        "customer": "Smith, John",
        "job": "Smith, John:J-7 - 12 Oak St",
        "item": "Labor",
        "vendor": "Ferguson Supply",
    }[kind]
    assert [el.text for el in rq.findall("FullName")] == [expected]


def test_invoice_lookup_by_customer_and_number(assert_valid):
    rq = assert_valid(build_lookup(make_input("invoice"), "9"))
    assert rq.findtext("EntityFilter/ListID") == "80000002-1700000000"
    assert rq.findtext("RefNumberFilter/RefNumber") == "1001"
    assert rq.findtext("IncludeLineItems") == "true"


def test_bill_lookup_without_number_uses_the_date(assert_valid):
    rq = assert_valid(build_lookup(make_input("bill", {**SAMPLES["bill"], "number": None}), "9"))
    assert rq.findtext("TxnDateRangeFilter/FromTxnDate") == rq.findtext("TxnDateRangeFilter/ToTxnDate") == "2024-05-02"
    assert rq.findtext("EntityFilter/ListID") == "80000005-1700000000"


def test_payment_lookup_by_customer_and_date(assert_valid):
    rq = assert_valid(build_lookup(make_input("payment"), "9"))
    assert rq.tag == "ReceivePaymentQueryRq"
    assert rq.findtext("TxnDateRangeFilter/FromTxnDate") == "2024-05-03"
    assert rq.findtext("EntityFilter/ListID") == "80000001-1700000000"


@pytest.mark.parametrize("kind", ["customer", "job", "item", "vendor", "invoice", "payment", "bill"])
def test_refresh_asks_by_id(assert_valid, kind):
    built = build_refresh(kind, "ABC-123", "10")
    rq = assert_valid(built)
    assert (rq.findtext("ListID") or rq.findtext("TxnID")) == "ABC-123"


def test_pick_match_for_lists_ignores_case():
    rets = [
        ret("<CustomerRet><FullName>Someone Else</FullName></CustomerRet>"),
        ret("<CustomerRet><FullName>SMITH, JOHN</FullName></CustomerRet>"),
    ]
    assert pick_match(make_input("customer"), rets) is rets[1]
    assert pick_match(make_input("customer"), rets[:1]) is None


def _invoice_ret(number="1001", date="2024-05-01", customer="80000002-1700000000", subtotal="202.30"):
    return ret(
        f"<InvoiceRet><TxnID>T-9</TxnID><EditSequence>42</EditSequence><TxnDate>{date}</TxnDate>"
        f"<RefNumber>{number}</RefNumber><CustomerRef><ListID>{customer}</ListID></CustomerRef>"
        f"<Subtotal>{subtotal}</Subtotal><SalesTaxTotal>0.89</SalesTaxTotal>"
        "<InvoiceLineRet><TxnLineID>L-1</TxnLineID></InvoiceLineRet>"
        "<InvoiceLineRet><TxnLineID>L-2</TxnLineID></InvoiceLineRet></InvoiceRet>"
    )


def test_pick_match_for_invoices_needs_number_date_customer_and_subtotal():
    inp = make_input("invoice")
    ours = _invoice_ret()
    others = [
        _invoice_ret(number="10010"),
        _invoice_ret(date="2024-05-02"),
        _invoice_ret(customer="X"),
        _invoice_ret(subtotal="1.00"),
    ]
    assert pick_match(inp, [*others, ours]) is ours
    assert pick_match(inp, others) is None


def test_pick_match_for_payments_and_bills():
    payment = ret(
        "<ReceivePaymentRet><TxnDate>2024-05-03</TxnDate><RefNumber>4512</RefNumber>"
        "<CustomerRef><ListID>80000001-1700000000</ListID></CustomerRef>"
        "<TotalAmount>202.30</TotalAmount></ReceivePaymentRet>"
    )
    assert pick_match(make_input("payment"), [payment]) is payment
    assert pick_match(make_input("payment", {**SAMPLES["payment"], "amount": "202.31"}), [payment]) is None
    bill = ret(
        "<BillRet><TxnDate>2024-05-02</TxnDate><RefNumber>F-889</RefNumber>"
        "<VendorRef><ListID>80000005-1700000000</ListID></VendorRef><AmountDue>60.50</AmountDue></BillRet>"
    )
    assert pick_match(make_input("bill"), [bill]) is bill


def test_identity_from_a_real_customer_add_response(fixtures_dir):
    [item] = parse_response((fixtures_dir / "qbxml" / "responses" / "CustomerAddRs_2008_capture.xml").read_bytes())
    identity = identity_from_ret(make_input("customer"), item.rets[0])
    assert (identity.id, identity.edit_sequence, identity.full_name) == (
        "F0000-1215265593",
        "1215265593",
        "Shannon 171 Daniels",
    )


def test_identity_maps_invoice_lines_in_order():
    data = {**SAMPLES["invoice"], "lines": [{"id": "a", "amount": "1"}, {"amount": "2"}]}
    identity = identity_from_ret(make_input("invoice", data), _invoice_ret())
    assert identity.id == "T-9" and identity.edit_sequence == "42" and identity.full_name is None
    assert dict(identity.line_ids) == {"a": "L-1", "1": "L-2"}


def test_identity_maps_bill_expense_and_item_lines():
    bill = ret(
        "<BillRet><TxnID>B-1</TxnID><EditSequence>5</EditSequence>"
        "<ExpenseLineRet><TxnLineID>E-1</TxnLineID></ExpenseLineRet>"
        "<ItemLineRet><TxnLineID>I-1</TxnLineID></ItemLineRet></BillRet>"
    )
    assert dict(identity_from_ret(make_input("bill"), bill).line_ids) == {"e:0": "E-1", "i:0": "I-1"}


def test_total_warnings_compare_subtotals_and_show_both_figures():
    inp = make_input("invoice")  # lines: 2 x 95.00 + 3 x 4.10 = 202.30
    assert total_warnings(inp, _invoice_ret()) == []
    [warning] = total_warnings(inp, _invoice_ret(subtotal="202.00"))
    assert "202.00" in warning and "202.30" in warning and "202.89" in warning
    bill = ret("<BillRet><AmountDue>61.00</AmountDue></BillRet>")
    assert "61.00" in total_warnings(make_input("bill"), bill)[0]
    payment = ret("<ReceivePaymentRet><TotalAmount>200.00</TotalAmount></ReceivePaymentRet>")
    assert "200.00" in total_warnings(make_input("payment"), payment)[0]
    assert total_warnings(make_input("customer"), ret("<CustomerRet/>")) == []


IMPORT_KINDS = [
    "accounts",
    "items",
    "customers",
    "vendors",
    "terms",
    "classes",
    "payment_methods",
    "sales_tax_codes",
    "sales_tax_items",
    "invoices",
    "payments",
]


@pytest.mark.parametrize("list_kind", IMPORT_KINDS)
def test_list_import_queries_validate_with_every_option(assert_valid, list_kind):
    since = dt.datetime(2024, 1, 1, 8, 30, tzinfo=dt.timezone.utc)
    start = build_list_query(
        list_kind, "11", iterator="Start", max_returned=100, from_modified=since, include_line_items=True
    )
    rq = assert_valid(start)
    if supports_iterator(start.rq_type):
        assert rq.get("iterator") == "Start" and rq.findtext("MaxReturned") == "100"
    else:
        assert rq.get("iterator") is None and rq.find("MaxReturned") is None
    assert rq.findtext(".//FromModifiedDate") == "2024-01-01T08:30:00+00:00"
    more = build_list_query(
        list_kind, "12", iterator="Continue", iterator_id="{eb05f701-e727-472f-8ade-6753c4f67a46}", max_returned=100
    )
    assert_valid(more)
    assert_valid(build_list_query(list_kind, "13", list_ids=["80000001-1", "80000002-1"]))


def test_continue_query_carries_the_iterator_id(assert_valid):
    rq = assert_valid(build_list_query("customers", "2", iterator="Continue", iterator_id="{abc}", max_returned=5))
    assert (rq.get("iterator"), rq.get("iteratorID")) == ("Continue", "{abc}")
    assert rq.findtext("ActiveStatus") == "All"


def test_list_query_option_mistakes_are_refused():
    with pytest.raises(ValueError):
        build_list_query("customers", "1", iterator="Continue")
    with pytest.raises(ValueError):
        build_list_query("customers", "1", full_names=["A"], max_returned=5)
    with pytest.raises(ValueError):
        build_list_query("invoices", "1", full_names=["A"])
    with pytest.raises(ValueError):
        build_list_query("estimates", "1")


@pytest.mark.skipif(not have_schemas(), reason="the qbXML schemas (../shared/qbxml-xsd) are not beside this checkout")
@pytest.mark.parametrize("version", ["13", "16"])
def test_iterator_table_matches_the_schema(version):
    xsd = "{http://www.w3.org/2001/XMLSchema}"
    tree = etree.parse(str(SCHEMA_DIR / f"v{version}" / f"qbxmlops{version}0.xsd"))
    with_iterator = {
        ct.get("name")[: -len("Type")]
        for ct in tree.getroot().iter(f"{xsd}complexType")
        if (ct.get("name") or "").endswith("RqType") and ct.find(f"{xsd}attribute[@name='iterator']") is not None
    }
    assert with_iterator == ITERATOR_QUERIES
    assert supports_iterator("CustomerQueryRq") and not supports_iterator("AccountQueryRq")


def test_one_invoice_query_can_look_for_many_numbers(assert_valid):
    from qbwc_server.sync.builders.invoices import build_lookup_many

    inputs = [make_input("invoice", data={**make_input("invoice").data, "number": n}) for n in ("1001", "1002")]
    built = build_lookup_many(inputs, "lk7")
    assert built.xml.count("<RefNumber>") == 2 and "<IncludeLineItems>true</IncludeLineItems>" in built.xml
    assert_valid(built)
