"""Scenario 3: import 100,000 customers from QuickBooks through iterators; server speed and peak memory.

The server runs as its own process (`python -m qbwc_server serve`), so its peak resident memory (VmHWM) and CPU
time can be read from /proc; this process plays the Web Connector and QuickBooks. The import is queued the way
an admin does it, with `qbwc-server import SLUG customers`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

import qbwc_server.imports  # noqa: F401  (without the import feature this scenario cannot run)
from benchmarks.databases import sqlite_url
from benchmarks.servers import ServerProcess
from benchmarks.site import PASSWORD, REPO, add_company, bench_settings
from qbwc_server.models import Record, RecordKind
from qbwc_server.runtime import Runtime
from qbwc_server.simulator import FakeCompany, FakeWebConnector

MAX_SESSIONS = 10


def run(customers: int) -> dict[str, Any]:
    """Import `customers` customers (no jobs, all active) into a fresh SQLite database; return the figures."""
    generated_at = time.perf_counter()
    qb = FakeCompany.generate(customers, jobs_per=0, inactive_share=0.0, items=5, vendors=5, seed=3)
    generate_seconds = time.perf_counter() - generated_at
    with tempfile.TemporaryDirectory(prefix="qbwc-bench-") as folder:
        url = sqlite_url(Path(folder))
        runtime = Runtime(bench_settings(url))
        site = add_company(runtime, "importer")
        server = ServerProcess(url, log_file=Path(folder) / "server.log")
        try:
            rss_idle = server.memory_kib()["VmRSS"]
            _queue_import(url, "importer")
            cpu_before = server.cpu_seconds()
            started = time.perf_counter()
            reports = _sync(server.url, site, qb)
            wall = time.perf_counter() - started
            cpu = server.cpu_seconds() - cpu_before
            memory = server.memory_kib()
        finally:
            server.stop()
        with runtime.transaction() as db:
            imported = db.scalar(select(func.count()).select_from(Record).where(Record.kind == RecordKind.CUSTOMER))
        runtime.close()
    quickbooks = sum(r.qb_seconds for r in reports)
    client = sum(c.seconds for r in reports for c in r.calls)
    server_side = max(1e-9, wall - quickbooks)
    return {
        "customers": customers,
        "imported": imported,
        "errors": int(imported != customers) + sum(r.outcome not in ("completed", "no_work") for r in reports),
        "sessions": len(reports),
        "round_trips": sum(r.round_trips for r in reports),
        "wall_seconds": round(wall, 1),
        "quickbooks_seconds": round(quickbooks, 1),
        "soap_call_seconds": round(client, 1),
        "server_cpu_seconds": round(cpu, 1),
        "records_per_second_wall": round(customers / server_side),
        "records_per_second_server_cpu": round(customers / max(cpu, 1e-9)),
        "idle_rss_mib": round(rss_idle / 1024, 1),
        "peak_rss_mib": round(memory["VmHWM"] / 1024, 1),
        "final_rss_mib": round(memory["VmRSS"] / 1024, 1),
        "generate_seconds": round(generate_seconds, 1),
    }


def _queue_import(url: str, slug: str) -> None:
    """Queue the import with the admin command, as a person would."""
    env = {**os.environ, "QBWC_DATABASE_URL": url, "QBWC_SECRET_KEY": "benchmark-secret-key"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    subprocess.run(
        [sys.executable, "-m", "qbwc_server", "import", slug, "customers"],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=120,
    )


def _sync(url: str, site: dict[str, Any], qb: FakeCompany) -> list[Any]:
    reports = []
    for _ in range(MAX_SESSIONS):
        connector = FakeWebConnector(
            url + "/qbwc", site["username"], PASSWORD, qb, owner_id=site["owner_id"], file_id=site["file_id"]
        )
        report = connector.run_session()
        reports.append(report)
        if report.outcome != "completed":
            break
    return reports
