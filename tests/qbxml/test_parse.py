from __future__ import annotations

import pytest

from qbwc_server.qbxml import answers as answers_module
from qbwc_server.qbxml import parse
from qbwc_server.qbxml.answers import Answers
from qbwc_server.qbxml.errors import XmlError
from qbwc_server.qbxml.parse import iter_response, parse_hcp, parse_response, text_of


def test_customer_add_response_gives_list_id_and_edit_sequence(fixture_bytes):
    [item] = parse_response(fixture_bytes("responses/CustomerAddRs_2008_capture.xml"))
    assert (item.rs_type, item.request_id, item.status_code, item.severity) == (
        "CustomerAddRs",
        "Q3VzdG9tZXJBZGR8MTU=",
        0,
        "Info",
    )
    [ret] = item.rets
    assert text_of(ret, "ListID") == "F0000-1215265593"
    assert text_of(ret, "EditSequence") == "1215265593"
    assert text_of(ret, "ShipAddress/City") == "Willington"
    assert text_of(ret, "Missing/Path") is None


def test_response_without_request_id(fixture_bytes):
    [item] = parse_response(fixture_bytes("responses/CustomerAddRs_qbwc-gem.xml"))
    assert item.request_id is None
    assert text_of(item.rets[0], "ListID") == "8000001B-1405768916"


def test_iterator_attributes_are_read(fixture_bytes):
    [item] = parse_response(fixture_bytes("responses/CustomerQueryRs_iterator_start_consolibyte_wiki.xml"))
    assert item.iterator_id == "{eb05f701-e727-472f-8ade-6753c4f67a46}"
    assert item.iterator_remaining == 18
    assert [text_of(r, "Name") for r in item.rets] == ["10th Customer"]


def test_a_long_list_returns_every_object(fixture_bytes):
    [item] = parse_response(fixture_bytes("responses/AccountQueryRs_consolibyte_2010.xml"))
    assert len(item.rets) == 59
    assert text_of(item.rets[3], "FullName") == "Undeposited Funds"


@pytest.mark.parametrize(
    ("name", "code", "severity", "words"),
    [
        ("CustomerAddRs_3180_error_saving_consolibyte.xml", 3180, "Error", "modified by another user"),
        ("CustomerQueryRs_3120_object_not_found_qbwc-gem.xml", 3120, "Error", "cannot be found"),
        ("CustomerQueryRs_500_warn_not_found_consolibyte.xml", 500, "Warn", '("Keith Palmer")'),
        ("ItemInventoryQueryRs_statusCode1_no_match_flowlink.xml", 1, "Info", "did not find"),
        ("ItemServiceAddRs_3100_name_in_use_consolibyte.xml", 3100, "Error", "already in use"),
    ],
)
def test_error_responses_keep_code_severity_and_message(fixture_bytes, name, code, severity, words):
    [item] = parse_response(fixture_bytes(f"errors/{name}"))
    assert (item.status_code, item.severity, item.rets) == (code, severity, [])
    assert words in item.message


def test_hcp_response_tells_versions_company_and_file_id(fixture_bytes):
    info = parse_hcp(fixture_bytes("hcp/strHCPResponse_QBPro2006_HostCompanyPreferences.xml"))
    assert info.product_name == "QuickBooks Pro 2006"
    assert (info.major_version, info.minor_version, info.country) == (16, 0, "US")
    assert info.supported_versions == ["1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0"]
    assert info.company_name == "Test Company"
    assert info.file_ids == [("{68b5925b-4347-4784-e58d-35a2d190962f}", "{ee032e95-47f7-2564-096f-2d4545fcb021}")]


def test_str_input_with_a_foreign_encoding_declaration(fixture_bytes):
    text = fixture_bytes("responses/CustomerAddRs_2008_capture.xml").decode("utf-8")
    text = text.replace('<?xml version="1.0" ?>', '<?xml version="1.0" encoding="windows-1252"?>')
    assert parse_response(text)[0].status_code == 0


def test_windows_1252_bytes_are_decoded():
    raw = (
        '<?xml version="1.0" encoding="windows-1252"?><QBXML><QBXMLMsgsRs>'
        '<CustomerQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
        "<CustomerRet><ListID>1-1</ListID><Name>Caf\xe9 \x93Quote\x94 \x80</Name></CustomerRet>"
        "</CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    ).encode("latin-1")
    [item] = parse_response(raw)
    assert text_of(item.rets[0], "Name") == "Café “Quote” €"
    names = [text_of(ret, "Name") for _, ret in iter_response(raw)]
    assert names == ["Café “Quote” €"]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "<QBXML><QBXMLMsgsRs>",
        "<html><body>Proxy error</body></html>",
        "<QBXML><SomethingElse/></QBXML>",
        '<QBXML><QBXMLMsgsRs><CustomerAddRs statusCode="zero"/></QBXMLMsgsRs></QBXML>',
        "<QBXML><QBXMLMsgsRs><CustomerAddRs/></QBXMLMsgsRs></QBXML>",
    ],
)
def test_malformed_responses_raise_xml_error(bad):
    with pytest.raises(XmlError):
        parse_response(bad)


def test_hcp_without_host_or_company_is_refused():
    with pytest.raises(XmlError):
        parse_hcp("<QBXML><QBXMLMsgsRs/></QBXML>")


