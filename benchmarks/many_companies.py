"""Scenario 4: many companies' Web Connectors syncing at the same moment against several server processes.

One `qbwc-server serve --workers 3` (a gunicorn master and three worker processes, as in production) on one
PostgreSQL database; the connectors all call its one address. They run in a few client processes so that the
benchmark's own Python does not become the bottleneck. Afterwards both sides are checked: every record synced,
each one sent once, and each QuickBooks company holding exactly one object per record.
"""

from __future__ import annotations

import multiprocessing
import re
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from benchmarks import payloads
from benchmarks.databases import postgres, postgres_cpu_seconds, postgres_sessions, postgres_version
from benchmarks.servers import ServerProcess
from benchmarks.site import PASSWORD, ApiClient, add_company, bench_settings
from benchmarks.stats import summary_ms
from qbwc_server import db as database
from qbwc_server.cli.serve import THREADS_ALONE, THREADS_PER_WORKER
from qbwc_server.models import LogEvent, QueueItem, Record, SyncLogEntry, SyncState
from qbwc_server.runtime import Runtime
from qbwc_server.simulator import FakeCompany, FakeWebConnector
from qbwc_server.simulator.errors import ServerUnreachableError

MAX_SESSIONS = 10
START_DELAY = 2.0  # seconds for every client process to be ready before the common start


def company_records(size: dict[str, int]) -> list[tuple[str, str, dict[str, Any]]]:
    """Return one company's PUTs: customers, items, 5-line invoices and payments applied to them."""
    customers = [f"c{n}" for n in range(size["customers"])]
    items = [f"i{n}" for n in range(payloads.LINES_PER_INVOICE)]
    puts = [("customers", ext, payloads.customer(n)) for n, ext in enumerate(customers)]
    puts += [("items", ext, payloads.item(n)) for n, ext in enumerate(items)]
    for n in range(size["invoices"]):
        puts.append(("invoices", f"inv{n}", payloads.invoice(n, customers[n % len(customers)], items)))
    total = payloads.invoice_total(len(items))
    for n in range(size["payments"]):
        owner = customers[n % len(customers)]
        puts.append(("payments", f"p{n}", payloads.payment(n, owner, f"inv{n % size['invoices']}", total)))
    return puts


def run(
    companies: int, size: dict[str, int], workers: int = 3, threads: int | None = None, clients: int = 4
) -> dict[str, Any]:
    """Sync `companies` companies at once through `serve --workers`; return latencies, errors and the checks."""
    with postgres() as url, tempfile.TemporaryDirectory(prefix="qbwc-bench-") as folder:
        runtime = Runtime(bench_settings(url))
        procs: list[ServerProcess] = []
        log_file = Path(folder) / "server.log"
        try:
            sites = [add_company(runtime, f"co{n:03d}") for n in range(companies)]
            # INFO: the server writes one line per SOAP call with the time it spent inside the worker.
            procs = [ServerProcess(url, threads=threads, workers=workers, log_file=log_file, log_level="INFO")]
            for site in sites:
                site["url"] = procs[0].url
            _warm_up(runtime, procs, workers, company_records(size))
            put_seconds = _put_all(sites, company_records(size))
            cpu_before = procs[0].cpu_by_process()
            pg_cpu_before = postgres_cpu_seconds(url)
            sessions_before = postgres_sessions(url)
            log_offset = log_file.stat().st_size
            with LockSampler(url) as locks:
                outcome = _sync_all(sites, size, clients)
            cpu_after = procs[0].cpu_by_process()
            # Each process's share: a Web Connector keeps its connection, so its whole session stays on one worker.
            cpu_by_process = sorted((cpu_after[pid] - cpu_before.get(pid, 0.0) for pid in cpu_after), reverse=True)
            server_cpu = sum(cpu_by_process)
            pg_cpu_after = postgres_cpu_seconds(url)
            pg_cpu = None if pg_cpu_before is None or pg_cpu_after is None else pg_cpu_after - pg_cpu_before
            connections_opened = postgres_sessions(url) - sessions_before
            inside = _calls_inside_workers(log_file, log_offset)
            checks = _check_database(runtime, len(company_records(size)) * (companies + workers))
            version = postgres_version(url)
        finally:
            for proc in procs:
                proc.stop()
            runtime.close()
    latencies: dict[str, list[float]] = outcome.pop("latencies")
    every = [s for values in latencies.values() for s in values]
    errors = outcome["faults"] + outcome["bad_sessions"] + outcome["qb_errors"] + checks["not_synced"]
    every_inside = [s for values in inside.values() for s in values]
    return {
        "companies": companies,
        "records_per_company": len(company_records(size)),
        "server_processes": workers,
        "served_by": f"qbwc-server serve --workers {workers} (gunicorn)" if workers > 1 else "qbwc-server serve",
        "threads_per_process": threads or (THREADS_PER_WORKER if workers > 1 else THREADS_ALONE),
        "client_processes": clients,
        "database": version,
        "put_seconds": round(put_seconds, 2),
        "sync_wall_seconds": outcome["wall_seconds"],
        "server_cpu_seconds": round(server_cpu, 2),
        "server_cpu_by_process": [round(seconds, 2) for seconds in cpu_by_process],
        "postgres_cpu_seconds": None if pg_cpu is None else round(pg_cpu, 2),
        "client_cpu_seconds": outcome["client_cpu_seconds"],
        "postgres_connections_opened": connections_opened,
        "lock_waits": locks.summary(),
        "soap_calls": len(every),
        "soap_latency": {"all": summary_ms(every), **{m: summary_ms(v) for m, v in sorted(latencies.items())}},
        "inside_workers": {"all": summary_ms(every_inside), **{m: summary_ms(v) for m, v in sorted(inside.items())}},
        "errors": errors,
        "error_detail": outcome["messages"][:10],
        "sent_twice": checks["items_attempted_twice"] + checks["records_with_two_adds"] + outcome["qb_duplicates"],
        **checks,
        "qb_duplicates": outcome["qb_duplicates"],
        "qb_missing": outcome["qb_missing"],
        "round_trips": outcome["round_trips"],
    }


