"""Scenario: a whole sync of new customers, against the floor of speaking the Web Connector protocol at all.

The same client (the simulator's Web Connector with its QuickBooks) syncs the same customers twice: once against
qbwc-server, once against qbwc-kit, a protocol-only Web Connector service that keeps its work in memory and
builds its qbXML by string concatenation. Both are served by waitress in this process behind `TimedApp`, and
both answer in batches of the same size. qbwc-kit's time is the floor: what answering the eight SOAP calls costs
with nothing stored, nothing validated and nothing to recover after a crash.

Two figures per server, per record:
- server: the time spent inside the server's WSGI app, from the first `authenticate` to the session that finds
  nothing to do (the REST API's PUTs before it are not in it);
- wall: the same span by the clock, minus QuickBooks' own time (the simulator), so it also holds HTTP and the
  client's SOAP work, which is the same for both servers.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks import payloads
from benchmarks.databases import sqlite_url
from benchmarks.site import Site, TimedApp, counting_company
from benchmarks.stats import statement_counter
from qbwc_server.simulator import FakeWebConnector, SessionReport
from qbwc_server.simulator.loopback import LoopbackServer

log = logging.getLogger(__name__)

FLOOR_USER = "floor-qbwc"
FLOOR_PASSWORD = "floor-generated-Yb3Jm0Qp8Xc2Vt6Rk1Ws"
MAX_SESSIONS = 50


def run(records: int = 500, batch_size: int = 25) -> dict[str, Any]:
    """Sync `records` new customers through qbwc-server (SQLite) and through qbwc-kit; return both and the ratio."""
    ours = measure_ours(records, batch_size)
    floor = measure_floor(records, batch_size)
    return {
        "records": records,
        "batch_size": batch_size,
        "qbwc_server": ours,
        "qbwc_kit": floor,
        "ratio_server_ms": _ratio(ours["server_ms_per_record"], floor["server_ms_per_record"]),
        "ratio_wall_ms": _ratio(ours["wall_ms_per_record"], floor["wall_ms_per_record"]),
    }


def _ratio(ours: float, floor: float) -> float | None:
    return round(ours / floor, 1) if floor > 0 else None


def measure_ours(records: int, batch_size: int) -> dict[str, Any]:
    """PUT the customers, then time the sync alone."""
    with tempfile.TemporaryDirectory(prefix="qbwc-bench-") as folder:
        site = Site(sqlite_url(Path(folder)), batch_size=batch_size)
        try:
            _warm_up(site)
            for n in range(records):
                site.api.put("customers", f"c{n}", payloads.customer(n))
            site.app.take()
            with statement_counter(site.runtime.engine) as statements:
                started = time.perf_counter()
                reports = site.sync(max_sessions=MAX_SESSIONS)
                wall = time.perf_counter() - started
            result = _figures(records, site.app.take(), reports, wall)
            result["statements_per_record"] = round(statements.count / records, 1)
            added = sum(r.added["Customer"] for r in reports)
            if added != records:
                raise RuntimeError(f"qbwc-server added {added} customers, expected {records}")
            return result
        finally:
            site.close()


def _warm_up(site: Site) -> None:
    site.api.put("customers", "warm", payloads.customer(999_999))
    site.sync()
    site.app.take()


def measure_floor(records: int, batch_size: int) -> dict[str, Any]:
    """Sync the same customers through qbwc-kit's in-memory service."""
    try:
        from benchmarks.floor_kit import floor_app
    except ModuleNotFoundError as exc:
        raise RuntimeError(f"the floor needs qbwc-kit (a test dependency; pip install -e '.[test]'): {exc}") from None
    app, added = floor_app(FLOOR_USER, FLOOR_PASSWORD, [payloads.customer(n) for n in range(records)], batch_size)
    timed = TimedApp(app)
    server = LoopbackServer(timed, threads=4)
    qb = counting_company()
    try:
        connector = FakeWebConnector(server.url + "/qbwc", FLOOR_USER, FLOOR_PASSWORD, qb)
        reports: list[SessionReport] = []
        started = time.perf_counter()
        for _ in range(MAX_SESSIONS):
            report = connector.run_session()
            reports.append(report)
            if report.outcome == "no_work":
                break
            if report.outcome not in ("completed", "done"):
                raise RuntimeError(f"a session against qbwc-kit ended with {report.outcome}: {report.messages[:3]}")
        wall = time.perf_counter() - started
    finally:
        server.stop()
    if len(added) != records:
        raise RuntimeError(f"qbwc-kit added {len(added)} customers, expected {records}")
    return _figures(records, timed.take(), reports, wall)


def _figures(records: int, calls: list[tuple[str, float]], reports: list[SessionReport], wall: float) -> dict[str, Any]:
    server = sum(seconds for _, seconds in calls)
    quickbooks = sum(r.qb_seconds for r in reports)
    return {
        "server_ms_per_record": round(server * 1000 / records, 3),
        "wall_ms_per_record": round((wall - quickbooks) * 1000 / records, 3),
        "quickbooks_seconds_excluded": round(quickbooks, 3),
        "sessions": len(reports),
        "round_trips": sum(r.round_trips for r in reports),
        "soap_calls": len(calls),
    }


def rows(result: dict[str, Any]) -> Iterator[list[str]]:
    """Yield the table's rows: one per server, then the ratio."""
    for label, key in (("qbwc-server (SQLite)", "qbwc_server"), ("qbwc-kit (floor)", "qbwc_kit")):
        figures = result[key]
        yield [
            label,
            f"{figures['server_ms_per_record']:.3f}",
            f"{figures['wall_ms_per_record']:.3f}",
            str(figures["round_trips"]),
            str(figures.get("statements_per_record", "-")),
        ]
    yield ["ratio", f"{result['ratio_server_ms']}×", f"{result['ratio_wall_ms']}×", "", ""]
