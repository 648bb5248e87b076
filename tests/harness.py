"""An end-to-end harness: the real server over HTTP, the REST API as a host app uses it, and a simulated
Web Connector with a fake QuickBooks company on the other side."""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from typing import Any

from sqlalchemy import select

from qbwc_server import tokens
from qbwc_server.companies import create_company
from qbwc_server.models import Company, Record, RecordKind
from qbwc_server.runtime import Runtime
from qbwc_server.simulator import FakeCompany, FakeWebConnector
from qbwc_server.simulator.webconnector import Faults, SessionReport
from qbwc_server.wsgi import make_wsgi_app
from tests.live import LiveServer

PASSWORD = "correct horse battery staple"


class Harness:
    """One company on a live server, its API token, and the QuickBooks company its Web Connector talks to."""

    def __init__(self, runtime: Runtime, qb: FakeCompany | None = None, slug: str = "acme", **settings: Any) -> None:
        # A Web Connector that timed out is replaced at once by the next session (in production, after two minutes).
        runtime = Runtime(dataclasses.replace(runtime.settings, session_busy_seconds=0))
        self.runtime = runtime
        self.qb = qb or FakeCompany.demo()
        self.server = LiveServer(make_wsgi_app(runtime), settings=runtime.settings)
        self.slug = slug
        with runtime.transaction() as db:
            company = create_company(db, slug, slug.title(), f"{slug}-qbwc", PASSWORD)
            company.settings = dict(settings)
            self.owner_id, self.file_id = company.owner_id, company.file_id
            _, self.token = tokens.create(db, company, name="tests")
        self.reports: list[SessionReport] = []

    def close(self) -> None:
        """Stop the server."""
        self.server.stop()
        self.runtime.close()

    # --- the host app's side ------------------------------------------------------------------------------

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Call the REST API with the company's token; return the status and the decoded JSON."""
        return self.call_raw(method, path, None if body is None else json.dumps(body).encode())

    def call_raw(self, method: str, path: str, data: bytes | None) -> tuple[int, Any]:
        """Call the REST API with a body of exactly these bytes; return the status and the decoded JSON."""
        request = urllib.request.Request(self.server.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def put(self, resource: str, external_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT a record and insist that it was accepted."""
        status, answer = self.call("PUT", f"/api/v1/{resource}/{external_id}", body)
        assert status in (200, 201), (status, answer)
        return answer

    def get(self, resource: str, external_id: str) -> dict[str, Any]:
        """GET a record as the host app sees it."""
        status, answer = self.call("GET", f"/api/v1/{resource}/{external_id}")
        assert status == 200, (status, answer)
        return answer

    # --- the Web Connector's side ------------------------------------------------------------------------------

    def session(self, faults: Faults | None = None) -> SessionReport:
        """Run one Web Connector update session."""
        connector = FakeWebConnector(
            self.server.url + "/qbwc",
            f"{self.slug}-qbwc",
            PASSWORD,
            self.qb,
            faults=faults,
            owner_id=self.owner_id,
            file_id=self.file_id,
        )
        report = connector.run_session()
        self.reports.append(report)
        return report

    def sync(self, max_sessions: int = 5) -> list[SessionReport]:
        """Run sessions until the server has nothing left to send (or `max_sessions` ran)."""
        reports = []
        for _ in range(max_sessions):
            report = self.session()
            reports.append(report)
            if report.outcome == "no_work":
                break
        return reports

    # --- looking at both sides ------------------------------------------------------------------------------------

    def qb_named(self, qb_kind: str, full_name: str) -> list[dict[str, Any]]:
        """Return the QuickBooks records of one kind ('Customer', 'ItemService', …) with this full name."""
        return [r for r in self.qb.state.lists[qb_kind].values() if r.get("FullName", r.get("Name")) == full_name]

    def qb_txns(self, qb_kind: str) -> list[dict[str, Any]]:
        """Return QuickBooks' transactions of one kind ('Invoice', 'ReceivePayment', 'Bill')."""
        return list(self.qb.state.txns[qb_kind].values())

    def records(self, kind: RecordKind) -> list[Record]:
        """Return our stored records of one kind."""
        with self.runtime.transaction() as db:
            company = db.scalar(select(Company).where(Company.slug == self.slug))
            return list(db.scalars(select(Record).where(Record.company_id == company.id, Record.kind == kind)))
