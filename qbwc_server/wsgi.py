"""The served WSGI application: `/qbwc` is the SOAP endpoint behind a guard, everything else the Flask app."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

from qbwc_server.protocol import Conversation
from qbwc_server.runtime import Runtime
from qbwc_server.soap import make_soap_app
from qbwc_server.sync.engine import SyncEngine
from qbwc_server.web import create_app

log = logging.getLogger(__name__)

SOAP_PATH = "/qbwc"
XML_TYPE = "text/xml; charset=utf-8"
LANDING_TEXT = (
    "qbwc-server: this is the QuickBooks Web Connector endpoint (SOAP). "
    "Add your company's .qwc file to the Web Connector; the WSDL is at ?wsdl.\n"
)
# Any markup declaration (DOCTYPE, ENTITY, ELEMENT, ATTLIST) in any case; comments and CDATA are harmless.
_DECLARATION = re.compile(rb"<!(?!\[CDATA\[|--)")
_WIDE_ENCODINGS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def make_wsgi_app(runtime: Runtime, engine: SyncEngine | None = None) -> WsgiApp:
    """Compose the server: the guarded SOAP endpoint at /qbwc, the page and REST API everywhere else."""
    conversation = Conversation(runtime, engine=engine)
    soap = SoapGuard(make_soap_app(conversation), max_body_bytes=runtime.settings.max_body_bytes)
    web = create_app(runtime)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path.rstrip("/") == SOAP_PATH:
            return soap(environ, start_response)
        return web(environ, start_response)

    return application


def fault_body(code: str, message: str) -> bytes:
    """Return a SOAP 1.1 Fault envelope (`code` is Client or Server)."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{escape(code)}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


class SoapGuard:
    """Check a request before spyne sees it: size, encoding, no DTD or entity; answer every failure as SOAP."""

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
            return self._fault(start_response, "405 Method Not Allowed", "Client", "Use POST for SOAP calls")
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return self._fault(start_response, "400 Bad Request", "Client", "Content-Length is not a number")
        if length > self.max_body_bytes:
            return self._too_large(start_response)
        stream = environ["wsgi.input"]
        body = stream.read(length) if length >= 0 else stream.read(self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            return self._too_large(start_response)
        if not body.strip():
            return self._fault(start_response, "500 Internal Server Error", "Client", "The request has no body")
        if body.startswith(_WIDE_ENCODINGS) or b"\x00" in body[:1024]:
            return self._fault(start_response, "500 Internal Server Error", "Client", "Send the request in UTF-8")
        if _DECLARATION.search(body):
            log.warning("refused a SOAP request carrying a DTD or entity declaration")
            return self._fault(
                start_response,
                "500 Internal Server Error",
                "Client",
                "Document type and entity declarations are not accepted",
            )
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
            return self._fault(start_response, "500 Internal Server Error", "Server", "Internal error")
        headers = [
            (k, v) for k, v in captured.get("headers", []) if k.lower() not in ("content-type", "content-length")
        ]
        headers += [("Content-Type", XML_TYPE), ("Content-Length", str(len(chunks)))]
        start_response(captured.get("status", "200 OK"), headers)
        return [chunks]

    def _too_large(self, start_response: StartResponse) -> Iterable[bytes]:
        message = f"The request is larger than the server's limit of {self.max_body_bytes} bytes"
        return self._fault(start_response, "413 Request Entity Too Large", "Client", message)

    @staticmethod
    def _fault(start_response: StartResponse, status: str, code: str, message: str) -> Iterable[bytes]:
        body = fault_body(code, message)
        start_response(status, [("Content-Type", XML_TYPE), ("Content-Length", str(len(body)))])
        return [body]
