"""The edge in front of spyne: a SOAP request is measured, read within the body limit and checked in one linear
pass before spyne sees it, and every refusal is answered as a SOAP Fault. The pass that checks the envelope also
builds its tree, which spyne then reads instead of parsing the body a second time."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

from qbwc_server.xmlcheck import SOAP_LIMITS, XmlRefused, read_checked

log = logging.getLogger(__name__)

XML_TYPE = "text/xml; charset=utf-8"
LANDING_TEXT = (
    "qbwc-server: this is the QuickBooks Web Connector endpoint (SOAP). "
    "Add your company's .qwc file to the Web Connector; the WSDL is at ?wsdl.\n"
)
# Where the guard leaves the envelope it parsed while checking it, for the SOAP layer to use instead of parsing the
# same bytes again (`soap.CheckedSoap11`).
CHECKED_ENVELOPE = "qbwc_server.checked_envelope"
_WIDE_ENCODINGS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def fault_body(code: str, message: str) -> bytes:
    """Return a SOAP 1.1 Fault envelope (`code` is Client or Server)."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{escape(code)}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def too_large_message(limit: int) -> str:
    """Return the words every too-large refusal uses, whichever layer noticed."""
    return f"The request is larger than the server's limit of {limit} bytes (QBWC_MAX_BODY_BYTES)"


class SoapGuard:
    """Check a request before spyne sees it: size, encoding, structure, no DTD; answer every failure as SOAP."""

    def __init__(self, app: WsgiApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        query = environ.get("QUERY_STRING", "")
        if method in ("GET", "HEAD"):
            if query.lower().split("=")[0].split("&")[0] == "wsdl":
                environ["QUERY_STRING"] = "wsdl"
                return self._call_spyne(environ, start_response)
            body = LANDING_TEXT.encode()
            start_response(
                "200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
            )
            return [b"" if method == "HEAD" else body]
        if method != "POST":
            return _fault(start_response, "405 Method Not Allowed", "Client", "Use POST for SOAP calls")
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return _fault(start_response, "400 Bad Request", "Client", "Content-Length is not a number")
        # Decided from the header alone, before a byte of the body is read.
        if length > self.max_body_bytes:
            return self._too_large(start_response)
        stream = environ["wsgi.input"]
        body = stream.read(length) if length >= 0 else stream.read(self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            return self._too_large(start_response)
        if not body.strip():
            return _fault(start_response, "500 Internal Server Error", "Client", "The request has no body")
        if body.startswith(_WIDE_ENCODINGS) or b"\x00" in body[:1024]:
            return _fault(start_response, "500 Internal Server Error", "Client", "Send the request in UTF-8")
        try:
            environ[CHECKED_ENVELOPE] = (body, read_checked(body, SOAP_LIMITS))
        except XmlRefused as exc:
            log.warning("refused a SOAP request: %s", exc)
            return _fault(start_response, "500 Internal Server Error", "Client", str(exc))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        if not environ.get("CONTENT_TYPE"):
            environ["CONTENT_TYPE"] = XML_TYPE
        return self._call_spyne(environ, start_response)

    def _call_spyne(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None

        try:
            chunks = b"".join(self.app(environ, capture))
        except Exception:
            log.exception("the SOAP layer failed")
            return _fault(start_response, "500 Internal Server Error", "Server", "Internal error")
        headers = [
            (k, v) for k, v in captured.get("headers", []) if k.lower() not in ("content-type", "content-length")
        ]
        headers += [("Content-Type", XML_TYPE), ("Content-Length", str(len(chunks)))]
        start_response(captured.get("status", "200 OK"), headers)
        return [chunks]

    def _too_large(self, start_response: StartResponse) -> Iterable[bytes]:
        message = too_large_message(self.max_body_bytes)
        return _fault(start_response, "413 Request Entity Too Large", "Client", message)


def _fault(start_response: StartResponse, status: str, code: str, message: str) -> Iterable[bytes]:
    body = fault_body(code, message)
    start_response(status, [("Content-Type", XML_TYPE), ("Content-Length", str(len(body)))])
    return [body]
