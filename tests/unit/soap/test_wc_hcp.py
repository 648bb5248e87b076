"""Reading the first sendRequestXML's strHCPResponse: QuickBooks' details, the FileID check, version choice."""

from __future__ import annotations

from qbwc_server import hcp
from qbwc_server.models import Company

HCP_FILE = "qbxml/hcp/strHCPResponse_QBPro2006_HostCompanyPreferences.xml"
OWNER = "{68b5925b-4347-4784-e58d-35a2d190962f}"
FILE_ID = "{ee032e95-47f7-2564-096f-2d4545fcb021}"


def _company(owner_id: str = OWNER, file_id: str = FILE_ID) -> Company:
    return Company(slug="acme", name="Acme", owner_id=owner_id, file_id=file_id)


def test_parses_the_real_host_company_preferences_answer(fixtures_dir):
    info = hcp.parse((fixtures_dir / HCP_FILE).read_text())
    assert info is not None
    assert info.product == "QuickBooks Pro 2006"
    assert info.version == "16.0"
    assert info.country == "US"
    assert info.company_name == "Test Company"
    assert info.supported_versions == ["1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0"]
    assert info.highest_supported() == "5.0"
    assert info.file_id_for(OWNER.upper()) == FILE_ID
    assert info.file_id_for("{00000000-0000-0000-0000-000000000000}") is None


def test_records_what_quickbooks_reported(fixtures_dir):
    company = _company()
    hcp.record(company, hcp.parse((fixtures_dir / HCP_FILE).read_text()))
    assert (company.qb_product, company.qb_version, company.qb_country) == ("QuickBooks Pro 2006", "16.0", "US")
    assert company.qb_company_name == "Test Company"
    assert company.qb_file_id_seen == FILE_ID


def test_file_id_check(fixtures_dir):
    info = hcp.parse((fixtures_dir / HCP_FILE).read_text())
    assert hcp.wrong_file_message(_company(file_id=FILE_ID.upper()), info) is None
    # Another application's FileID extension is not ours to judge.
    assert hcp.wrong_file_message(_company(owner_id="{11111111-2222-3333-4444-555555555555}"), info) is None
    message = hcp.wrong_file_message(_company(file_id="{11111111-2222-3333-4444-555555555555}"), info)
    assert "the company file open in QuickBooks is not the one this connection was set up for" in message
    assert "Test Company" in message


def test_unusable_answers_are_ignored():
    assert hcp.parse("") is None
    assert hcp.parse("HOSTQUERY/COMPANYQUERY/PREFQUERY is currently not supported in QBPOS.") is None
    assert hcp.parse("<QBXML><unclosed></QBXML>") is None


def test_entities_in_the_answer_are_never_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    payload = (
        f'<?xml version="1.0"?><!DOCTYPE QBXML [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<QBXML><QBXMLMsgsRs><CompanyQueryRs><CompanyRet><CompanyName>&x;</CompanyName>"
        "</CompanyRet></CompanyQueryRs></QBXMLMsgsRs></QBXML>"
    )
    assert hcp.parse(payload) is None


def test_hardened_parser_leaves_entities_unresolved(tmp_path):
    from lxml import etree

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doc = f'<!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]><a>&x;</a>'
    root = etree.fromstring(doc.encode(), hcp.hardened_parser())
    assert "TOP-SECRET" not in etree.tostring(root).decode()


def test_version_negotiation():
    assert hcp.negotiate_version("13.0", 16, 0, None) == "13.0"
    assert hcp.negotiate_version("13.0", 5, 0, None) == "5.0"
    assert hcp.negotiate_version("16.0", 13, 0, None) == "13.0"
    info = hcp.HostInfo(supported_versions=["2.0", "12.0", "8.0"])
    assert hcp.negotiate_version("13.0", 0, 0, info) == "12.0"
    assert hcp.negotiate_version("13.0", None, None, None) == "13.0"
