"""The real server stack (waitress set up as `serve` runs it, and the WSGI app) under hostile traffic."""

from __future__ import annotations

import http.client
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from lxml import etree

from qbwc_server.runtime import Runtime
from tests.harness import Harness

NS = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8"}


def envelope(method: str, **params: str) -> bytes:
    """Return a SOAP envelope calling `method` with escaped string parameters."""
    from xml.sax.saxutils import escape

    inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in params.items())
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>'
        f'<{method} xmlns="{NS}">{inner}</{method}></soap:Body></soap:Envelope>'
    ).encode()


@dataclass
class Answer:
    """One HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    def fault(self) -> str:
        """Return a SOAP Fault's faultstring (the body must be one)."""
        root = etree.fromstring(self.body, etree.XMLParser(resolve_entities=False, no_network=True))
        fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
        assert fault is not None, self.body[:500]
        return fault.findtext("faultstring") or ""

    def result(self, method: str) -> list[str]:
        """Return a SOAP call's result as text (one item, or each string of an array)."""
        root = etree.fromstring(self.body, etree.XMLParser(resolve_entities=False, no_network=True))
        found = root.find(f"{{{SOAP_ENV}}}Body/{{{NS}}}{method}Response/{{{NS}}}{method}Result")
        assert found is not None, self.body[:500]
        strings = found.findall(f"{{{NS}}}string")
        return [s.text or "" for s in strings] if strings else [found.text or ""]


@dataclass
class Client:
    """An HTTP client of the live server from one loopback address, keeping the page's session cookie."""

    port: int
    source: str = "127.0.0.1"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, verb: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        """Send one request on a fresh connection and read the whole answer."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60, source_address=(self.source, 0))
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(verb, path, body=body, headers=sent)
            response = connection.getresponse()
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
            for value in response.msg.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return answer
        finally:
            connection.close()

    def soap(self, method: str, **params: str) -> Answer:
        """Call a Web Connector method."""
        headers = {**SOAP_HEADERS, "SOAPAction": f'"{NS}{method}"'}
        return self.request("POST", "/qbwc", envelope(method, **params), headers)

    def authenticate(self, user: str, password: str) -> list[str]:
        """Return authenticate's [ticket, status]."""
        return self.soap("authenticate", strUserName=user, strPassword=password).result("authenticate")

    def sign_in(self, email: str, password: str, next_path: str = "") -> Answer:
        """Post the page's login form with its CSRF token."""
        page = self.request("GET", "/login").body.decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        from urllib.parse import urlencode

        form = urlencode({"email": email, "password": password, "csrf_token": token.group(1)}).encode()
        path = "/login" + (f"?next={next_path}" if next_path else "")
        return self.request("POST", path, form, {"Content-Type": "application/x-www-form-urlencoded"})

    def csrf_from(self, path: str) -> str:
        """Return the CSRF token of the form on a page."""
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.request("GET", path).body.decode())
        assert token is not None
        return token.group(1)


def raw_exchange(port: int, head: bytes, body_chunks: Sequence[bytes] = (), timeout: float = 20) -> bytes:
    """Send raw request bytes (headers, then body parts while the server reads them) and return the whole reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        for chunk in body_chunks:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        reply = b""
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                reply += data
        except (ConnectionResetError, TimeoutError):
            pass
    return reply


@pytest.fixture
def live(runtime: Runtime) -> Iterator[Callable[..., Harness]]:
    """Start a company on the live server with a token and a Web Connector; stopped after the test."""
    started: list[Harness] = []

    def start(**settings: Any) -> Harness:
        harness = Harness(runtime, **settings)
        started.append(harness)
        return harness

    yield start
    for harness in started:
        harness.close()
