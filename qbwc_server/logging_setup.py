"""Logging: the server's format, and the one line written per Web Connector call."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from qbwc_server.metrics import calls

CALL_LOGGER = "qbwc_server.soap.calls"
QBXML_LOGGER = "qbwc_server.soap.qbxml"
# Looked up once: getLogger takes the logging module's lock at every call, and every SOAP call logs.
_CALLS = logging.getLogger(CALL_LOGGER)
_QBXML = logging.getLogger(QBXML_LOGGER)

# spyne logs a whole unparseable request at ERROR; the request may hold a password or customer data.
_QUIET_LOGGERS = ("spyne.protocol.soap.soap11.invalid", "spyne.protocol.xml.invalid")


def configure(level: str = "INFO") -> None:
    """Set the root logger's level and format (idempotent), and silence loggers that would leak request bodies."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level.upper())
    silence_body_loggers()


def silence_body_loggers() -> None:
    """Keep third-party loggers that dump raw request bodies quiet at every level below CRITICAL."""
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def ticket_prefix(ticket: str | None) -> str:
    """Return the first 8 characters of a ticket: enough to follow a session, too little to reuse it."""
    return (ticket or "")[:8] or "-"


@dataclass
class CallRecord:
    """What one SOAP call's log line says; the conversation fills it in as it learns more."""

    method: str
    ticket: str | None = None
    company: str | None = None
    outcome: str = "ok"
    started: float = field(default_factory=time.perf_counter)


@contextmanager
def log_call(method: str, ticket: str | None = None) -> Iterator[CallRecord]:
    """Write one INFO line when the call ends: method, company slug, ticket prefix, duration and outcome."""
    record = CallRecord(method=method, ticket=ticket)
    try:
        yield record
    except BaseException:
        record.outcome = "exception"
        raise
    finally:
        elapsed = time.perf_counter() - record.started
        elapsed_ms = elapsed * 1000
        # Counted here too, so the metrics see exactly the calls the log shows, with the same outcome words.
        calls.observe(record.method, record.outcome, elapsed)
        _CALLS.info(
            "%s company=%s ticket=%s ms=%.1f outcome=%s",
            record.method,
            record.company or "-",
            ticket_prefix(record.ticket),
            elapsed_ms,
            record.outcome,
        )


def log_qbxml(direction: str, ticket: str | None, text: str | None) -> None:
    """Log a qbXML body at DEBUG only: it carries customer data."""
    if text and _QBXML.isEnabledFor(logging.DEBUG):
        _QBXML.debug("%s ticket=%s qbXML:\n%s", direction, ticket_prefix(ticket), text)
