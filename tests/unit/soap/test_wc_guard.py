"""The edge in front of spyne: what reaches the SOAP layer, and that every answer is SOAP XML."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree
from werkzeug.test import Client

from qbwc_server.wsgi import make_wsgi_app

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"http://developer.intuit.com/serverVersion"'}
SERVER_VERSION = (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    '<soap:Body><serverVersion xmlns="http://developer.intuit.com/" /></soap:Body></soap:Envelope>'
)


@pytest.fixture
def client(sqlite_runtime):
    sqlite_runtime.settings = dataclasses.replace(sqlite_runtime.settings, max_body_bytes=4096)
    return Client(make_wsgi_app(sqlite_runtime))


def _fault(response) -> str:
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.data)
    fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None, response.data
    return fault.findtext("faultstring")


def test_plain_get_answers_200(client):
    response = client.get("/qbwc")
    assert response.status_code == 200
    assert "Web Connector" in response.get_data(as_text=True)


def test_wsdl_is_served(client):
    response = client.get("/qbwc?wsdl")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.data)
    assert root.get("targetNamespace") == "http://developer.intuit.com/"
    names = {op.get("name") for op in root.iter("{http://schemas.xmlsoap.org/wsdl/}operation")}
    assert {
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "connectionError",
        "getLastError",
        "closeConnection",
        "getInteractiveURL",
        "interactiveDone",
        "interactiveRejected",
    } <= names


def test_server_version_answers(client):
    response = client.post("/qbwc", data=SERVER_VERSION, headers=HEADERS)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert b"serverVersionResult>qbwc-server" in response.data


def test_too_large_body_is_refused_with_a_fault(client):
    response = client.post("/qbwc", data=SERVER_VERSION + " " * 5000, headers=HEADERS)
    assert response.status_code == 413
    assert "larger than" in _fault(response)


def test_doctype_is_refused_before_parsing(client):
    body = SERVER_VERSION.replace("<soap:Envelope", '<!DOCTYPE x [<!ENTITY a "aaaa">]><soap:Envelope', 1)
    response = client.post("/qbwc", data=body, headers=HEADERS)
    assert response.status_code == 500
    assert "not accepted" in _fault(response)


def test_lowercase_and_utf16_tricks_are_refused(client):
    body = SERVER_VERSION.replace("<soap:Envelope", "<!doctype x><soap:Envelope", 1)
    assert "not accepted" in _fault(client.post("/qbwc", data=body, headers=HEADERS))
    wide = SERVER_VERSION.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    assert "UTF-8" in _fault(client.post("/qbwc", data=wide, headers=HEADERS))


@pytest.mark.parametrize("body", [b"<soap:Envelope", b"not xml at all", b"<a></b>", b"   "])
def test_malformed_xml_gets_a_fault(client, body):
    response = client.post("/qbwc", data=body, headers=HEADERS)
    assert response.status_code == 500
    _fault(response)


def test_other_methods_get_a_fault(client):
    response = client.put("/qbwc", data=SERVER_VERSION, headers=HEADERS)
    assert response.status_code == 405
    _fault(response)


def test_other_paths_go_to_the_web_app(client):
    assert client.get("/no-such-page").status_code == 404


CLIENT_VERSION = (
    '<?xml version="1.0" encoding="{encoding}"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    '<soap:Body><clientVersion xmlns="http://developer.intuit.com/"><strVersion>{version}</strVersion>'
    "</clientVersion></soap:Body></soap:Envelope>"
)


@pytest.mark.parametrize(
    "body",
    [
        b"<a><b/></a>",
        b"<a",
        b"<a></b>",
        b"<a/><b/>",
        b"<!doctype a><a/>",
        '<?xml version="1.0" encoding="cp037"?><!DOCTYPE a><a/>'.encode("cp037"),
        b"<a>" * 40 + b"</a>" * 40,
        b"<a>" + b"<b/>" * 1200 + b"</a>",
        b"<a " + b" ".join(b'x%d="1"' % n for n in range(40)) + b"/>",
        b"<a>" * 40 + b"<b",
        b'<?xml version="1.0" encoding="iso-8859-1"?><a>\xe9</a>',
    ],
)
def test_the_pass_that_builds_the_envelope_refuses_what_the_check_alone_refuses_in_the_same_words(body):
    from qbwc_server.xmlcheck import SOAP_LIMITS, XmlRefused, check_xml, read_checked

    def outcome(read):
        try:
            read(body, SOAP_LIMITS)
        except XmlRefused as refused:
            return str(refused)
        return "accepted"

    assert outcome(read_checked) == outcome(check_xml)
    # and the thread's parser is fit for the next document after a refusal
    assert read_checked(b"<ok>1</ok>", SOAP_LIMITS).text == "1"


def test_spyne_reads_the_tree_the_guard_built_for_a_utf8_call(client, monkeypatch):
    from spyne.protocol.soap import soap11

    def parse_again(*_args, **_kwargs):
        raise AssertionError("spyne parsed a body the guard had already parsed")

    monkeypatch.setattr(soap11, "_parse_xml_string", parse_again)
    body = CLIENT_VERSION.format(encoding="utf-8", version="2.3.0.30")
    response = client.post("/qbwc", data=body.encode(), headers={**HEADERS, "SOAPAction": '"clientVersion"'})
    assert response.status_code == 200
    assert b"<tns:clientVersionResult" in response.data and b"W:" not in response.data


def test_a_call_in_another_charset_is_parsed_by_spyne_as_before(client, monkeypatch):
    from spyne.protocol.soap import soap11

    parsed = []
    original = soap11._parse_xml_string

    def counted(*args, **kwargs):
        parsed.append(args[2] if len(args) > 2 else kwargs.get("charset"))
        return original(*args, **kwargs)

    monkeypatch.setattr(soap11, "_parse_xml_string", counted)
    body = CLIENT_VERSION.format(encoding="iso-8859-1", version="2.3.0.30 \xe9").encode("latin-1")
    headers = {"Content-Type": "text/xml; charset=iso-8859-1", "SOAPAction": '"clientVersion"'}
    response = client.post("/qbwc", data=body, headers=headers)
    assert parsed == ["iso-8859-1"]
    assert response.status_code == 200
    assert "could not read this Web Connector's version (2.3.0.30 \xe9)" in response.get_data(as_text=True)
