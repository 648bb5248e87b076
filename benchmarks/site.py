"""One company on the real server (waitress over loopback HTTP), its REST API token, and a timed WSGI app."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from qbwc_server import tokens
from qbwc_server.companies import create_company
from qbwc_server.config import Settings
from qbwc_server.models import Company
from qbwc_server.records.batch import MAX_BATCH
from qbwc_server.runtime import Runtime
from qbwc_server.simulator import FakeCompany, FakeWebConnector, SessionReport
from qbwc_server.simulator.loopback import LoopbackServer
from qbwc_server.wsgi import make_wsgi_app, settle_before_serving

# A generated password, as `company add` makes by default (so the benchmarks measure its fast check).
PASSWORD = "bench-generated-6Jq1R7bT0xQpVm3sWc9YhK2e"
REPO = Path(__file__).resolve().parents[1]
MAX_SESSIONS = 20


def schema_dir() -> Path | None:
    """Return Intuit's qbXML schema folder (QBWC_QBXML_SCHEMA_DIR, else ../shared/qbxml-xsd beside the project)."""
    given = os.environ.get("QBWC_QBXML_SCHEMA_DIR")
    if given:
        return Path(given)
    beside = REPO.parent / "shared" / "qbxml-xsd"
    return beside if beside.is_dir() else None


def bench_settings(url: str, **overrides: Any) -> Settings:
    """Return server settings for a benchmark: schemas validated when present, no login delay, no busy wait."""
    values: dict[str, Any] = {
        "database_url": url,
        "secret_key": "benchmark-secret-key",
        "qbxml_schema_dir": schema_dir(),
        "auth_failure_delay_seconds": 0.0,
        # A connector that stopped is replaced at once by the next session.
        "session_busy_seconds": 0,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


class TimedApp:
    """Wrap a WSGI app and note how long the server spent on each request (the body is built inside the call)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.calls: list[tuple[str, float]] = []
        # CPU time of the threads that answered (load on the machine barely moves it; the database server's own
        # CPU, for PostgreSQL, is not in it). `take` moves it to `taken_cpu`.
        self.cpu = 0.0
        self.taken_cpu = 0.0
        self.hook: Callable[[bool], None] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        action = environ.get("HTTP_SOAPACTION", "").strip('"').rsplit("/", 1)[-1]
        label = action or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO', '')}"
        if self.hook:
            self.hook(True)
        started = time.perf_counter()
        cpu_started = time.thread_time()
        try:
            body = list(self.app(environ, start_response))
        finally:
            elapsed = time.perf_counter() - started
            self.cpu += time.thread_time() - cpu_started
            if self.hook:
                self.hook(False)
        self.calls.append((label, elapsed))
        return body

    def take(self) -> list[tuple[str, float]]:
        """Return the calls noted so far and start a new list (their CPU time goes to `taken_cpu`)."""
        calls, self.calls = self.calls, []
        self.taken_cpu, self.cpu = self.cpu, 0.0
        return calls


class CountingCompany(FakeCompany):
    """A FakeCompany that notes the request IDs of each message set it answers (the server's queue item ids)."""

    batches: list[list[str]]

    def process_detailed(self, request_xml: str):  # type: ignore[no-untyped-def]
        """Answer the set and note its request IDs (the host/company/preferences query is not a batch)."""
        result = super().process_detailed(request_xml)
        if "<HostQueryRq" not in request_xml:
            self.batches.append([o.request_id or "" for o in result.outcomes])
        return result


def counting_company() -> CountingCompany:
    """Return the demo QuickBooks company with an empty batch log."""
    company = CountingCompany.empty()
    company.batches = []
    return company


def add_company(runtime: Runtime, slug: str, **settings: Any) -> dict[str, Any]:
    """Create a company with its Web Connector user and an API token; return what a connector and the app need."""
    with runtime.transaction() as db:
        company = create_company(db, slug, slug.title(), f"{slug}-qbwc", PASSWORD, generated=True)
        company.settings = dict(settings)
        _, token = tokens.create(db, company, name="benchmark")
        return {
            "slug": slug,
            "username": f"{slug}-qbwc",
            "owner_id": company.owner_id,
            "file_id": company.file_id,
            "token": token,
        }


def company_id(runtime: Runtime, slug: str) -> int:
    """Return a company's database id."""
    with runtime.transaction() as db:
        return int(db.scalar(select(Company.id).where(Company.slug == slug)))


class ApiClient:
    """The host app: PUT records with a company's bearer token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token

    def put(self, resource: str, external_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT a record; raise when the server refuses it."""
        request = urllib.request.Request(
            f"{self.base_url}/api/v1/{resource}/{external_id}", data=json.dumps(body).encode(), method="PUT"
        )
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"PUT {resource}/{external_id}: {error.code} {error.read()[:300]!r}") from None

    def put_many(self, resource: str, bodies: list[dict[str, Any]]) -> int:
        """PUT records in batches of the API's largest size (each body carries its external_id); return how many."""
        stored = 0
        for first in range(0, len(bodies), MAX_BATCH):
            request = urllib.request.Request(
                f"{self.base_url}/api/v1/{resource}",
                data=json.dumps(bodies[first : first + MAX_BATCH]).encode(),
                method="PUT",
            )
            request.add_header("Authorization", f"Bearer {self.token}")
            request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=600) as response:
                    answer = json.loads(response.read())
            except urllib.error.HTTPError as error:
                raise RuntimeError(f"PUT {resource}: {error.code} {error.read()[:300]!r}") from None
            counts = answer["counts"]
            if counts.get("invalid"):
                raise RuntimeError(f"PUT {resource}: {counts['invalid']} invalid, e.g. {answer['results'][:2]}")
            stored += len(bodies[first : first + MAX_BATCH])
        return stored


class Site:
    """One in-process server on a database with one company, for the single-company scenarios."""

    def __init__(self, url: str, slug: str = "bench", threads: int = 4, **company_settings: Any) -> None:
        self.runtime = Runtime(bench_settings(url))
        # The engine as the server builds it (imports plugged in), kept here to read its timings.
        self.engine = self.runtime.sync_engine()
        self.app = TimedApp(make_wsgi_app(self.runtime, engine=self.engine))
        self.server = LoopbackServer(self.app, threads=threads)
        self.company = add_company(self.runtime, slug, **company_settings)
        self.api = ApiClient(self.server.url, self.company["token"])
        self.qb = counting_company()
        settle_before_serving()  # as `serve` does once the app is built

    def connector(self) -> FakeWebConnector:
        """Return a Web Connector for the company, with this site's QuickBooks behind it."""
        c = self.company
        return FakeWebConnector(
            self.server.url + "/qbwc",
            c["username"],
            PASSWORD,
            self.qb,
            owner_id=c["owner_id"],
            file_id=c["file_id"],
        )

    def sync(self, max_sessions: int = MAX_SESSIONS) -> list[SessionReport]:
        """Run sessions until the server has nothing to send; raise when a session goes wrong."""
        reports: list[SessionReport] = []
        for _ in range(max_sessions):
            report = self.connector().run_session()
            reports.append(report)
            if report.outcome not in ("completed", "no_work", "done"):
                raise RuntimeError(f"a Web Connector session ended with {report.outcome}: {report.messages[:3]}")
            if report.outcome == "no_work":
                return reports
        raise RuntimeError(f"still work to do after {max_sessions} sessions")

    def close(self) -> None:
        """Stop the server and release the database."""
        self.server.stop()
        self.runtime.close()
