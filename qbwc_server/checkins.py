"""A Web Connector that stopped checking in: the company's webhooks hear it, though no session comes to say so.

Sessions announce the connection state as they start and end, but a Web Connector that has stopped (the Windows
machine off, QuickBooks closed, its password lost) starts none. So a watcher thread in each server process looks,
once a minute, for companies with an endpoint for `connection.state_changed` whose last check-in is older than
three of their scheduled runs, and announces their state ("not_checking_in", or "paused" when a person paused the
company). The outbox remembers the state last announced, so each change is announced once; the company's row is
locked while that is decided, so two processes watching at once announce it once too.
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import clock, status
from qbwc_server.models import Company, WebhookEndpoint
from qbwc_server.webhooks.events import EventType
from qbwc_server.webhooks.outbox import last_connection_state, wants

log = logging.getLogger(__name__)

WATCH_SECONDS = 60.0


class Database(Protocol):
    """What the watcher needs of the server's runtime: a transaction at a time."""

    def transaction(self) -> AbstractContextManager[Session]:
        """Run a block in one database transaction."""
        ...


def quiet_companies(db: Session) -> list[int]:
    """Return the ids of the companies not checking in whose endpoints want to hear of their connection state."""
    now = clock.now()
    watched = {
        company_id
        for company_id, types in db.execute(select(WebhookEndpoint.company_id, WebhookEndpoint.event_types))
        if wants(types, EventType.CONNECTION_STATE_CHANGED)
    }
    if not watched:
        return []
    companies = db.scalars(select(Company).where(Company.id.in_(watched), Company.last_checkin_at.is_not(None)))
    return sorted(company.id for company in companies if status.is_stale(company, now))


def announce_quiet(runtime: Database) -> int:
    """Announce the state of every company that stopped checking in, one transaction each; return how many."""
    with runtime.transaction() as db:
        quiet = quiet_companies(db)
    for company_id in quiet:
        with runtime.transaction() as db:
            # Locked (PostgreSQL; SQLite's transactions are serial): another process waits, then sees our event.
            company = db.get(Company, company_id, with_for_update=True)
            if company is None or not status.is_stale(company, clock.now()):
                continue
            # Already announced: the company's full status (a count over all its records) is not worked out again.
            if last_connection_state(db, company_id) != status.quiet_state(company):
                status.announce(db, company)
    return len(quiet)


class CheckinWatch:
    """Run `announce_quiet` every `every_seconds` from a background thread (`start`/`stop`)."""

    def __init__(self, runtime: Database, every_seconds: float = WATCH_SECONDS) -> None:
        self.runtime = runtime
        self.every_seconds = every_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> CheckinWatch:
        """Start watching in the background; return self."""
        self._thread = threading.Thread(target=self._loop, name="checkin-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching (a round in progress finishes first)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stopping.wait(self.every_seconds):
            try:
                announce_quiet(self.runtime)
            except Exception:
                log.exception("looking for companies not checking in failed; trying again next minute")
