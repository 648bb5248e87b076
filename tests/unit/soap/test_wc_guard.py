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
