"""A real HTTP server (waitress on a free loopback port) running the composed app, and SOAP call helpers."""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from lxml import etree

from qbwc_server import companies
from qbwc_server.runtime import Runtime
from qbwc_server.sync.engine import SyncEngine
from qbwc_server.wsgi import make_wsgi_app
from tests.live import LiveServer as Server

NS = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
# The headers the Web Connector 2.0 sends (HEADERS.md beside the captured envelopes).
WC_HEADERS = {
    "User-Agent": "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 2.0.50727.1433)",
    "Content-Type": "text/xml; charset=utf-8",
    "Expect": "100-continue",
}


@dataclass
class Reply:
    """An HTTP answer from the SOAP endpoint."""

    status: int
    content_type: str
    body: bytes

    def xml(self) -> etree._Element:
        """Parse the body (it must always be well-formed XML)."""
        return etree.fromstring(self.body, etree.XMLParser(resolve_entities=False, no_network=True))

    def result(self, method: str) -> etree._Element:
        """Return the <METHOD>Result element of a successful answer."""
        found = self.xml().find(f"{{{SOAP_ENV}}}Body/{{{NS}}}{method}Response/{{{NS}}}{method}Result")
        assert found is not None, self.body
        return found

    def strings(self, method: str) -> list[str]:
        """Return an ArrayOfString result as a list."""
        return [s.text or "" for s in self.result(method).findall(f"{{{NS}}}string")]

    def text(self, method: str) -> str:
        """Return a string or int result as text."""
        return self.result(method).text or ""

    def fault(self) -> str:
        """Return a SOAP Fault's faultstring."""
        fault = self.xml().find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
        assert fault is not None, self.body
        return fault.findtext("faultstring") or ""


class LiveServer:
    """A started server: its base URL and a way to POST raw envelopes the way the Web Connector does."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.url = f"http://{host}:{port}"

    def post(self, body: bytes, method: str, extra_headers: dict[str, str] | None = None) -> Reply:
        """POST an envelope to /qbwc with the Web Connector's headers and a quoted SOAPAction."""
        headers = {**WC_HEADERS, "SOAPAction": f'"{NS}{method}"', "Content-Length": str(len(body))}
        headers.update(extra_headers or {})
        return self.request("POST", "/qbwc", body, headers)

    def request(self, verb: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
        """Send one HTTP request on a fresh connection."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(verb, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Reply(response.status, response.getheader("Content-Type", ""), response.read())
        finally:
            connection.close()


@pytest.fixture
def serve(runtime: Runtime) -> Iterator[Callable[..., LiveServer]]:
    """Start the composed app on 127.0.0.1 with a given sync engine; stopped after the test."""
    servers: list[Server] = []

    def start(engine: SyncEngine | None = None) -> LiveServer:
        server = Server(make_wsgi_app(runtime, engine=engine), settings=runtime.settings)
        servers.append(server)
        return LiveServer("127.0.0.1", server.port)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def add_company(runtime: Runtime) -> Callable[..., None]:
    """Create a company with a given Web Connector user and password."""

    def factory(slug: str, user: str, password: str, **columns: Any) -> None:
        with runtime.transaction() as db:
            company = companies.create_company(db, slug, slug.title(), user, password)
            for key, value in columns.items():
                setattr(company, key, value)

    return factory


class QueueEngine(SyncEngine):
    """A sync engine with a fixed list of requests; each answer counts as one synced record."""

    def __init__(self, requests: list[str]) -> None:
        super().__init__()
        self.requests = list(requests)
        self.responses: list[str] = []

    def has_work(self, db, company, plan=False, asked=None):  # type: ignore[no-untyped-def]
        return True

    def next_request(self, db, company, wc_session):  # type: ignore[no-untyped-def]
        return self.requests.pop(0) if self.requests else None

    def handle_response(self, db, company, wc_session, response, hresult, message):  # type: ignore[no-untyped-def]
        self.responses.append(response)
        wc_session.succeeded += 1
        return 100 if not self.requests else 50


@pytest.fixture
def queue_engine() -> type[QueueEngine]:
    """The scripted engine class for end-to-end tests."""
    return QueueEngine
