"""Hostile XML over real HTTP: external entities, entity expansion, oversized bodies; never a file read."""

from __future__ import annotations

import dataclasses
import time

import pytest
from werkzeug.test import Client

from qbwc_server.protocol import Conversation
from qbwc_server.soap import make_soap_app

ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?>{doctype}<soap:Envelope '
    'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    '<clientVersion xmlns="http://developer.intuit.com/"><strVersion>{value}</strVersion></clientVersion>'
    "</soap:Body></soap:Envelope>"
)
LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "passwd"
    path.write_text("root:x:0:0:TOP-SECRET-MARKER")
    return path


def _xxe(secret_file) -> bytes:
    doctype = f'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'
    return ENVELOPE.format(doctype=doctype, value="&xxe;").encode()


def test_external_entity_is_refused(serve, secret_file):
    server = serve()
    reply = server.post(_xxe(secret_file), "clientVersion")
    assert reply.status == 500 and reply.content_type == "text/xml; charset=utf-8"
    assert "not accepted" in reply.fault()
    assert b"TOP-SECRET-MARKER" not in reply.body


def test_billion_laughs_is_refused_quickly(serve):
    server = serve()
    started = time.monotonic()
    reply = server.post(ENVELOPE.format(doctype=LAUGHS, value="&lol9;").encode(), "clientVersion")
    assert time.monotonic() - started < 5
    assert reply.status == 500 and "not accepted" in reply.fault()
    assert b"lollollol" not in reply.body


def test_escaped_entities_inside_qbxml_are_not_expanded_either(serve, add_company, runtime, secret_file):
    # The payload arrives escaped inside strHCPResponse, so it passes the envelope check; hcp.py must refuse it.
    from qbwc_server.sync.engine import SyncEngine

    class Busy(SyncEngine):
        def has_work(self, db, company, plan=False, asked=None):  # type: ignore[no-untyped-def]
            return True

    add_company("acme", "acme-wc", "s3cret-pass")
    server = serve(Busy())
    auth = (
        b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        b'<soap:Body><authenticate xmlns="http://developer.intuit.com/"><strUserName>acme-wc</strUserName>'
        b"<strPassword>s3cret-pass</strPassword></authenticate></soap:Body></soap:Envelope>"
    )
    ticket = server.post(auth, "authenticate").strings("authenticate")[0]
    hcp = (
        f'&lt;!DOCTYPE QBXML [&lt;!ENTITY x SYSTEM "file://{secret_file}"&gt;]&gt;&lt;QBXML&gt;&lt;QBXMLMsgsRs&gt;'
        "&lt;CompanyQueryRs&gt;&lt;CompanyRet&gt;&lt;CompanyName&gt;&amp;x;&lt;/CompanyName&gt;&lt;/CompanyRet&gt;"
        "&lt;/CompanyQueryRs&gt;&lt;/QBXMLMsgsRs&gt;&lt;/QBXML&gt;"
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Body><sendRequestXML xmlns="http://developer.intuit.com/"><ticket>{ticket}</ticket>'
        f"<strHCPResponse>{hcp}</strHCPResponse><strCompanyFileName /><qbXMLCountry>US</qbXMLCountry>"
        "<qbXMLMajorVers>13</qbXMLMajorVers><qbXMLMinorVers>0</qbXMLMinorVers></sendRequestXML></soap:Body>"
        "</soap:Envelope>"
    ).encode()
    assert server.post(body, "sendRequestXML").status == 200
    from qbwc_server import companies

    with runtime.transaction() as db:
        assert companies.get_company(db, "acme").qb_company_name is None


def test_oversized_body_is_refused_over_http(serve, runtime):
    runtime.settings = dataclasses.replace(runtime.settings, max_body_bytes=64 * 1024)
    server = serve()
    body = ENVELOPE.format(doctype="", value="2.0.0.116" + " " * 100_000).encode()
    reply = server.post(body, "clientVersion")
    assert reply.status == 413
    assert "larger than" in reply.fault()


def test_spyne_alone_resolves_no_entity(sqlite_runtime, secret_file):
    # Even with the guard bypassed, spyne's parser must leave the entity unresolved.
    client = Client(make_soap_app(Conversation(sqlite_runtime)))
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"http://developer.intuit.com/clientVersion"'}
    reply = client.post("/", data=_xxe(secret_file), headers=headers)
    assert b"TOP-SECRET-MARKER" not in reply.data
    started = time.monotonic()
    reply = client.post("/", data=ENVELOPE.format(doctype=LAUGHS, value="&lol9;").encode(), headers=headers)
    assert time.monotonic() - started < 5
    assert b"lollollollollollollollollollol" not in reply.data
