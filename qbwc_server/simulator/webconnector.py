"""FakeWebConnector: drives any QBWC server over real HTTP exactly as QuickBooks Web Connector 2.x does."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from . import clock, hostinfo
from .errors import QuickBooksParseError, ServerUnreachableError
from .quickbooks import FakeCompany
from .report import SessionReport
from .soapclient import USER_AGENT, SoapClient

log = logging.getLogger(__name__)

MAX_CONNECTION_ERROR_CALLS = 3
MACHINE = "QBWCSIM"


@dataclass
class Faults:
    """Ways to make the session go wrong the way real ones do."""

    # Round trip (1-based) whose receiveResponseXML never reaches the server: QuickBooks kept the changes,
    # the Web Connector timed out, and the session ends there without closeConnection.
    drop_response_at: int | None = None
    # Stop the session abruptly after this many round trips (QBWC closed or crashed).
    end_after_round_trips: int | None = None
    # Round trip whose receiveResponseXML is sent twice.
    repeat_response_at: int | None = None
    # How many times opening the company file fails (each failure is reported with connectionError).
    connection_errors: int = 0
    connection_error_hresult: str = "0x80040408"
    connection_error_message: str = "Could not start QuickBooks."
    # Seconds QuickBooks spends on each request of a message set.
    latency: float | None = None


class FakeWebConnector:
    """Run Web Connector update sessions against a server, with a FakeCompany in QuickBooks' place."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        company: FakeCompany,
        *,
        version: str = "2.3.0.215",
        noop_pause: float = 0.0,
        faults: Faults | None = None,
        owner_id: str | None = None,
        file_id: str | None = None,
        max_round_trips: int = 10_000,
        max_noops: int = 100,
        timeout: float = 300.0,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.company = company
        self.version = version
        self.noop_pause = noop_pause
        self.faults = faults or Faults()
        self.owner_id = owner_id
        self.file_id = file_id
        self.max_round_trips = max_round_trips
        self.max_noops = max_noops
        self.timeout = timeout
        self.user_agent = user_agent

    def run_session(self) -> SessionReport:
        """Run one update session; raise ServerUnreachableError (carrying the partial report) if HTTP fails."""
        report = SessionReport()
        client = SoapClient(self.url, timeout=self.timeout, user_agent=self.user_agent)
        started = time.perf_counter()
        saved_latency = self.company.latency
        if self.faults.latency is not None:
            self.company.latency = self.faults.latency
        try:
            self._session(client, report)
        except ServerUnreachableError as exc:
            report.outcome = "unreachable"
            report.messages.append(exc.reason)
            exc.report = report
            raise
        finally:
            self.company.latency = saved_latency
            client.close()
            report.seconds = time.perf_counter() - started
        return report

    # -- the conversation -------------------------------------------------------------------------------
    def _call(self, client: SoapClient, report: SessionReport, method: str, params: list[tuple[str, Any]]) -> Any:
        """Make one call and log it in the report; a SOAP fault ends the session (returns _FAULT)."""
        started = time.perf_counter()
        reply = client.call(method, params)
        report.record(method, dict(params), reply.result, time.perf_counter() - started, reply.fault)
        if reply.fault:
            log.info("%s answered with a fault: %s", method, reply.fault)
            report.messages.append(f"{method}: {reply.fault}")
            return _FAULT
        return reply.result

    def _session(self, client: SoapClient, report: SessionReport) -> None:
        """Follow the Programmer's Guide call order from serverVersion to closeConnection."""
        # serverVersion and clientVersion are optional for the service: a fault there does not stop QBWC.
        server_version = self._call(client, report, "serverVersion", [])
        report.server_version = None if server_version is _FAULT else server_version
        answer = self._call(client, report, "clientVersion", [("strVersion", self.version)])
        if isinstance(answer, str) and answer[:2] in ("E:", "O:"):
            report.outcome = "client_version_rejected"
            report.messages.append(answer[2:] if answer.startswith("E:") else f"the service needs QBWC {answer[2:]}")
            return
        if isinstance(answer, str) and answer.startswith("W:"):
            report.messages.append(f"warning: {answer[2:]}")
        auth = self._call(
            client, report, "authenticate", [("strUserName", self.username), ("strPassword", self.password)]
        )
        if auth is _FAULT or not isinstance(auth, list) or not auth:
            report.outcome = "fault"
            return
        ticket = auth[0] or ""
        status = (auth[1] or "") if len(auth) > 1 else ""
        report.ticket = ticket
        for index, label in ((2, "postpone update by"), (3, "minimum run interval")):
            if len(auth) > index and auth[index]:
                report.messages.append(f"{label} {auth[index]} s")
        if status.lower() in ("nvu", "none", "busy"):
            report.outcome = {"nvu": "invalid_user", "none": "no_work", "busy": "busy"}[status.lower()]
            self._call(client, report, "closeConnection", [("ticket", ticket)])
            return
        company_file = status or self.company.file_path
        if not self._open_company(client, report, ticket):
            return
        self.company.begin_session()
        hcp = self._hcp(report)
        self._write_file_id()
        self._exchange(client, report, ticket, hcp, company_file)
        if self.owner_id:
            hostinfo.set_company_data_ext(self.company, self.owner_id, "AppLock", f"UNLOCKED:{MACHINE}:{_ticks()}")

    def _open_company(self, client: SoapClient, report: SessionReport, ticket: str) -> bool:
        """Fail to open the company as many times as the faults say, asking connectionError each time."""
        failures = self.faults.connection_errors
        for attempt in range(MAX_CONNECTION_ERROR_CALLS):
            if attempt >= failures:
                return True
            answer = self._call(
                client,
                report,
                "connectionError",
                [
                    ("ticket", ticket),
                    ("hresult", self.faults.connection_error_hresult),
                    ("message", self.faults.connection_error_message),
                ],
            )
            if answer is _FAULT:
                report.outcome = "fault"
                return False
            if (answer or "").lower() == "done":
                report.outcome = "connection_error"
                self._call(client, report, "closeConnection", [("ticket", ticket)])
                return False
        if failures <= MAX_CONNECTION_ERROR_CALLS:
            return True
        report.outcome = "connection_error"
        self._call(client, report, "closeConnection", [("ticket", ticket)])
        return False

    def _hcp(self, report: SessionReport) -> str:
        """Return the company's answer to HostQuery + CompanyQuery + PreferencesQuery (request IDs 0, 1, 2)."""
        if self.owner_id:
            hostinfo.set_company_data_ext(self.company, self.owner_id, "AppLock", f"LOCKED:{MACHINE}:{_ticks()}")
        major, minor = self.company.highest_version()
        owner = f"<OwnerID>{self.owner_id}</OwnerID>" if self.owner_id else ""
        request = (
            f'<?xml version="1.0" ?>\n<?qbxml version="{major}.{minor}"?>\n<QBXML>\n'
            '<QBXMLMsgsRq onError="continueOnError">\n<HostQueryRq requestID="0" />\n'
            f'<CompanyQueryRq requestID="1">{owner}</CompanyQueryRq>\n<PreferencesQueryRq requestID="2" />\n'
            "</QBXMLMsgsRq>\n</QBXML>\n"
        )
        before = self.company.qb_seconds
        result = self.company.process_detailed(request)
        report.qb_seconds += self.company.qb_seconds - before
        report.hcp_response = result.response
        return result.response

    def _write_file_id(self) -> None:
        """Store the .qwc FileID in the company file on the first connection, as QBWC does."""
        if self.owner_id and self.file_id and not hostinfo.company_data_ext(self.company, self.owner_id, "FileID"):
            hostinfo.set_company_data_ext(self.company, self.owner_id, "FileID", self.file_id)

    def _exchange(self, client: SoapClient, report: SessionReport, ticket: str, hcp: str, company_file: str) -> None:
        """Loop sendRequestXML / receiveResponseXML until the server is done, fails or a fault stops us."""
        major, minor = self.company.highest_version()
        first = True
        noops = 0
        while True:
            request = self._call(
                client,
                report,
                "sendRequestXML",
                [
                    ("ticket", ticket),
                    ("strHCPResponse", hcp if first else ""),
                    ("strCompanyFileName", company_file),
                    ("qbXMLCountry", self.company.state.info.country),
                    ("qbXMLMajorVers", major),
                    ("qbXMLMinorVers", minor),
                ],
            )
            first = False
            if request is _FAULT:
                report.outcome = "fault"
                return
            if request in (None, "", "NoOp"):
                last = self._call(client, report, "getLastError", [("ticket", ticket)])
                if request == "NoOp" and last == "NoOp" and noops < self.max_noops:
                    noops += 1
                    time.sleep(self.noop_pause)
                    continue
                if last is not _FAULT and last:
                    report.messages.append(str(last))
                report.outcome = "interactive_unsupported" if last == "Interactive mode" else "done"
                self._close(client, report, ticket)
                return
            report.round_trips += 1
            response, hresult, message = self._run_in_quickbooks(report, request)
            if self.faults.drop_response_at == report.round_trips:
                report.outcome = "dropped"
                return
            sends = 2 if self.faults.repeat_response_at == report.round_trips else 1
            for _ in range(sends):
                progress = self._call(
                    client,
                    report,
                    "receiveResponseXML",
                    [
                        ("ticket", ticket),
                        ("response", response),
                        ("hresult", hresult),
                        ("message", message),
                    ],
                )
            if progress is _FAULT:
                report.outcome = "fault"
                return
            if self.faults.end_after_round_trips == report.round_trips:
                report.outcome = "ended"
                return
            value = _as_int(progress)
            if value is None or value < 0:
                last = self._call(client, report, "getLastError", [("ticket", ticket)])
                if last is not _FAULT and last:
                    report.messages.append(str(last))
                report.outcome = "server_error"
                self._close(client, report, ticket)
                return
            if value >= 100:
                report.outcome = "completed"
                self._close(client, report, ticket)
                return
            if report.round_trips >= self.max_round_trips:
                report.outcome = "round_trip_limit"
                report.messages.append(f"stopped after {report.round_trips} round trips")
                self._close(client, report, ticket)
                return

    def _run_in_quickbooks(self, report: SessionReport, request: str) -> tuple[str, str, str]:
        """Hand the qbXML to the company; a rejected set becomes hresult/message with an empty response."""
        before = self.company.qb_seconds
        try:
            result = self.company.process_detailed(request)
        except QuickBooksParseError as err:
            report.parse_errors += 1
            report.messages.append(f"{err.hresult}: {err.message}")
            log.debug("QuickBooks rejected a message set: %s", err.detail)
            return "", err.hresult, err.message
        finally:
            report.qb_seconds += self.company.qb_seconds - before
        report.count(result)
        return result.response, "", ""

    def _close(self, client: SoapClient, report: SessionReport, ticket: str) -> None:
        """Call closeConnection and keep the server's closing message."""
        answer = self._call(client, report, "closeConnection", [("ticket", ticket)])
        if answer is not _FAULT and answer:
            report.messages.append(str(answer))


class _Fault:
    """Marker for a call the server answered with a SOAP fault."""


_FAULT: Any = _Fault()


def _as_int(value: Any) -> int | None:
    """Return receiveResponseXML's result as an int (None if it is not a number)."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _ticks() -> int:
    """Return a .NET-style tick count for the AppLock value."""
    return int(clock.now().timestamp() * 10_000_000) + 621355968000000000
