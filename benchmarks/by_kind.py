"""Scenario: the whole-sync figure of `floor` for every kind of work, on SQLite and PostgreSQL.

One company on the in-process server syncs, one after the other: new customers, an edit of every one of them
(each goes to QuickBooks as a Mod), five-line invoices on those customers (customers and items already in
QuickBooks) and payments applied to those invoices. Each sync is timed like `floor`: the server's own time (inside
the WSGI app) from the first `authenticate` to the session that finds nothing to do, divided by the records; the
records are stored beforehand with batch PUTs, which are not in the figure. Statements are those of the sync alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from benchmarks import payloads
from benchmarks.databases import postgres_cpu_seconds, reset_statements, statements_enabled, top_statements
from benchmarks.per_record import ITEMS, on_each_database, warm_up
from benchmarks.site import Site
from benchmarks.stats import statement_counter
from qbwc_server.simulator import SessionReport

MAX_SESSIONS = 200
KINDS = ("new customers", "customer edits (Mods)", "invoices, 5 lines", "applied payments")


def run(records: int, databases: tuple[str, ...] = ("sqlite", "postgresql")) -> dict[str, Any]:
    """Measure each kind of sync, `records` records each, on each database; add PostgreSQL / SQLite."""
    result: dict[str, Any] = {
        "records": records,
        "databases": on_each_database(databases, lambda site: {"kinds": measure_site(site, records)}),
    }
    if {"sqlite", "postgresql"} <= set(result["databases"]):
        lite, pg = (result["databases"][k]["kinds"] for k in ("sqlite", "postgresql"))
        result["postgresql_over_sqlite"] = {
            name: round(pg[name]["server_ms_per_record"] / lite[name]["server_ms_per_record"], 2)
            for name in KINDS
            if lite[name]["server_ms_per_record"] > 0
        }
    return result


def measure_site(site: Site, records: int) -> dict[str, Any]:
    """Run the four syncs on one company; return each one's figures by name."""
    warm_up(site)
    customers = [f"c{n}" for n in range(records)]
    invoices = [f"inv{n}" for n in range(records)]
    total = payloads.invoice_total(len(ITEMS))
    edited = {**payloads.customer(0), "phone": "555-0199"}
    steps: list[tuple[str, str, list[dict[str, Any]], Callable[[SessionReport], int]]] = [
        (
            "new customers",
            "customers",
            [{"external_id": ext, **payloads.customer(n)} for n, ext in enumerate(customers)],
            lambda r: r.added["Customer"],
        ),
        (
            "customer edits (Mods)",
            "customers",
            [{"external_id": ext, **payloads.customer(n), "phone": edited["phone"]} for n, ext in enumerate(customers)],
            lambda r: r.modified["Customer"],
        ),
        (
            "invoices, 5 lines",
            "invoices",
            [{"external_id": ext, **payloads.invoice(n, customers[n], ITEMS)} for n, ext in enumerate(invoices)],
            lambda r: r.added["Invoice"],
        ),
        (
            "applied payments",
            "payments",
            [{"external_id": f"p{n}", **payloads.payment(n, customers[n], invoices[n], total)} for n in range(records)],
            lambda r: r.added["ReceivePayment"],
        ),
    ]
    figures: dict[str, Any] = {}
    url = site.runtime.settings.database_url
    for name, resource, bodies, done in steps:
        site.api.put_many(resource, bodies)
        site.app.take()
        if statements_enabled(url):
            reset_statements(url)
        # PostgreSQL's own CPU (its backends, background processes and the backends that exited), SQLite's is None.
        database_cpu = postgres_cpu_seconds(url) if url.startswith("postgresql") else None
        with statement_counter(site.runtime.engine) as statements:
            reports = site.sync(max_sessions=MAX_SESSIONS)
        if database_cpu is not None:
            after = postgres_cpu_seconds(url)
            database_cpu = None if after is None else after - database_cpu
        server = sum(seconds for _, seconds in site.app.take())
        changed = sum(done(r) for r in reports)
        if changed != records:
            raise RuntimeError(f"{name}: QuickBooks took {changed} of {records}")
        figures[name] = {
            "records": records,
            "server_ms_per_record": round(server * 1000 / records, 3),
            "server_cpu_ms_per_record": round(site.app.taken_cpu * 1000 / records, 3),
            "statements_per_record": round(statements.count / records, 2),
            "round_trips": sum(r.round_trips for r in reports),
        }
        if database_cpu is not None:
            figures[name]["postgres_cpu_ms_per_record"] = round(database_cpu * 1000 / records, 3)
        if statements_enabled(url):
            figures[name]["postgres_statements"] = top_statements(url)
    return figures


def rows(result: dict[str, Any]) -> Iterator[list[Any]]:
    """Yield one row per kind and database."""
    ratios = result.get("postgresql_over_sqlite", {})
    for name in KINDS:
        for kind, figures in result["databases"].items():
            f = figures["kinds"][name]
            ratio = f"{ratios[name]}×" if kind == "postgresql" and name in ratios else ""
            row = [name, f["records"], kind, f["server_ms_per_record"], f["server_cpu_ms_per_record"]]
            yield [*row, f["statements_per_record"], f["round_trips"], ratio]
