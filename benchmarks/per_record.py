"""Scenario 1: the server's own time per record, from the API PUT to QuickBooks' answer filed on the record.

The server runs in this process behind `TimedApp`, which times each HTTP request inside the server: the
client's own work and QuickBooks' time (the simulator runs between two SOAP calls) are never in those figures.
Each round trip's sendRequestXML + receiveResponseXML time is divided among the records of that batch; the
session's fixed calls (authenticate, the last empty sendRequestXML, closeConnection) among the session's records.
"""

from __future__ import annotations

import logging
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from benchmarks import payloads
from benchmarks.databases import postgres, postgres_version, sqlite_url
from benchmarks.site import Site
from benchmarks.stats import ms, statement_counter, summary_ms
from qbwc_server.models import QueueItem, Record

log = logging.getLogger(__name__)

ITEMS = [f"i{n}" for n in range(payloads.LINES_PER_INVOICE)]
Put = tuple[str, str, dict[str, Any]]


@contextmanager
def database(kind: str) -> Iterator[str]:
    """Yield a fresh, migrated database URL of `kind` ('sqlite' or 'postgresql')."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="qbwc-bench-") as folder:
            yield sqlite_url(Path(folder))
    else:
        with postgres() as url:
            yield url


def on_each_database(databases: tuple[str, ...], measure: Callable[[Site], dict[str, Any]]) -> dict[str, Any]:
    """Run `measure` on a fresh server of each database; return its figures by database, with the server's name."""
    figures: dict[str, Any] = {}
    for kind in databases:
        with database(kind) as url:
            version = "SQLite" if kind == "sqlite" else postgres_version(url)
            site = Site(url)
            try:
                figures[kind] = {"server": version, **measure(site)}
            finally:
                site.close()
    return figures


def run(records: int, databases: tuple[str, ...] = ("sqlite", "postgresql")) -> dict[str, Any]:
    """Measure customers, 5-line invoices and applied payments, `records` of each, on each database."""
    return {
        "records_per_kind": records,
        "databases": on_each_database(databases, lambda site: measure_site(site, records)),
    }


def measure_site(site: Site, records: int) -> dict[str, Any]:
    """Warm the server up, then measure the three kinds one after the other on one company."""
    warm_up(site)
    customers = [f"c{n}" for n in range(records)]
    invoices = [f"inv{n}" for n in range(records)]
    kinds = {}
    kinds["customer"] = measure(site, [("customers", ext, payloads.customer(n)) for n, ext in enumerate(customers)])
    kinds["invoice_5_lines"] = measure(
        site, [("invoices", ext, payloads.invoice(n, customers[n], ITEMS)) for n, ext in enumerate(invoices)]
    )
    total = payloads.invoice_total(len(ITEMS))
    kinds["payment_applied"] = measure(
        site,
        [("payments", f"p{n}", payloads.payment(n, customers[n], invoices[n], total)) for n in range(len(invoices))],
    )
    # The customers again, synced by now: each edit queues a Mod. Then edits of records still queued (each record
    # edited once unmeasured, then again): the edit joins the open item.
    kinds["customer_mod"] = measure(site, [("customers", ext, _edited(n, "Bea")) for n, ext in enumerate(customers)])
    kinds["customer_edit_queued"] = measure(
        site,
        [("customers", ext, _edited(n, "Cy")) for n, ext in enumerate(customers)],
        first=[("customers", ext, _edited(n, "Di")) for n, ext in enumerate(customers)],
    )
    kinds["engine_timings_ms"] = {k: ms(v) for k, v in site.engine.timings.items()}
    return kinds


def _edited(n: int, first_name: str) -> dict[str, Any]:
    """Customer number `n` with another first name."""
    return {**payloads.customer(n), "first_name": f"{first_name}{n}"}


def warm_up(site: Site) -> None:
    """Put the invoices' items and one of each kind through, so first-use costs (schemas, templates) are paid."""
    for n, ext in enumerate(ITEMS):
        site.api.put("items", ext, payloads.item(n))
    site.api.put("customers", "warm", payloads.customer(999_999))
    site.api.put("invoices", "warm-inv", payloads.invoice(999_999, "warm", ITEMS))
    site.api.put("payments", "warm-pay", payloads.payment(999_999, "warm", "warm-inv", "200.00"))
    site.sync()
    site.app.take()


