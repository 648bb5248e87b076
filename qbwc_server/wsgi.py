"""The served WSGI application: `/qbwc` is the SOAP endpoint behind a guard, everything else the Flask app."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from qbwc_server.protocol import Conversation
from qbwc_server.runtime import Runtime
from qbwc_server.soap import make_soap_app
from qbwc_server.soap_guard import SoapGuard, StartResponse, WsgiApp
from qbwc_server.sync.engine import SyncEngine
from qbwc_server.web import create_app

log = logging.getLogger(__name__)

SOAP_PATH = "/qbwc"


def make_wsgi_app(runtime: Runtime, engine: SyncEngine | None = None) -> WsgiApp:
    """Compose the server: the guarded SOAP endpoint at /qbwc, the page and REST API everywhere else."""
    conversation = Conversation(runtime, engine=engine)
    soap = SoapGuard(make_soap_app(conversation), max_body_bytes=runtime.settings.max_body_bytes)
    web = create_app(runtime)

    def composed(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path.rstrip("/") == SOAP_PATH:
            return soap(environ, start_response)
        return web(environ, start_response)

    hops = runtime.settings.trust_proxy
    if not hops:
        return composed
    # Behind a TLS proxy the client's address and scheme arrive in X-Forwarded-* headers; only then trust them.
    return ProxyFix(composed, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def settle_before_serving() -> None:
    """Leave what the process built to serve (modules, the app, compiled schemas and templates) out of the garbage
    collector's full passes, which otherwise walk all of it again every few thousand objects a request makes.

    Called once by `serve` (waitress) and by each gunicorn worker, after the app is built. Those objects live as
    long as the process; what is made later is collected as before.
    """
    gc.collect()
    gc.freeze()
