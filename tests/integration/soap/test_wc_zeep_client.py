"""A standard SOAP client built from the served WSDL calls every method."""

from __future__ import annotations

import pytest

zeep = pytest.importorskip("zeep")

HCP_FILE = "qbxml/hcp/strHCPResponse_QBPro2006_HostCompanyPreferences.xml"
REQUEST = '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"/></QBXML>'


def test_every_method_through_the_wsdl(serve, add_company, queue_engine, fixtures_dir):
    add_company("acme", "acme-wc", "s3cret-pass")
    server = serve(queue_engine([REQUEST]))
    client = zeep.Client(f"{server.url}/qbwc?wsdl")
    service = client.service

    def strings(result):
        return [value or "" for value in result]

    assert service.serverVersion().startswith("qbwc-server ")
    assert service.clientVersion(strVersion="2.3.0.215") in ("", None)
    assert service.clientVersion(strVersion="1.0.0.0") == "O:2.0.0.0"
    assert strings(service.authenticate(strUserName="acme-wc", strPassword="wrong-pass")) == ["", "nvu"]

    ticket, status = strings(service.authenticate(strUserName="acme-wc", strPassword="s3cret-pass"))
    assert status == "" and ticket
    request = service.sendRequestXML(
        ticket=ticket,
        strHCPResponse=(fixtures_dir / HCP_FILE).read_text(),
        strCompanyFileName=r"C:\Books\Acme.QBW",
        qbXMLCountry="US",
        qbXMLMajorVers=13,
        qbXMLMinorVers=0,
    )
    assert request == REQUEST
    progress = service.receiveResponseXML(ticket=ticket, response="<QBXML/>", hresult="", message="")
    assert progress == 100
    assert service.getLastError(ticket=ticket) == "No errors"
    assert service.getInteractiveURL(wcTicket=ticket, sessionID="s1") in ("", None)
    assert service.interactiveDone(wcTicket=ticket) == "Done"
    assert "interactive" in service.interactiveRejected(wcTicket=ticket, reason="declined")
    assert service.closeConnection(ticket=ticket) == "Synced 1"

    # A second session that cannot reach QuickBooks.
    ticket2 = strings(service.authenticate(strUserName="acme-wc", strPassword="s3cret-pass"))[0]
    assert service.connectionError(ticket=ticket2, hresult="0x80040408", message="Could not start QuickBooks.") == (
        "done"
    )
    assert "Could not start QuickBooks." in service.getLastError(ticket=ticket2)
    assert "Could not start QuickBooks." in service.closeConnection(ticket=ticket2)