def _customers_answer(request_id: str, count: int) -> str:
    rets = "".join(
        f"<CustomerRet><ListID>{n}</ListID><Name>Customer {n:05d}</Name></CustomerRet>" for n in range(count)
    )
    return (
        f'<QBXML><QBXMLMsgsRs><CustomerAddRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="ok"/>'
        f'<CustomerQueryRs requestID="{request_id}" statusCode="0" statusSeverity="Info" statusMessage="ok" '
        f'iteratorRemainingCount="7" iteratorID="{{it}}">{rets}</CustomerQueryRs></QBXMLMsgsRs></QBXML>'
    )


def test_answers_to_a_large_response_are_found_by_request_id_and_streamed():
    answers = Answers(_customers_answer("imp-1-1", 4000))  # over the size read into a tree at once
    assert len(answers._data) > answers_module.STREAM_ABOVE
    page = answers.get("imp-1-1")
    assert page is not None and (page.status_code, page.iterator_remaining, page.iterator_id) == (0, 7, "{it}")
    assert sum(1 for _ in page.stream()) == 4000
    assert answers.get("1") is not None and answers.get("2") is None  # found from what was read, or not there
    assert len(page.rets) == 4000  # a step may still ask for the objects as a list


def test_answers_to_a_small_response_come_from_one_tree():
    answers = Answers(_customers_answer("imp-1-1", 3))
    page = answers.get("imp-1-1")
    assert page is not None and [parse.text_of(ret, "ListID") for ret in page.stream()] == ["0", "1", "2"]
    assert answers.get("nope") is None


@pytest.fixture
def checks(monkeypatch):
    """The sizes of the documents passed through the structure check before reading, in order."""
    checked: list[int] = []
    real = parse.check_structure
    counted = lambda data: checked.append(len(data)) or real(data)  # noqa: E731
    monkeypatch.setattr(parse, "check_structure", counted)
    monkeypatch.setattr(answers_module, "check_structure", counted)
    return checked


def test_a_large_answer_whose_status_was_read_is_checked_once_before_its_objects_are_read(checks):
    answers = Answers(_customers_answer("2", 4000))  # too large to be checked on its tree: checked first
    assert len(answers._data) > parse.CHECK_ON_TREE_UP_TO
    first = answers.get("1")
    assert first is not None and first.status_code == 0
    assert len(checks) == 1  # the whole response passed the check before any status was read
    assert len(answers.get("2").rets) == 4000 and len(checks) == 1  # not checked again to read the objects


def test_a_large_answer_streamed_before_its_status_is_read_is_checked_in_the_pass_that_reads_it(checks):
    answers = Answers(_customers_answer("imp-1-1", 4000))  # an import page
    page = answers.get("imp-1-1")
    assert page is not None
    objects = page.stream()  # taken first, as the import step does
    assert page.status_code == 0 and checks == []  # the status alone does not make a separate pass
    assert sum(1 for _ in objects) == 4000 and checks == []


def test_a_batch_answer_is_checked_on_its_tree_in_the_pass_that_reads_it(checks):
    answers = Answers(_customers_answer("2", 2000))  # twice a batch of 25 five-line invoices
    assert len(answers._data) <= answers_module.STREAM_ABOVE == parse.CHECK_ON_TREE_UP_TO
    first = answers.get("1")
    assert first is not None and first.status_code == 0
    assert len(answers.get("2").rets) == 2000
    assert checks == []  # no separate pass: the limits were checked on the tree


@pytest.mark.parametrize(
    "document",
    [
        "<QBXML><QBXMLMsgsRs>" + "<a>" * 70 + "</a>" * 70 + "</QBXMLMsgsRs></QBXML>",
        "<QBXML><QBXMLMsgsRs><a " + " ".join(f'x{n}="1"' for n in range(65)) + "/></QBXMLMsgsRs></QBXML>",
        "<QBXML><QBXMLMsgsRs><a "
        + " ".join(f'x{n}="1"' for n in range(65))
        + "/>"
        + "<a>" * 70
        + "</a>" * 70
        + "</QBXMLMsgsRs></QBXML>",
        "<QBXML><QBXMLMsgsRs>" + "<a>" * 70 + "</QBXMLMsgsRs></QBXML>",
        "<!DOCTYPE QBXML><QBXML><QBXMLMsgsRs/></QBXML>",
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE QBXML><QBXML><QBXMLMsgsRs/></QBXML>'.encode("utf-16"),
        "<QBXML><QBXMLMsgsRs><a></b></QBXMLMsgsRs></QBXML>",
    ],
)
def test_a_document_checked_on_its_tree_is_refused_in_the_words_of_the_check_before_reading(document):
    data = parse.as_bytes(document)
    with pytest.raises(XmlError) as first:
        parse.check_structure(data)
    with pytest.raises(XmlError) as on_tree:
        parse.parse_document(document)
    assert str(on_tree.value) == str(first.value)
    with pytest.raises(XmlError) as answered:
        Answers(document)
    assert str(answered.value) == str(first.value)


def test_a_document_at_the_limits_is_accepted_on_its_tree():
    deep = "<a>" * 62 + "</a>" * 62  # QBXML and QBXMLMsgsRs make 64
    wide = "<a " + " ".join(f'x{n}="1"' for n in range(64)) + "/>"
    tree = parse.parse_document(f"<QBXML><QBXMLMsgsRs>{deep}{wide}</QBXMLMsgsRs></QBXML>")
    assert len(tree.getroot()[0]) == 2
