"""The fake Web Connector against a scripted service: call order, wire format, HCP, FileID, NoOp and faults."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from qbwc_server.simulator import FakeCompany, FakeWebConnector, Faults, ServerUnreachableError
from qbwc_server.simulator.soapclient import USER_AGENT, envelope

from .helpers import qbxml
from .scripted_server import Script, ScriptedServer

OWNER = "{68b5925b-4347-4784-e58d-35a2d190962f}"
FILE_ID = "{ee032e95-47f7-2564-096f-2d4545fcb021}"
ADD_CUSTOMER = qbxml(
    '<CustomerAddRq requestID="1"><CustomerAdd><Name>Wire Customer</Name></CustomerAdd></CustomerAddRq>'
)
ADD_INVOICE = qbxml(
    '<InvoiceAddRq requestID="2"><InvoiceAdd><CustomerRef><FullName>Wire Customer</FullName></CustomerRef>'
    "<InvoiceLineAdd><ItemRef><FullName>Labor</FullName></ItemRef></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>"
)


def run(script: Script, company: FakeCompany | None = None, **kwargs: object) -> tuple[object, ScriptedServer]:
    company = company or FakeCompany.demo()
    with ScriptedServer(script) as server:
        report = FakeWebConnector(server.url, "qbuser", "s3cret", company, **kwargs).run_session()
    return report, server


def test_session_follows_the_guide_and_counts_changes() -> None:
    report, server = run(Script(requests=[ADD_CUSTOMER, ADD_INVOICE]))
    expected = ["serverVersion", "clientVersion", "authenticate"]
    expected += ["sendRequestXML", "receiveResponseXML"] * 2 + ["closeConnection"]
    assert server.methods == expected == report.methods
    assert report.outcome == "completed"
    assert report.round_trips == 2
    assert dict(report.added) == {"Customer": 1, "Invoice": 1}
    assert report.server_version == "scripted 1.0"
    posted = server.calls[4].params
    assert '<CustomerAddRs requestID="1" statusCode="0"' in posted["response"]
    assert posted["hresult"] == "" and posted["message"] == ""
    assert server.calls[2].params == {"strUserName": "qbuser", "strPassword": "s3cret"}
    assert all("s3cret" not in str(call.params) for call in report.calls)


def test_headers_and_first_and_later_send_request_xml() -> None:
    company = FakeCompany.demo()
    _report, server = run(Script(requests=[ADD_CUSTOMER, ADD_INVOICE]), company)
    first, later = (call for call in server.calls if call.method == "sendRequestXML")
    assert '<HostQueryRs requestID="0"' in first.params["strHCPResponse"]
    assert '<CompanyQueryRs requestID="1"' in first.params["strHCPResponse"]
    assert '<PreferencesQueryRs requestID="2"' in first.params["strHCPResponse"]
    assert later.params["strHCPResponse"] == "" and b"<strHCPResponse />" in later.body
    assert first.params["strCompanyFileName"] == company.file_path
    assert (first.params["qbXMLCountry"], first.params["qbXMLMajorVers"], first.params["qbXMLMinorVers"]) == (
        "US",
        "13",
        "0",
    )
    for call in server.calls:
        assert call.headers["SOAPAction"] == f'"http://developer.intuit.com/{call.method}"'
        assert call.headers["Content-Type"] == "text/xml; charset=utf-8"
        assert call.headers["User-Agent"] == USER_AGENT
        assert call.headers["Expect"] == "100-continue"
        assert int(call.headers["Content-Length"]) == len(call.body)
    assert server.calls[0].headers["Connection"] == "Keep-Alive"
    assert list(server.calls[0].headers)[:3] == ["User-Agent", "Content-Type", "SOAPAction"]


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name
        for p in (
            Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "soap" / "captured-2008-qbwc-2.0.0.116"
        ).glob("*.xml")
    ),
)
def test_envelopes_are_byte_identical_to_the_capture(fixtures_dir: Path, name: str) -> None:
    captured = (fixtures_dir / "soap/captured-2008-qbwc-2.0.0.116" / name).read_bytes()
    call = etree.fromstring(captured).find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]
    method = etree.QName(call).localname
    params = [(etree.QName(p).localname, p.text or "") for p in call]
    assert envelope(method, params) == captured


def test_file_id_is_written_on_the_first_session_and_reported_after() -> None:
    company = FakeCompany.demo()

    def hcp_of(server: ScriptedServer) -> etree._Element:
        text = next(c for c in server.calls if c.method == "sendRequestXML").params["strHCPResponse"]
        return etree.fromstring(text.encode()).find("QBXMLMsgsRs/CompanyQueryRs/CompanyRet")

    first, server1 = run(Script(), company, owner_id=OWNER, file_id=FILE_ID)
    assert first.outcome == "done"
    exts1 = {e.findtext("DataExtName"): e.findtext("DataExtValue") for e in hcp_of(server1).findall("DataExtRet")}
    assert "FileID" not in exts1 and exts1["AppLock"].startswith("LOCKED:")
    _, server2 = run(Script(), company, owner_id=OWNER, file_id=FILE_ID)
    exts2 = {e.findtext("DataExtName"): e for e in hcp_of(server2).findall("DataExtRet")}
    assert exts2["FileID"].findtext("DataExtValue") == FILE_ID
    assert exts2["FileID"].findtext("OwnerID") == OWNER
    assert exts2["FileID"].findtext("DataExtType") == "STR255TYPE"


def test_noop_makes_the_connector_wait_and_ask_again() -> None:
    noops = iter(["NoOp", "NoOp"])
    script = Script(requests=["NoOp", "NoOp", ADD_CUSTOMER], last_error=lambda call: next(noops, "done"))
    report, server = run(script, noop_pause=0.0)
    assert server.methods[3:] == [
        "sendRequestXML",
        "getLastError",
        "sendRequestXML",
        "getLastError",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    assert report.outcome == "completed"


def test_empty_request_means_get_last_error_then_close() -> None:
    report, server = run(Script(last_error="Nothing queued"))
    assert server.methods[3:] == ["sendRequestXML", "getLastError", "closeConnection"]
    assert "Nothing queued" in report.messages


@pytest.mark.parametrize(("status", "outcome"), [("nvu", "invalid_user"), ("none", "no_work"), ("busy", "busy")])
def test_authentication_refusals_close_the_connection(status: str, outcome: str) -> None:
    report, server = run(Script(auth=["", status]))
    assert server.methods == ["serverVersion", "clientVersion", "authenticate", "closeConnection"]
    assert report.outcome == outcome


def test_client_version_error_stops_before_authenticate() -> None:
    report, server = run(Script(client_version="E:Upgrade the Web Connector"))
    assert server.methods == ["serverVersion", "clientVersion"]
    assert report.outcome == "client_version_rejected"
    warned, server = run(Script(client_version="W:Old version"))
    assert "authenticate" in server.methods and "warning: Old version" in warned.messages


def test_negative_progress_asks_for_the_error_and_closes() -> None:
    report, server = run(Script(requests=[ADD_CUSTOMER], progress=lambda call: -101, last_error="QuickBooks error"))
    assert server.methods[3:] == ["sendRequestXML", "receiveResponseXML", "getLastError", "closeConnection"]
    assert report.outcome == "server_error"


def test_invalid_qbxml_comes_back_as_hresult_with_empty_response(schema_dir: Path) -> None:
    broken = ADD_CUSTOMER.replace("<Name>Wire Customer</Name>", "<Phone>1</Phone><Name>X</Name>")
    report, server = run(Script(requests=[broken]), FakeCompany.demo(schema_dir=schema_dir))
    posted = next(c for c in server.calls if c.method == "receiveResponseXML")
    assert posted.params == {
        "ticket": "ticket-1",
        "response": "",
        "hresult": "0x80040400",
        "message": "QuickBooks found an error when parsing the provided XML text stream.",
    }
    assert b"<response /><hresult>0x80040400</hresult>" in posted.body
    assert report.parse_errors == 1


def test_dropped_response_keeps_the_changes_in_quickbooks() -> None:
    company = FakeCompany.demo()
    report, server = run(Script(requests=[ADD_CUSTOMER, ADD_INVOICE]), company, faults=Faults(drop_response_at=1))
    assert server.methods[3:] == ["sendRequestXML"]
    assert report.outcome == "dropped"
    assert company.lookup_name("entity", "Wire Customer") is not None


def test_repeated_response_and_early_end() -> None:
    _report, server = run(Script(requests=[ADD_CUSTOMER, ADD_INVOICE]), faults=Faults(repeat_response_at=1))
    assert server.methods.count("receiveResponseXML") == 3
    ended, server = run(Script(requests=[ADD_CUSTOMER, ADD_INVOICE]), faults=Faults(end_after_round_trips=1))
    assert server.methods[3:] == ["sendRequestXML", "receiveResponseXML"] and ended.outcome == "ended"


def test_connection_error_is_reported_and_done_stops() -> None:
    report, server = run(Script(), faults=Faults(connection_errors=1))
    assert server.methods == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "connectionError",
        "closeConnection",
    ]
    assert server.calls[3].params == {
        "ticket": "ticket-1",
        "hresult": "0x80040408",
        "message": "Could not start QuickBooks.",
    }
    assert report.outcome == "connection_error"
    _retried, server = run(Script(connection_error=""), faults=Faults(connection_errors=1))
    assert server.methods[3:5] == ["connectionError", "sendRequestXML"]


def test_prefixed_responses_and_soap_faults_are_understood() -> None:
    report, _ = run(Script(requests=[ADD_CUSTOMER], prefixed=True))
    assert report.outcome == "completed" and report.ticket == "ticket-1"
    faulted, server = run(Script(requests=[ADD_CUSTOMER], faults={"receiveResponseXML"}))
    assert faulted.outcome == "fault"
    assert server.methods[-1] == "receiveResponseXML"
    assert any("failed on purpose" in message for message in faulted.messages)


def test_round_trip_limit_protects_against_endless_servers() -> None:
    script = Script(
        requests=[ADD_CUSTOMER.replace("Wire Customer", f"C{n}") for n in range(10)], progress=lambda call: 10
    )
    report, server = run(script, max_round_trips=3)
    assert report.round_trips == 3 and report.outcome == "round_trip_limit"
    assert server.methods[-1] == "closeConnection"


def test_unreachable_server_raises() -> None:
    connector = FakeWebConnector("http://127.0.0.1:9/qbwc", "u", "p", FakeCompany.empty(), timeout=2)
    with pytest.raises(ServerUnreachableError) as caught:
        connector.run_session()
    assert caught.value.report.outcome == "unreachable"
