"""Real QuickBooks captures reproduced: same elements, same order, same status codes and messages."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from qbwc_server.simulator import FakeCompany

from .helpers import one, qbxml, responses, status


def shape(elem: etree._Element) -> tuple[str, tuple[str, ...], tuple[object, ...]]:
    """Return an element's structure: tag, attribute names and children, without any values."""
    children = tuple(shape(child) for child in elem if isinstance(child.tag, str))
    return elem.tag, tuple(elem.attrib), children


def fixture_rs(path: Path) -> etree._Element:
    root = etree.fromstring(path.read_bytes())
    return root.find("QBXMLMsgsRs")[0]


def test_customer_add_matches_the_2008_capture(fixtures_dir: Path, schema_dir: Path) -> None:
    company = FakeCompany.empty(schema_dir=schema_dir)
    request = (fixtures_dir / "qbxml/requests/CustomerAddRq_qbxml5.0_sent_2008.xml").read_text()
    ours = responses(company.process(request))[0]
    real = fixture_rs(fixtures_dir / "qbxml/responses/CustomerAddRs_2008_capture.xml")
    assert shape(ours) == shape(real)
    assert ours.attrib == real.attrib  # requestID echoed, Status OK
    for path in (
        "CustomerRet/Name",
        "CustomerRet/FullName",
        "CustomerRet/ShipAddress/City",
        "CustomerRet/Balance",
    ):
        assert ours.findtext(path) == real.findtext(path)


def test_iterator_start_matches_the_documented_answer(fixtures_dir: Path, schema_dir: Path) -> None:
    company = FakeCompany.empty(schema_dir=schema_dir)
    for number in range(1, 24):
        add = f"<CustomerAddRq><CustomerAdd><Name>{number}th Customer</Name></CustomerAdd></CustomerAddRq>"
        assert status(one(company, add))[0] == 0
    company.begin_session()
    start = (fixtures_dir / "qbxml/requests/CustomerQueryRq_iterator_start.xml").read_text()
    ours = responses(company.process(start))[0]
    real = fixture_rs(fixtures_dir / "qbxml/responses/CustomerQueryRs_iterator_start_consolibyte_wiki.xml")
    assert tuple(ours.attrib) == tuple(real.attrib)
    assert ours.get("iteratorRemainingCount") == real.get("iteratorRemainingCount") == "18"
    assert shape(ours.find("CustomerRet")) == shape(real.find("CustomerRet"))
    assert len(ours.findall("CustomerRet")) == 5
    continue_rq = (fixtures_dir / "qbxml/requests/CustomerQueryRq_iterator_continue.xml").read_text()
    mine = continue_rq.replace("{eb05f701-e727-472f-8ade-6753c4f67a46}", ours.get("iteratorID"))
    following = responses(company.process(mine))[0]
    assert following.get("iteratorRemainingCount") == "13"
    # The captured iteratorID belongs to another QuickBooks session: not valid here.
    assert status(responses(company.process(continue_rq))[0])[0] == 1


def test_error_answers_match_real_ones(fixtures_dir: Path, schema_dir: Path) -> None:
    company = FakeCompany.demo(schema_dir=schema_dir)
    errors = fixtures_dir / "qbxml/errors"
    item = (
        '<ItemServiceAddRq requestID="SXRlbVNlcnZpY2VBZGR8c2hpcHBpbmc="><ItemServiceAdd>'
        "<Name>Shipping Item - QuickBooks Inte</Name><SalesOrPurchase><Price>1.00</Price><AccountRef><FullName>"
        "Sales</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>"
    )
    company.process(qbxml(item))
    cases = [
        (item, "ItemServiceAddRs_3100_name_in_use_consolibyte.xml"),
        (
            '<CustomerQueryRq requestID="QnJpZGdlfDEw"><FullName>Keith Palmer</FullName></CustomerQueryRq>',
            "CustomerQueryRs_500_warn_not_found_consolibyte.xml",
        ),
        (
            (
                '<ItemInventoryQueryRq requestID="1"><NameFilter><MatchCriterion>Contains</MatchCriterion>'
                "<Name>Widget</Name></NameFilter></ItemInventoryQueryRq>"
            ),
            "ItemInventoryQueryRs_statusCode1_no_match_flowlink.xml",
        ),
    ]
    for body, name in cases:
        ours = responses(company.process(qbxml(body)))[0]
        real = fixture_rs(errors / name)
        assert ours.attrib == real.attrib, name
        assert shape(ours) == shape(real), name
    missing = one(
        company,
        "<CustomerModRq><CustomerMod><ListID>8000001B-1405768916</ListID><EditSequence>1</EditSequence>"
        "</CustomerMod></CustomerModRq>",
    )
    real_3120 = fixture_rs(errors / "CustomerQueryRs_3120_object_not_found_qbwc-gem.xml")
    assert status(missing)[2] == real_3120.get("statusMessage")


def test_hcp_answer_has_the_layout_of_a_real_one(fixtures_dir: Path, schema_dir: Path) -> None:
    company = FakeCompany.demo(schema_dir=schema_dir)
    ours = responses(
        company.process(
            qbxml(
                '<HostQueryRq requestID="0" /><CompanyQueryRq requestID="1" /><PreferencesQueryRq requestID="2" />',
                on_error="continueOnError",
            )
        )
    )
    real = list(
        etree.fromstring(
            (fixtures_dir / "qbxml/hcp/strHCPResponse_QBPro2006_HostCompanyPreferences.xml").read_bytes()
        ).find("QBXMLMsgsRs")
    )
    assert [rs.attrib for rs in ours] == [rs.attrib for rs in real]
    assert [child.tag for child in ours[0][0]] == [
        child.tag for child in real[0][0] if child.tag != "SupportedQBXMLVersion"
    ][:4] + ["SupportedQBXMLVersion"] * 16 + ["IsAutomaticLogin", "QBFileMode"]
    assert [c.tag for c in ours[1][0]] == [c.tag for c in real[1][0] if c.tag != "DataExtRet"]
    assert [c.tag for c in ours[2][0]] == [c.tag for c in real[2][0]]
