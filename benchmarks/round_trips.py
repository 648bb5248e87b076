"""Scenario 2: Web Connector round trips per 1,000 mixed records at the default batch size, against one per trip.

Typical Web Connector services send one request per sendRequestXML; this server sends up to `batch_size`
(a company setting, 25 by default) in one message set. The same records run through both on SQLite.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks import payloads
from benchmarks.databases import sqlite_url
from benchmarks.site import Site

# Shares of the mix: customers, their jobs, items, invoices (5 lines, on a job), payments applied to invoices.
MIX = {"customers": 0.3, "jobs": 0.2, "items": 0.1, "invoices": 0.25, "payments": 0.15}
DEFAULT_BATCH = 25


def mixed_records(total: int) -> list[tuple[str, str, dict[str, Any]]]:
    """Return `total` PUTs in the mix above, in the order an app would send them (parents first)."""
    counts = {kind: int(total * share) for kind, share in MIX.items()}
    counts["customers"] += total - sum(counts.values())
    customers = [f"c{n}" for n in range(counts["customers"])]
    jobs = [f"j{n}" for n in range(counts["jobs"])]
    items = [f"i{n}" for n in range(counts["items"])]
    puts: list[tuple[str, str, dict[str, Any]]] = []
    puts += [("customers", ext, payloads.customer(n)) for n, ext in enumerate(customers)]
    puts += [("jobs", ext, payloads.job(n, customers[n % len(customers)])) for n, ext in enumerate(jobs)]
    puts += [("items", ext, payloads.item(n)) for n, ext in enumerate(items)]
    lines = payloads.LINES_PER_INVOICE
    invoices = []
    for n in range(counts["invoices"]):
        job = jobs[n % len(jobs)]
        owner = customers[jobs.index(job) % len(customers)]
        used = [items[(n + k) % len(items)] for k in range(lines)]
        invoices.append((owner, f"inv{n}"))
        puts.append(("invoices", f"inv{n}", payloads.invoice(n, owner, used, job_id=job)))
    total_amount = payloads.invoice_total(lines)
    for n in range(counts["payments"]):
        owner, invoice = invoices[n % len(invoices)]
        puts.append(("payments", f"p{n}", payloads.payment(n, owner, invoice, total_amount)))
    return puts


def run(records: int) -> dict[str, Any]:
    """Sync the same `records` mixed records at the default batch size and at one request per round trip."""
    result: dict[str, Any] = {"records": records, "mix": MIX}
    for label, batch in (("batched", DEFAULT_BATCH), ("one_per_round_trip", 1)):
        with tempfile.TemporaryDirectory(prefix="qbwc-bench-") as folder:
            site = Site(sqlite_url(Path(folder)), batch_size=batch)
            try:
                result[label] = _sync_all(site, records, batch)
            finally:
                site.close()
    batched, single = result["batched"], result["one_per_round_trip"]
    result["round_trip_ratio"] = round(single["round_trips"] / max(1, batched["round_trips"]), 1)
    result["wall_time_ratio"] = round(single["sync_seconds"] / max(1e-9, batched["sync_seconds"]), 1)
    return result


def _sync_all(site: Site, records: int, batch: int) -> dict[str, Any]:
    for resource, external_id, body in mixed_records(records):
        site.api.put(resource, external_id, body)
    started = time.perf_counter()
    reports = site.sync()
    wall = time.perf_counter() - started
    requests = sum(sum(r.requests.values()) for r in reports)
    quickbooks = sum(r.qb_seconds for r in reports)
    return {
        "batch_size": batch,
        "round_trips": sum(r.round_trips for r in reports),
        "round_trips_per_1000": round(1000 * sum(r.round_trips for r in reports) / records, 1),
        "qbxml_requests": requests,
        "sessions": len(reports),
        "sync_seconds": round(wall, 2),
        "quickbooks_seconds": round(quickbooks, 2),
        "added": dict(sum((r.added for r in reports), Counter())),
    }
