"""Responses are untrusted input: no entity expansion, no file or network access, flat memory when streaming."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from qbwc_server.qbxml.errors import XmlError
from qbwc_server.qbxml.parse import iter_response, parse_response

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE QBXML [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info" statusMessage="&lol9;">
<CustomerRet><Name>&lol9;</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>"""


def _xxe(path: str) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE QBXML [ <!ENTITY secret SYSTEM "file://{path}"> ]>
<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info" statusMessage="x">
<CustomerRet><Name>&secret;</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>"""


@pytest.mark.parametrize("reader", [parse_response, lambda xml: list(iter_response(xml))])
def test_billion_laughs_is_refused_without_expanding(reader):
    with pytest.raises(XmlError, match="DTD"):
        reader(BILLION_LAUGHS.encode())


@pytest.mark.parametrize("reader", [parse_response, lambda xml: list(iter_response(xml))])
def test_external_entities_do_not_read_files(tmp_path, reader):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    with pytest.raises(XmlError) as caught:
        reader(_xxe(str(secret)).encode())
    assert "TOP-SECRET-CONTENT" not in str(caught.value)


def test_a_dtd_hidden_after_whitespace_and_comments_is_still_refused():
    xml = "\n\n<!-- hi --><!DOCTYPE QBXML [<!ENTITY a 'b'>]><QBXML><QBXMLMsgsRs/></QBXML>"
    with pytest.raises(XmlError):
        parse_response(xml)


def _big_response(customers: int) -> bytes:
    head = (
        b'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="1" statusCode="0" '
        b'statusSeverity="Info" statusMessage="Status OK" iteratorRemainingCount="0" iteratorID="{x}">'
    )
    one = (
        "<CustomerRet><ListID>{n}-1234567890</ListID><EditSequence>1234567890</EditSequence>"
        "<Name>Customer {n}</Name><FullName>Customer {n}</FullName><IsActive>true</IsActive>"
        "<BillAddress><Addr1>{n} Long Street Name For Padding</Addr1><City>Springfield</City>"
        "<State>IL</State><PostalCode>62701</PostalCode></BillAddress>"
        "<Notes>" + "n" * 300 + "</Notes></CustomerRet>"
    )
    body = "".join(one.format(n=n) for n in range(customers)).encode()
    return head + body + b"</CustomerQueryRs></QBXMLMsgsRs></QBXML>"


def test_streaming_a_20_mb_response_keeps_memory_flat():
    source = _big_response(33_000)
    assert len(source) > 20_000_000
    gc.collect()
    tracemalloc.start()
    try:
        count = 0
        siblings_seen = 0
        for header, ret in iter_response(source):
            count += 1
            siblings_seen = max(siblings_seen, len(ret.getparent()))
            if count == 1:
                assert header.iterator_id == "{x}" and header.status_code == 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 33_000
    # Finished objects are dropped: the tree holds only the parser's read-ahead, never the whole list.
    assert siblings_seen < 500
    assert peak < 5_000_000, f"Python allocations peaked at {peak} bytes"


def test_streaming_yields_empty_and_error_responses_once():
    xml = (
        b"<QBXML><QBXMLMsgsRs>"
        b'<CustomerAddRs requestID="1" statusCode="3100" statusSeverity="Error" statusMessage="in use"/>'
        b'<ItemQueryRs requestID="2" statusCode="0" statusSeverity="Info" statusMessage="OK">'
        b"<ItemServiceRet><ListID>A</ListID></ItemServiceRet><ItemServiceRet><ListID>B</ListID></ItemServiceRet>"
        b"</ItemQueryRs></QBXMLMsgsRs></QBXML>"
    )
    seen = [(h.request_id, h.status_code, None if r is None else r.findtext("ListID")) for h, r in iter_response(xml)]
    assert seen == [("1", 3100, None), ("2", 0, "A"), ("2", 0, "B")]


def test_streaming_reports_truncated_xml():
    with pytest.raises(XmlError):
        list(iter_response(_big_response(10)[:-40]))