_CALL_LINE = re.compile(r"(\w+) company=\S+ ticket=\S+ ms=([0-9.]+) outcome=")


def _calls_inside_workers(log_file: Path, offset: int) -> dict[str, list[float]]:
    """Return, per SOAP method, the seconds each call spent inside a worker (the server's own log line)."""
    with open(log_file, "rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode("utf-8", "replace").splitlines()
    found: dict[str, list[float]] = {}
    for line in lines:
        match = _CALL_LINE.search(line)
        if match:
            found.setdefault(match.group(1), []).append(float(match.group(2)) / 1000)
    return found


class LockSampler:
    """Look at pg_stat_activity every 50 ms: how many backends are running a statement, how many wait for a lock."""

    def __init__(self, url: str, interval: float = 0.05) -> None:
        self.engine = database.make_engine(url)
        self.interval = interval
        self.samples: list[tuple[int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.engine.dispose()

    def _run(self) -> None:
        query = text(
            "SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE wait_event_type = 'Lock') "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        with self.engine.connect() as connection:
            while not self._stop.wait(self.interval):
                active, waiting = connection.execute(query).one()
                connection.rollback()
                self.samples.append((int(active), int(waiting)))

    def summary(self) -> dict[str, Any]:
        """Return the samples taken, the share with a backend waiting on a lock, and the most backends at once."""
        count = len(self.samples)
        with_wait = sum(1 for _, waiting in self.samples if waiting)
        return {
            "samples": count,
            "samples_with_lock_wait": with_wait,
            "most_waiting_at_once": max((w for _, w in self.samples), default=0),
            "most_active_at_once": max((a for a, _ in self.samples), default=0),
            "mean_active": round(sum(a for a, _ in self.samples) / count, 2) if count else 0.0,
        }


def _warm_up(
    runtime: Runtime, procs: list[ServerProcess], workers: int, records: list[tuple[str, str, dict[str, Any]]]
) -> None:
    """Put a company per worker through first, of the measured companies' size: loading schemas and templates, and
    compiling each statement's shape (a batch of four rows or more has shapes a smaller one never builds), is a
    process's first-minute cost, not what is measured. Each call is accepted by whichever worker is free, so the
    warm-up's calls reach every worker."""
    for n, proc in enumerate(procs * workers):
        site = add_company(runtime, f"warm{n}")
        api = ApiClient(proc.url, site["token"])
        for resource, external_id, body in records:
            api.put(resource, external_id, body)
        qb = FakeCompany.empty()
        for _ in range(MAX_SESSIONS):
            connector = FakeWebConnector(
                proc.url + "/qbwc", site["username"], PASSWORD, qb, owner_id=site["owner_id"], file_id=site["file_id"]
            )
            if connector.run_session().outcome != "completed":
                break


def _put_all(sites: list[dict[str, Any]], puts: list[tuple[str, str, dict[str, Any]]]) -> float:
    started = time.perf_counter()

    def put_company(site: dict[str, Any]) -> None:
        api = ApiClient(site["url"], site["token"])
        for resource, external_id, body in puts:
            api.put(resource, external_id, body)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(put_company, sites))
    return time.perf_counter() - started


def _sync_all(sites: list[dict[str, Any]], size: dict[str, int], clients: int) -> dict[str, Any]:
    clients = max(1, min(clients, len(sites)))
    groups = [sites[n::clients] for n in range(clients)]
    start_at = time.time() + START_DELAY * clients
    context = multiprocessing.get_context("spawn")
    with context.Pool(clients) as pool:
        results = pool.starmap(client_worker, [(group, size, start_at) for group in groups])
    merged: dict[str, Any] = {"latencies": {}, "messages": []}
    for key in ("faults", "bad_sessions", "qb_errors", "qb_duplicates", "qb_missing", "round_trips"):
        merged[key] = sum(r[key] for r in results)
    for r in results:
        merged["messages"] += r["messages"]
        for method, values in r["latencies"].items():
            merged["latencies"].setdefault(method, []).extend(values)
    merged["wall_seconds"] = round(max(r["finished_at"] for r in results) - start_at, 2)
    # The connectors and their simulated QuickBooks run on the same cores as the servers and PostgreSQL.
    merged["client_cpu_seconds"] = round(sum(r["cpu_seconds"] for r in results), 2)
    return merged


def client_worker(sites: list[dict[str, Any]], size: dict[str, int], start_at: float) -> dict[str, Any]:
    """Run one thread per company's Web Connector, all starting at `start_at`; check each QuickBooks afterwards."""
    result: dict[str, Any] = {
        "latencies": {},
        "messages": [],
        "faults": 0,
        "bad_sessions": 0,
        "qb_errors": 0,
        "qb_duplicates": 0,
        "qb_missing": 0,
        "round_trips": 0,
    }
    lock = threading.Lock()
    companies = [FakeCompany.empty() for _ in sites]

    def sync(site: dict[str, Any], qb: FakeCompany) -> None:
        connector = FakeWebConnector(
            site["url"] + "/qbwc", site["username"], PASSWORD, qb, owner_id=site["owner_id"], file_id=site["file_id"]
        )
        time.sleep(max(0.0, start_at - time.time()))
        for _ in range(MAX_SESSIONS):
            try:
                report = connector.run_session()
            except ServerUnreachableError as exc:
                with lock:
                    result["bad_sessions"] += 1
                    result["messages"].append(f"{site['slug']}: {exc}")
                return
            with lock:
                for call in report.calls:
                    result["latencies"].setdefault(call.method, []).append(call.seconds)
                    result["faults"] += call.fault is not None
                result["qb_errors"] += len(report.errors)
                result["round_trips"] += report.round_trips
                if report.outcome not in ("completed", "no_work"):
                    result["bad_sessions"] += 1
                    result["messages"].append(f"{site['slug']}: session {report.outcome} {report.messages[:2]}")
            if report.outcome != "completed":
                return

    threads = [threading.Thread(target=sync, args=(site, qb)) for site, qb in zip(sites, companies, strict=True)]
    cpu_started = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)
    result["finished_at"] = time.time()
    # This process's CPU during the sync: the Web Connectors' SOAP and HTTP work and QuickBooks' simulated work.
    result["cpu_seconds"] = time.process_time() - cpu_started
    for qb in companies:
        duplicates, missing = _check_quickbooks(qb, size)
        result["qb_duplicates"] += duplicates
        result["qb_missing"] += missing
    return result


def _check_quickbooks(qb: FakeCompany, size: dict[str, int]) -> tuple[int, int]:
    """Return (objects beyond one per record, records QuickBooks lacks) for one company."""
    expected = {
        "Customer": Counter(f"Smith{n}, Ann{n}" for n in range(size["customers"])),
        "ItemService": Counter(f"Service {n}" for n in range(payloads.LINES_PER_INVOICE)),
        "Invoice": Counter(f"B{n}" for n in range(size["invoices"])),
        "ReceivePayment": Counter(f"CHK-{n}" for n in range(size["payments"])),
    }
    found = {
        "Customer": Counter(r.get("FullName") for r in qb.state.lists["Customer"].values()),
        "ItemService": Counter(r.get("FullName", r.get("Name")) for r in qb.state.lists["ItemService"].values()),
        "Invoice": Counter(r.get("RefNumber") for r in qb.state.txns["Invoice"].values()),
        "ReceivePayment": Counter(r.get("RefNumber") for r in qb.state.txns["ReceivePayment"].values()),
    }
    duplicates = sum(max(0, found[k][name] - 1) for k in expected for name in expected[k])
    missing = sum(1 for k in expected for name in expected[k] if found[k][name] == 0)
    return duplicates, missing


def _check_database(runtime: Runtime, expected_records: int) -> dict[str, int]:
    """Count, over every company, records not synced, items attempted twice and records sent twice as an Add."""
    with runtime.transaction() as db:
        records = db.scalar(select(func.count()).select_from(Record)) or 0
        not_synced = db.scalar(select(func.count()).where(Record.sync_state != SyncState.SYNCED)) or 0
        attempted_twice = db.scalar(select(func.count()).where(QueueItem.attempts > 1)) or 0
        adds = (
            select(SyncLogEntry.record_id)
            .where(SyncLogEntry.event == LogEvent.SENT, SyncLogEntry.rq_type.like("%AddRq"))
            .group_by(SyncLogEntry.record_id)
            .having(func.count() > 1)
            .subquery()
        )
        two_adds = db.scalar(select(func.count()).select_from(adds)) or 0
    return {
        "records_stored": records,
        "records_expected": expected_records,
        "not_synced": not_synced + (expected_records - records),
        "items_attempted_twice": attempted_twice,
        "records_with_two_adds": two_adds,
    }
