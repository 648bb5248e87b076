"""The Web Connector's SOAP client: byte-for-byte QBWC request envelopes over plain HTTP(S)."""

from __future__ import annotations

import contextlib
import http.client
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from .errors import ServerUnreachableError
from .xmltools import parse_xml

log = logging.getLogger(__name__)

NAMESPACE = "http://developer.intuit.com/"
# The .NET SoapHttpClientProtocol user agent QBWC sends (captured from QBWC 2.0.0.116).
USER_AGENT = "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 2.0.50727.1433)"
ENVELOPE_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>'
)
ENVELOPE_TAIL = "</soap:Body></soap:Envelope>"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def escape_text(value: str) -> str:
    """Escape element text the way .NET's XmlTextWriter does (&, < and >; quotes stay as they are)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def envelope(method: str, params: list[tuple[str, Any]]) -> bytes:
    """Serialize a QBWC call: one line, default namespace on the method element, empty params as <x />."""
    if not params:
        body = f'<{method} xmlns="{NAMESPACE}" />'
    else:
        parts = []
        for name, value in params:
            text = "" if value is None else str(value)
            parts.append(f"<{name} />" if text == "" else f"<{name}>{escape_text(text)}</{name}>")
        body = f'<{method} xmlns="{NAMESPACE}">{"".join(parts)}</{method}>'
    return (ENVELOPE_HEAD + body + ENVELOPE_TAIL).encode("utf-8")


def headers(method: str, host: str, length: int, *, first: bool, user_agent: str = USER_AGENT) -> list[tuple[str, str]]:
    """Return QBWC's request headers in the order it sends them."""
    result = [
        ("User-Agent", user_agent),
        ("Content-Type", "text/xml; charset=utf-8"),
        ("SOAPAction", f'"{NAMESPACE}{method}"'),
        ("Host", host),
        ("Content-Length", str(length)),
        ("Expect", "100-continue"),
    ]
    if first:
        result.append(("Connection", "Keep-Alive"))
    return result


@dataclass
class SoapReply:
    """Hold what the server answered to one call: a result, or a SOAP fault."""

    result: Any = None
    fault: str | None = None
    http_status: int = 200


def parse_reply(method: str, status: int, body: bytes) -> SoapReply:
    """Read a SOAP 1.1 response in either the default-namespace or the prefixed form."""
    try:
        root = parse_xml(body)
    except etree.XMLSyntaxError:
        snippet = body[:120].decode("utf-8", "replace")
        return SoapReply(fault=f"HTTP {status}: response is not well-formed XML ({snippet!r})", http_status=status)
    soap_body = next(
        (el for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname == "Body"), None
    )
    first = next((el for el in soap_body if isinstance(el.tag, str)), None) if soap_body is not None else None
    if first is None:
        return SoapReply(fault=f"HTTP {status}: no SOAP body", http_status=status)
    if etree.QName(first).localname == "Fault":
        code = _local_text(first, "faultcode")
        text = _local_text(first, "faultstring")
        return SoapReply(fault=f"{code}: {text}".strip(": "), http_status=status)
    if status >= 400:
        return SoapReply(fault=f"HTTP {status}", http_status=status)
    result = next(
        (el for el in first if isinstance(el.tag, str) and etree.QName(el).localname == f"{method}Result"),
        None,
    )
    if result is None or result.get(XSI_NIL) == "true":
        return SoapReply(result=None, http_status=status)
    strings = [el for el in result if isinstance(el.tag, str)]
    if strings:
        return SoapReply(result=[None if s.get(XSI_NIL) == "true" else (s.text or "") for s in strings])
    return SoapReply(result=result.text or "", http_status=status)


def _local_text(elem: etree._Element, name: str) -> str:
    """Return the text of the first descendant with local name `name`."""
    for child in elem.iter():
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip()
    return ""


class SoapClient:
    """Post QBWC calls to one AppURL over a kept-alive connection, as the Web Connector does."""

    def __init__(self, url: str, *, timeout: float = 300.0, user_agent: str = USER_AGENT) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServerUnreachableError(f"not an http(s) URL: {url}")
        self.url = url
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.host_header = parts.netloc
        self.timeout = timeout
        self.user_agent = user_agent
        self._conn: http.client.HTTPConnection | None = None
        self._calls = 0

    def call(self, method: str, params: list[tuple[str, Any]]) -> SoapReply:
        """Send one call and return the reply; raise ServerUnreachableError when no answer arrives."""
        body = envelope(method, params)
        for attempt in (1, 2):
            reused = self._conn is not None
            try:
                status, data = self._post(method, body)
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if not reused or attempt == 2:
                    raise ServerUnreachableError(f"{self.url}: {exc.__class__.__name__}: {exc}") from exc
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
                raise ServerUnreachableError(f"cannot reach {self.url}: {reason}") from exc
        self._calls += 1
        return parse_reply(method, status, data)

    def _post(self, method: str, body: bytes) -> tuple[int, bytes]:
        """Write the request with QBWC's headers and read the whole response."""
        if self._conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self._conn = cls(self.host, self.port, timeout=self.timeout)
        conn = self._conn
        conn.putrequest("POST", self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers(
            method, self.host_header, len(body), first=self._calls == 0, user_agent=self.user_agent
        ):
            conn.putheader(name, value)
        conn.endheaders(body)
        response = conn.getresponse()
        data = response.read()
        if response.will_close:
            self.close()
        return response.status, data

    def close(self) -> None:
        """Close the kept-alive connection."""
        if self._conn is not None:
            with contextlib.suppress(OSError):  # closing a dead socket must not hide the real error
                self._conn.close()
            self._conn = None
