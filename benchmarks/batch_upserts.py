"""Scenario: the server's time per record when a host app stores records one PUT each, or a thousand per PUT.

Both runs store new customers on the same in-process server; `TimedApp` times each request inside the server, and
the wall time seen by the client (HTTP included) is reported beside it.
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from benchmarks import payloads
from benchmarks.per_record import on_each_database
from benchmarks.site import Site
from benchmarks.stats import statement_counter
from qbwc_server.records.batch import MAX_BATCH


def run(records: int, databases: tuple[str, ...] = ("sqlite", "postgresql")) -> dict[str, Any]:
    """Store `records` customers with single PUTs and the same number in batches, on each database."""
    return {"records": records, "databases": on_each_database(databases, lambda site: measure(site, records))}


def measure(site: Site, records: int) -> dict[str, Any]:
    """Return the server and wall milliseconds per record of both ways, and how much faster the batch is."""
    site.api.put("customers", "warm", payloads.customer(999_999))
    _put_batch(site, [{"external_id": "warm-batch", **payloads.customer(999_998)}])
    site.app.take()

    started = time.perf_counter()
    with statement_counter(site.runtime.engine) as single_statements:
        for n in range(records):
            site.api.put("customers", f"single{n}", payloads.customer(n))
    single_wall = time.perf_counter() - started
    single_server = sum(seconds for _, seconds in site.app.take())
    single_cpu = site.app.taken_cpu

    bodies = [{"external_id": f"batch{n}", **payloads.customer(records + n)} for n in range(records)]
    started = time.perf_counter()
    stored = 0
    with statement_counter(site.runtime.engine) as batch_statements:
        for first in range(0, records, MAX_BATCH):
            answer = _put_batch(site, bodies[first : first + MAX_BATCH])
            stored += answer["counts"]["created"]
    batch_wall = time.perf_counter() - started
    batch_server = sum(seconds for _, seconds in site.app.take())
    batch_cpu = site.app.taken_cpu
    if stored != records:
        raise RuntimeError(f"the batches stored {stored} of {records} records")
    single_ms, batch_ms = 1000 * single_server / records, 1000 * batch_server / records
    return {
        "single_put_server_ms_per_record": round(single_ms, 3),
        "batch_server_ms_per_record": round(batch_ms, 3),
        # The serving threads' CPU, which the machine's load barely moves (PostgreSQL's own work is not in it).
        "single_put_server_cpu_ms_per_record": round(1000 * single_cpu / records, 3),
        "batch_server_cpu_ms_per_record": round(1000 * batch_cpu / records, 3),
        "single_put_wall_ms_per_record": round(1000 * single_wall / records, 3),
        "batch_wall_ms_per_record": round(1000 * batch_wall / records, 3),
        "server_speedup": round(single_ms / batch_ms, 2) if batch_ms else None,
        "single_put_statements_per_record": round(single_statements.count / records, 1),
        "batch_statements_per_record": round(batch_statements.count / records, 1),
    }


def _put_batch(site: Site, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{site.server.url}/api/v1/customers", data=json.dumps(bodies).encode(), method="PUT"
    )
    request.add_header("Authorization", f"Bearer {site.company['token']}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())
