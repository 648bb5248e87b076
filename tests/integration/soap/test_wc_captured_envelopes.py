"""The Web Connector 2.0.0.116 envelopes captured in 2008, replayed over real HTTP with their headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from qbwc_server.models import Company, SessionState, WcSession
from qbwc_server.protocol import EXPIRED_MESSAGE, NO_MORE_WORK

CAPTURE = "soap/captured-2008-qbwc-2.0.0.116"
# The user name and password in 03_authenticate.xml.
USER, PASSWORD = "api", "password"
OLD_TICKETS = (b"c94c84b3d59fe7a1603b765dd734e481", b"ea0bf596246b623664adb465cc8662a2")
CUSTOMER_ADD = '<?xml version="1.0"?><?qbxml version="5.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"/></QBXML>'


@pytest.fixture
def capture(fixtures_dir: Path):
    """Return a loader for a captured body, with our ticket in place of the one QBWC got in 2008."""
    folder = fixtures_dir / CAPTURE

    def load(name: str, ticket: str | None = None) -> bytes:
        body = (folder / name).read_bytes()
        if ticket is not None:
            for old in OLD_TICKETS:
                body = body.replace(old, ticket.encode())
        return body

    return load


def _method(name: str) -> str:
    return name.split("_")[1].split(".")[0]


def test_a_session_with_nothing_queued_authenticates_gets_none_and_closes(serve, add_company, capture):
    add_company("academickeys", USER, PASSWORD)
    server = serve()  # the real sync engine: nothing is queued yet

    version = server.post(capture("01_serverVersion.xml"), "serverVersion")
    assert version.status == 200 and version.content_type == "text/xml; charset=utf-8"
    assert version.text("serverVersion").startswith("qbwc-server ")
    assert server.post(capture("02_clientVersion.xml"), "clientVersion").text("clientVersion") == ""
    ticket, status = server.post(capture("03_authenticate.xml"), "authenticate").strings("authenticate")
    assert status == "none" and ticket
    closed = server.post(capture("06_closeConnection.xml", ticket), "closeConnection")
    assert closed.text("closeConnection") == "Nothing to sync"


def test_two_captured_sessions_get_the_right_answers(serve, add_company, capture, queue_engine, runtime):
    add_company("academickeys", USER, PASSWORD)
    engine = queue_engine([])
    server = serve(engine)

    # Session 1: authenticated, nothing to send after all, the Web Connector asks why and closes.
    server.post(capture("01_serverVersion.xml"), "serverVersion")
    ticket, status = server.post(capture("03_authenticate.xml"), "authenticate").strings("authenticate")
    assert status == ""  # use the company file open in QuickBooks
    first = server.post(capture("04_sendRequestXML_first_with_strHCPResponse.xml", ticket), "sendRequestXML")
    assert first.status == 200 and first.text("sendRequestXML") == ""
    assert server.post(capture("05_getLastError.xml", ticket), "getLastError").text("getLastError") == NO_MORE_WORK
    assert server.post(capture("06_closeConnection.xml", ticket), "closeConnection").text("closeConnection") == (
        "Nothing to sync"
    )
    with runtime.transaction() as db:
        company = db.scalar(select(Company).where(Company.slug == "academickeys"))
        assert (company.qb_product, company.qb_version, company.qb_country) == ("QuickBooks Pro 2006", "16.0", "US")
        wc = db.scalar(select(WcSession).where(WcSession.ticket == ticket))
        assert (wc.qbxml_version, wc.company_file) == ("5.0", r"C:\KPALMER\QBW\Test Company.QBW")

    # Session 2: one CustomerAdd goes out, QuickBooks' answer comes back, then nothing more.
    engine.requests.append(CUSTOMER_ADD)
    ticket2, _ = server.post(capture("03_authenticate.xml"), "authenticate").strings("authenticate")
    assert ticket2 != ticket
    sent = server.post(capture("07_sendRequestXML_first_with_strHCPResponse_session2.xml", ticket2), "sendRequestXML")
    assert sent.text("sendRequestXML") == CUSTOMER_ADD
    progress = server.post(capture("08_receiveResponseXML_CustomerAddRs.xml", ticket2), "receiveResponseXML")
    assert progress.text("receiveResponseXML") == "100"
    assert "<ListID>F0000-1215265593</ListID>" in engine.responses[0]
    again = server.post(capture("09_sendRequestXML_subsequent_empty_strHCPResponse.xml", ticket2), "sendRequestXML")
    assert again.text("sendRequestXML") == ""
    error = server.post(capture("10_getLastError_session2.xml", ticket2), "getLastError")
    assert error.text("getLastError") == NO_MORE_WORK
    closed = server.post(capture("11_closeConnection_session2.xml", ticket2), "closeConnection")
    assert closed.text("closeConnection") == "Synced 1"
    with runtime.transaction() as db:
        states = {wc.ticket: wc.state for wc in db.scalars(select(WcSession))}
    assert states == {ticket: SessionState.CLOSED, ticket2: SessionState.CLOSED}


def test_wrong_password_in_the_captured_envelope_gets_nvu(serve, add_company, capture):
    add_company("academickeys", USER, "another-password")
    server = serve()
    reply = server.post(capture("03_authenticate.xml"), "authenticate")
    assert reply.status == 200
    assert reply.strings("authenticate") == ["", "nvu"]


def test_the_2008_tickets_are_unknown_here(serve, capture):
    server = serve()
    for name in (
        "04_sendRequestXML_first_with_strHCPResponse.xml",
        "09_sendRequestXML_subsequent_empty_strHCPResponse.xml",
    ):
        assert server.post(capture(name), "sendRequestXML").text("sendRequestXML") == ""
    assert (
        server.post(capture("08_receiveResponseXML_CustomerAddRs.xml"), "receiveResponseXML").text("receiveResponseXML")
        == "-1"
    )
    assert server.post(capture("05_getLastError.xml"), "getLastError").text("getLastError") == EXPIRED_MESSAGE


def test_plain_get_and_wsdl_over_http(serve):
    server = serve()
    landing = server.request("GET", "/qbwc")
    assert landing.status == 200 and b"Web Connector" in landing.body
    wsdl = server.request("GET", "/qbwc?wsdl")
    assert wsdl.status == 200 and wsdl.content_type == "text/xml; charset=utf-8"
    assert b'targetNamespace="http://developer.intuit.com/"' in wsdl.body
