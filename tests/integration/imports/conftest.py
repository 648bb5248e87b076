"""The whole server on a loopback port, a simulated QuickBooks company, and a fake Web Connector between them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from waitress.server import create_server

from qbwc_server import companies
from qbwc_server.models import SessionState, WcSession
from qbwc_server.runtime import Runtime
from qbwc_server.simulator import FakeCompany, FakeWebConnector, Faults, set_clock
from qbwc_server.wsgi import make_wsgi_app
from tests.unit.imports.driving import SCHEMA_DIR, Ticker

PASSWORD = "correct horse battery"


@dataclass
class Connected:
    """A company on our server and the means to run Web Connector sessions for it."""

    runtime: Runtime
    company_id: int
    slug: str
    url: str
    username: str
    owner_id: str
    file_id: str

    def web_connector(self, fake: FakeCompany, faults: Faults | None = None) -> FakeWebConnector:
        """Return a Web Connector for this company's .qwc, with `fake` as QuickBooks."""
        return FakeWebConnector(
            f"{self.url}/qbwc",
            self.username,
            PASSWORD,
            fake,
            faults=faults,
            owner_id=self.owner_id,
            file_id=self.file_id,
        )

    def forget_dead_sessions(self) -> None:
        """Let time pass after a Web Connector died mid-session, so its ticket has expired by the next run."""
        long_ago = datetime.now(timezone.utc) - timedelta(hours=2)
        with self.runtime.transaction() as db:
            db.execute(
                update(WcSession)
                .where(WcSession.company_id == self.company_id, WcSession.state == SessionState.OPEN)
                .values(last_seen_at=long_ago)
            )


@pytest.fixture
def live_url(runtime: Runtime) -> Iterator[str]:
    """Serve the composed app (SOAP endpoint, page, API) on 127.0.0.1 and a free port."""
    server = create_server(make_wsgi_app(runtime), host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.task_dispatcher.shutdown(timeout=5)

    def close_all() -> None:
        for channel in list(server._map.values()):
            if channel is not server and channel is not server.trigger:
                channel.close()
        server.close()

    server.trigger.pull_trigger(close_all)
    thread.join(timeout=5)


@pytest.fixture
def connect(runtime: Runtime, live_url: str) -> Callable[..., Connected]:
    """Create a company with a Web Connector user on the live server."""

    def factory(slug: str, **settings: Any) -> Connected:
        with runtime.transaction() as db:
            company = companies.create_company(db, slug, slug.title(), f"wc-{slug}", PASSWORD)
            company.settings = dict(settings)
            db.flush()
            return Connected(
                runtime, company.id, slug, live_url, company.qbwc_username, company.owner_id, company.file_id
            )

    return factory


@pytest.fixture
def ticker() -> Iterator[Ticker]:
    """Drive QuickBooks' clock: one second every few objects, and jumps when a test says so."""
    clock = Ticker(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    set_clock(clock)
    yield clock
    set_clock(None)


@pytest.fixture
def schema_path() -> Path | None:
    """Return Intuit's schema folder when present: QuickBooks then refuses requests that do not validate."""
    return SCHEMA_DIR if (SCHEMA_DIR / "v13").is_dir() else None
