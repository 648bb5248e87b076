"""A tiny scripted QBWC service on 127.0.0.1 for driving the fake Web Connector in tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from xml.sax.saxutils import escape

from lxml import etree

NS = "http://developer.intuit.com/"


@dataclass
class Received:
    """One call as the server saw it."""

    method: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Script:
    """What the service answers; each entry is a value or a function of the call's parameters."""

    requests: list[str] = field(default_factory=list)
    auth: list[str] = field(default_factory=lambda: ["ticket-1", ""])
    client_version: str = ""
    last_error: Callable[[Received], str] | str = "No more work"
    progress: Callable[[Received], int] | None = None
    connection_error: str = "done"
    faults: set[str] = field(default_factory=set)
    prefixed: bool = False

    def answer(self, call: Received) -> Any:
        method = call.method
        if method == "serverVersion":
            return "scripted 1.0"
        if method == "clientVersion":
            return self.client_version
        if method == "authenticate":
            return self.auth
        if method == "sendRequestXML":
            return self.requests.pop(0) if self.requests else ""
        if method == "receiveResponseXML":
            if self.progress is not None:
                return self.progress(call)
            return 50 if self.requests else 100
        if method == "getLastError":
            return self.last_error(call) if callable(self.last_error) else self.last_error
        if method == "connectionError":
            return self.connection_error
        return "OK"


class ScriptedServer:
    """Serve a Script over HTTP on a random local port and keep every call received."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.calls: list[Received] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes; without this, delayed ACKs slow every call.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                root = etree.fromstring(body)
                call_elem = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]
                method = etree.QName(call_elem).localname
                params = {etree.QName(p).localname: p.text or "" for p in call_elem}
                received = Received(method, params, dict(self.headers.items()), body)
                server.calls.append(received)
                if method in server.script.faults:
                    self._send(500, _fault(f"{method} failed on purpose"))
                else:
                    self._send(200, _envelope(method, server.script.answer(received), server.script.prefixed))

            def _send(self, code: int, payload: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/qbwc"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def methods(self) -> list[str]:
        return [call.method for call in self.calls]


def _envelope(method: str, result: Any, prefixed: bool) -> bytes:
    """Answer in the .NET default-namespace form, or the prefixed form PHP servers use."""
    if isinstance(result, list):
        inner = "".join(
            f"<{'ns1:' if prefixed else ''}string>{escape(s)}</{'ns1:' if prefixed else ''}string>" for s in result
        )
    else:
        inner = escape(str(result))
    if prefixed:
        return (
            '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/'
            f'soap/envelope/" xmlns:ns1="{NS}"><SOAP-ENV:Body><ns1:{method}Response><ns1:{method}Result>{inner}'
            f"</ns1:{method}Result></ns1:{method}Response></SOAP-ENV:Body></SOAP-ENV:Envelope>"
        ).encode()
    return (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Body><{method}Response xmlns="{NS}"><{method}Result>{inner}</{method}Result></{method}Response>'
        "</soap:Body></soap:Envelope>"
    ).encode()


def _fault(text: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>{escape(text)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()