def measure(site: Site, puts: list[Put], first: list[Put] | None = None) -> dict[str, Any]:
    """PUT the records, sync them, and return the per-record server time figures (`first`: PUT before, unmeasured)."""
    for resource, external_id, body in first or []:
        site.api.put(resource, external_id, body)
    site.app.take()
    put_seconds: dict[str, float] = {}
    put_cpu: list[float] = []  # the serving thread's CPU: the client's threads in this process do not inflate it
    with statement_counter(site.runtime.engine) as put_statements:
        for resource, external_id, body in puts:
            site.api.put(resource, external_id, body)
            calls = site.app.take()
            put_seconds[external_id] = sum(seconds for _, seconds in calls)
            put_cpu.append(site.app.taken_cpu)
    site.qb.batches = []
    with statement_counter(site.runtime.engine) as sync_statements:
        reports = site.sync()
    calls = site.app.take()
    per_item, client_overhead = _share_sessions(calls, reports, site.qb.batches)
    # A shared invoice lookup ("lookup-<first item id>") is charged to its first invoice: the items it served
    # are not recorded once their adds have gone.
    grouped: dict[str, float] = defaultdict(float)
    for request_id, seconds in per_item.items():
        grouped[request_id.removeprefix("lookup-")] += seconds
    per_item = grouped
    owners = _item_owners(site, [int(i) for i in per_item])
    sync_seconds: dict[str, float] = defaultdict(float)
    for item_id, seconds in per_item.items():
        sync_seconds[owners[int(item_id)]] += seconds
    missing = set(put_seconds) - set(sync_seconds)
    if missing:
        raise RuntimeError(f"{len(missing)} records never reached QuickBooks, e.g. {sorted(missing)[:3]}")
    totals = [put_seconds[ext] + sync_seconds[ext] for ext in put_seconds]
    return {
        "records": len(puts),
        **summary_ms(totals),
        "put_median_ms": summary_ms(list(put_seconds.values()))["median_ms"],
        "put_cpu_median_ms": summary_ms(put_cpu)["median_ms"],
        "sync_median_ms": summary_ms([sync_seconds[ext] for ext in put_seconds])["median_ms"],
        "round_trips": sum(r.round_trips for r in reports),
        "put_statements_per_record": round(put_statements.count / len(puts), 1),
        "sync_statements_per_record": round(sync_statements.count / len(puts), 1),
        "sessions": len(reports),
        "quickbooks_seconds_excluded": round(sum(r.qb_seconds for r in reports), 3),
        "client_seconds_excluded": round(client_overhead, 3),
    }


def _share_sessions(
    calls: list[tuple[str, float]], reports: list[Any], batches: list[list[str]]
) -> tuple[dict[str, float], float]:
    """Divide each session's server time among its requests; return seconds per request ID and the client's time."""
    per_item: dict[str, float] = defaultdict(float)
    sessions = _split_sessions(calls)
    if len(sessions) != len(reports):
        raise RuntimeError(f"{len(sessions)} sessions seen by the server, {len(reports)} run")
    client_seen = sum(call.seconds for report in reports for call in report.calls)
    server_seen = sum(seconds for _, seconds in calls)
    pending = iter(batches)
    for session, report in zip(sessions, reports, strict=True):
        sends = [s for label, s in session if label == "sendRequestXML"]
        answers = [s for label, s in session if label == "receiveResponseXML"]
        session_batches = [next(pending) for _ in range(report.round_trips)]
        fixed = sum(s for _, s in session) - sum(sends[: len(session_batches)]) - sum(answers)
        members = {request_id for batch in session_batches for request_id in batch}
        for batch, sent, answered in zip(session_batches, sends, answers, strict=False):
            for request_id in batch:
                per_item[request_id] += (sent + answered) / len(batch)
        for request_id in members:
            per_item[request_id] += fixed / len(members)
    return per_item, client_seen - server_seen


def _split_sessions(calls: list[tuple[str, float]]) -> list[list[tuple[str, float]]]:
    sessions: list[list[tuple[str, float]]] = []
    for label, seconds in calls:
        if label == "serverVersion" or not sessions:
            sessions.append([])
        sessions[-1].append((label, seconds))
    return sessions


def _item_owners(site: Site, item_ids: list[int]) -> dict[int, str]:
    with site.runtime.transaction() as db:
        rows = db.execute(
            select(QueueItem.id, Record.external_id)
            .join(Record, Record.id == QueueItem.record_id)
            .where(QueueItem.id.in_(item_ids))
        ).all()
    return {item_id: external_id for item_id, external_id in rows}
