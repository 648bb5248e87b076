"""Errors raised by the QuickBooks simulator and the fake Web Connector."""

from __future__ import annotations

from qbwc_server.errors import QbwcError

PARSE_HRESULT = "0x80040400"
PARSE_MESSAGE = "QuickBooks found an error when parsing the provided XML text stream."


class SimulatorError(QbwcError):
    """Raised when the simulator cannot do what was asked of it."""


class QuickBooksParseError(SimulatorError):
    """Raised when QuickBooks rejects a whole qbXML message set, as its request processor does."""

    def __init__(self, hresult: str = PARSE_HRESULT, message: str = PARSE_MESSAGE, detail: str = "") -> None:
        super().__init__(f"{hresult}: {message}")
        self.hresult = hresult
        self.message = message
        # What made the set invalid; QuickBooks itself only logs this in qbsdklog.txt.
        self.detail = detail


class ServerUnreachableError(SimulatorError):
    """Raised when the fake Web Connector cannot reach the server at all."""

    def __init__(self, reason: str, report: object | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.report = report


class RequestError(Exception):
    """Raised inside request handlers to answer one request with a QuickBooks status code."""

    def __init__(self, code: int, message: str, severity: str = "Error") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.severity = severity
