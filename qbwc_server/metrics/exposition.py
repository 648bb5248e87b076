"""One scrape: every process's SOAP call figures plus the database's, in the Prometheus text format."""

from __future__ import annotations

import hmac
import ipaddress
import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from qbwc_server.config import Settings
from qbwc_server.metrics import calls
from qbwc_server.metrics.database import DatabaseCollector
from qbwc_server.runtime import Runtime

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Set by `serve --workers`: each worker process writes its counters to files there, and a scrape adds them up.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def render(runtime: Runtime) -> bytes:
    """Return the text a scrape answers: SOAP calls of every worker process, then the database's figures."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(calls.REGISTRY)
    registry.register(DatabaseCollector(runtime))
    return generate_latest(registry)


def refusal(settings: Settings, remote_addr: str | None, authorization: str | None) -> str | None:
    """Return why this caller may not read the metrics, or None when it may (a token or an allowed address)."""
    token = settings.metrics_token
    if not token and not settings.metrics_allow:
        return "metrics are off: set QBWC_METRICS_TOKEN or QBWC_METRICS_ALLOW"
    scheme, _, given = (authorization or "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    if _allowed(settings.metrics_allow, remote_addr):
        return None
    return "send the metrics token (Authorization: Bearer …) or scrape from an address in QBWC_METRICS_ALLOW"


def _allowed(networks: tuple[str, ...], remote_addr: str | None) -> bool:
    try:
        address = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in networks)
