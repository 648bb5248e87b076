"""Waitress set up the way `serve` runs it: the body limit applied while a request arrives, and the refusals it
answers before the application runs written in each endpoint's own format (a SOAP Fault, or JSON for the API)."""

from __future__ import annotations

import json
import re
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server
from waitress.task import ErrorTask
from waitress.utilities import Error, RequestEntityTooLarge

from qbwc_server.config import DEFAULT_MAX_BODY_BYTES, Settings
from qbwc_server.soap_guard import XML_TYPE, fault_body, too_large_message

API_PREFIX = "/api/"
SOAP_PATH = "/qbwc"
# The shape of the tokens `qbwc-server token create` makes; anything else cannot be valid.
_BEARER = re.compile(r"\s*bearer\s+qbwc_[A-Za-z0-9_-]{20,195}\s*", re.IGNORECASE)


class Unauthorized(Error):
    """A write to the API without a token, refused before its body is read."""

    code = 401
    reason = "Unauthorized"


class _GuardedParser(HTTPRequestParser):
    # waitress sets these in its own untyped code.
    error: Error | None
    completed: bool

    def received(self, data: bytes) -> int:
        consumed: int = super().received(data)
        if self.headers_finished and not self.error and not self.completed and self._unauthenticated_api_body():
            # The body is never read: the answer goes out and the connection closes.
            self.error = Unauthorized("send your API token as 'Authorization: Bearer <token>'")
            self.completed = True
        return consumed

    def _unauthenticated_api_body(self) -> bool:
        path = str(getattr(self, "path", "") or "")
        return path.startswith(API_PREFIX) and not _BEARER.fullmatch(self.headers.get("AUTHORIZATION", ""))


class _RefusalTask(ErrorTask):
    def execute(self) -> None:
        path = str(getattr(self.request, "path", "") or "")
        status, headers, body = refusal(path, self.request.error, self.channel.adj.max_request_body_size)
        if body is None:
            super().execute()
            return
        self.status = status
        self.response_headers.extend(headers)
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _GuardedChannel(HTTPChannel):
    parser_class = _GuardedParser
    error_task_class = _RefusalTask


def refusal(path: str, error: Error, waitress_limit: int) -> tuple[str, list[tuple[str, str]], bytes | None]:
    """Return the answer to a request waitress refused, in the format of the endpoint it was for (None: its own)."""
    status = f"{error.code} {error.reason}"
    if isinstance(error, RequestEntityTooLarge):
        # Waitress refuses a body that reaches its limit, so it is set one byte above ours.
        message = too_large_message(waitress_limit - 1)
    elif isinstance(error, Unauthorized):
        message = str(error.body)
    else:
        return status, [], None
    if path.rstrip("/") == SOAP_PATH:
        return status, [("Content-Type", XML_TYPE)], fault_body("Client", message)
    if path.startswith(API_PREFIX):
        headers = [("Content-Type", "application/json")]
        if isinstance(error, Unauthorized):
            headers.append(("WWW-Authenticate", 'Bearer realm="qbwc-server"'))
        return status, headers, json.dumps({"error": message}).encode()
    return status, [], None


def waitress_options(max_body_bytes: int, trust_proxy: int = 0) -> dict[str, Any]:
    """Return waitress' settings: a body of exactly the limit passes, one byte more does not; and X-Forwarded-*
    headers reach the app (whose ProxyFix reads them) only when QBWC_TRUST_PROXY says a proxy sets them."""
    return {
        "max_request_body_size": max_body_bytes + 1,
        "clear_untrusted_proxy_headers": not trust_proxy,
        "ident": "qbwc-server",
    }


def make_server(app: Any, host: str, port: int, threads: int, settings: Settings | None = None) -> Any:
    """Create (not start) the waitress server `serve` runs with `settings`' limit and proxy trust (default ones
    when None); `.run()` serves until interrupted."""
    limit = settings.max_body_bytes if settings else DEFAULT_MAX_BODY_BYTES
    options = waitress_options(limit, settings.trust_proxy if settings else 0)
    server = create_server(app, host=host, port=port, threads=threads, **options)
    listeners = server.map.values() if isinstance(server, MultiSocketServer) else [server]
    for listener in listeners:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = _GuardedChannel
    return server
