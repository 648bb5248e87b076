"""Message sets against Intuit's schemas: QuickBooks rejects invalid sets whole, and our answers validate."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from qbwc_server.simulator import FakeCompany, QuickBooksParseError
from qbwc_server.simulator.schema import load_schema

from .helpers import qbxml, responses, status
from .test_invoices import INVOICE

EVERYTHING = (
    '<CustomerAddRq requestID="1"><CustomerAdd><Name>Ortiz, Ana</Name><CompanyName>Ortiz Homes</CompanyName>'
    "<FirstName>Ana</FirstName><LastName>Ortiz</LastName><BillAddress><Addr1>1 Elm Dr</Addr1><City>Reno</City>"
    "<State>NV</State></BillAddress><Phone>555-0101</Phone><Email>ana@example.com</Email>"
    "<TermsRef><FullName>Net 30</FullName></TermsRef></CustomerAdd></CustomerAddRq>"
    '<CustomerAddRq requestID="2"><CustomerAdd><Name>2001 - 1 Elm Dr</Name><ParentRef><FullName>Ortiz, Ana'
    "</FullName></ParentRef><JobDesc>Kitchen remodel</JobDesc></CustomerAdd></CustomerAddRq>"
    '<VendorAddRq requestID="3"><VendorAdd><Name>Tile World</Name><CompanyName>Tile World Inc</CompanyName>'
    "<IsVendorEligibleFor1099>true</IsVendorEligibleFor1099></VendorAdd></VendorAddRq>"
    '<ItemServiceAddRq requestID="4"><ItemServiceAdd><Name>Tiling</Name><SalesOrPurchase><Desc>Tiling, per hour'
    "</Desc><Price>70</Price><AccountRef><FullName>Labor Income</FullName></AccountRef></SalesOrPurchase>"
    "</ItemServiceAdd></ItemServiceAddRq>"
    '<ItemNonInventoryAddRq requestID="5"><ItemNonInventoryAdd><Name>Grout</Name><SalesAndPurchase><SalesDesc>Grout'
    "</SalesDesc><SalesPrice>15.00</SalesPrice><IncomeAccountRef><FullName>Materials Income</FullName>"
    "</IncomeAccountRef><PurchaseCost>7.00</PurchaseCost><ExpenseAccountRef><FullName>Job Materials</FullName>"
    "</ExpenseAccountRef></SalesAndPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>"
    '<ItemOtherChargeAddRq requestID="6"><ItemOtherChargeAdd><Name>Permit Fee</Name><SalesOrPurchase>'
    "<Price>120.00</Price><AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchase>"
    "</ItemOtherChargeAdd></ItemOtherChargeAddRq>"
    + INVOICE.replace("<InvoiceAddRq>", '<InvoiceAddRq requestID="7">')
    + '<ItemQueryRq requestID="8" />'
    '<CustomerQueryRq requestID="9"><ActiveStatus>All</ActiveStatus><OwnerID>0</OwnerID></CustomerQueryRq>'
    '<VendorQueryRq requestID="10" /><EmployeeQueryRq requestID="11" /><OtherNameQueryRq requestID="12" />'
    '<AccountQueryRq requestID="13" /><TermsQueryRq requestID="14" /><ClassQueryRq requestID="15" />'
    '<PaymentMethodQueryRq requestID="16" /><SalesTaxCodeQueryRq requestID="17" />'
    '<InvoiceQueryRq requestID="18"><IncludeLineItems>true</IncludeLineItems>'
    "<IncludeLinkedTxns>true</IncludeLinkedTxns></InvoiceQueryRq>"
    '<ReceivePaymentQueryRq requestID="19" /><BillQueryRq requestID="20" />'
    '<HostQueryRq requestID="21" /><CompanyQueryRq requestID="22" /><PreferencesQueryRq requestID="23" />'
)


def validate(schema_dir: Path, key: str, text: str) -> None:
    schema = load_schema(str(schema_dir), key)
    doc = etree.fromstring(text.encode("utf-8"))
    assert schema.validate(doc), [e.message for e in schema.error_log][:5]


@pytest.mark.parametrize(("version", "key"), [("13.0", "v13"), ("16.0", "v16")])
def test_answers_to_every_supported_request_validate(schema_dir: Path, version: str, key: str) -> None:
    company = FakeCompany.demo(schema_dir=schema_dir)
    company.supports_versions("16.0")
    text = company.process(qbxml(EVERYTHING, version=version))
    answers = responses(text)
    assert [status(rs)[0] for rs in answers] == [0] * 18 + [1, 1] + [0, 0, 0]  # no payments or bills yet
    assert [rs.get("requestID") for rs in answers] == [str(n) for n in range(1, 24)]
    validate(schema_dir, key, text)
    # A payment applied to the invoice and the lists' answers after Mods validate too.
    invoice = answers[6].find("InvoiceRet")
    payment = company.process(
        qbxml(
            "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Smith, John:1001 - 12 Oak St"
            "</FullName></CustomerRef><TotalAmount>10.00</TotalAmount><AppliedToTxnAdd><TxnID>"
            f"{invoice.findtext('TxnID')}</TxnID><PaymentAmount>10.00</PaymentAmount></AppliedToTxnAdd>"
            "</ReceivePaymentAdd></ReceivePaymentAddRq>"
            "<InvoiceQueryRq><IncludeLinkedTxns>true</IncludeLinkedTxns></InvoiceQueryRq>"
            "<BillAddRq><BillAdd><VendorRef><FullName>Tile World</FullName></VendorRef><ExpenseLineAdd><AccountRef>"
            "<FullName>Utilities</FullName></AccountRef><Amount>80.00</Amount></ExpenseLineAdd><ItemLineAdd><ItemRef>"
            "<FullName>Grout</FullName></ItemRef><Quantity>3</Quantity></ItemLineAdd></BillAdd></BillAddRq>"
            "<BillQueryRq><IncludeLineItems>true</IncludeLineItems></BillQueryRq><ReceivePaymentQueryRq />",
            version=version,
        )
    )
    assert [status(rs)[0] for rs in responses(payment)] == [0] * 5
    validate(schema_dir, key, payment)


def test_invalid_message_set_is_rejected_whole(schema_dir: Path) -> None:
    company = FakeCompany.demo(schema_dir=schema_dir)
    before = len(company.state.lists["Customer"])
    # Phone before Name breaks the schema's sequence: nothing in the set runs, not even the valid first request.
    bad = qbxml(
        "<CustomerAddRq><CustomerAdd><Name>Fine Customer</Name></CustomerAdd></CustomerAddRq>"
        "<CustomerAddRq><CustomerAdd><Phone>1</Phone><Name>Broken</Name></CustomerAdd></CustomerAddRq>"
    )
    with pytest.raises(QuickBooksParseError) as caught:
        company.process(bad)
    assert caught.value.hresult == "0x80040400"
    assert caught.value.message == "QuickBooks found an error when parsing the provided XML text stream."
    assert len(company.state.lists["Customer"]) == before


@pytest.mark.parametrize(
    "body",
    [
        "<CustomerAddRq><CustomerAdd><Name>" + "N" * 42 + "</Name></CustomerAdd></CustomerAddRq>",
        '<AccountQueryRq iterator="Start"><MaxReturned>5</MaxReturned></AccountQueryRq>',
        "<CustomerAddRq><CustomerAdd><Name>Tom & Jerry</Name></CustomerAdd></CustomerAddRq>",
        "<CustomerAddRq><CustomerAdd><Name>Unclosed</CustomerAdd></CustomerAddRq>",
    ],
)
def test_overlong_fields_bad_iterators_and_broken_xml_are_parse_errors(schema_dir: Path, body: str) -> None:
    company = FakeCompany.demo(schema_dir=schema_dir)
    with pytest.raises(QuickBooksParseError):
        company.process(qbxml(body))


def test_without_schema_only_structure_is_checked(schema_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QBWC_QBXML_SCHEMA_DIR", raising=False)
    company = FakeCompany.demo()
    text = company.process(
        qbxml("<CustomerAddRq><CustomerAdd><Name>" + "N" * 42 + "</Name></CustomerAdd></CustomerAddRq>")
    )
    assert status(responses(text)[0])[0] == 0
    with pytest.raises(QuickBooksParseError):
        company.process(qbxml('<ClassQueryRq iterator="Start" />'))


def test_version_newer_than_quickbooks_supports_is_rejected(schema_dir: Path) -> None:
    company = FakeCompany.demo(schema_dir=schema_dir)
    request = qbxml('<HostQueryRq requestID="0" />', version="16.0")
    with pytest.raises(QuickBooksParseError):
        company.process(request)
    company.supports_versions("14.0", "15.0", "16.0")
    host = responses(company.process(request))[0]
    assert host.findall("HostRet/SupportedQBXMLVersion")[-1].text == "16.0"
    with pytest.raises(QuickBooksParseError):
        company.process(request.replace('<?qbxml version="16.0"?>', ""))
