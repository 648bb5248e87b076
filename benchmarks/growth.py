"""Scenario: no cliff. The per-record time of a whole sync at 50, 500 and 5,000 new customers, and a company that
already has 200,000 synced records syncing one new customer (and a batch of 25) against an empty company.

The big company is built as a year of use leaves it, but quickly: one customer goes through the API and a real
sync, then its record, its finished queue item and its sync log entries are copied 200,000 times with bulk Core
inserts (new external ids, names and QuickBooks ids). Every statement the server runs for the new customer
(its PUT and its sync) is then explained by the database itself (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on
PostgreSQL): a full scan of the records, queue items or sync log is reported by statement, so a missing index
shows up by name instead of as a slow figure on a busy machine.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, func, insert, select, text

from benchmarks import payloads
from benchmarks.databases import postgres_version
from benchmarks.per_record import ITEMS, database
from benchmarks.site import Site
from benchmarks.stats import statement_counter
from qbwc_server.models import Company, QueueItem, Record, SyncLogEntry

MAX_SESSIONS = 1000
BIG_TABLES = ("records", "queue_items", "sync_log")
CHUNK = 5000


def run(
    sizes: tuple[int, ...] = (50, 500, 5000),
    existing: int = 200_000,
    batch: int = 25,
    databases: tuple[str, ...] = ("sqlite", "postgresql"),
) -> dict[str, Any]:
    """Measure the whole sync at each size (SQLite), then the big company against an empty one on each database."""
    result: dict[str, Any] = {"sizes": [], "big_company": {}, "existing_records": existing, "batch": batch}
    for size in sizes:
        with database("sqlite") as url:
            site = Site(url)
            try:
                result["sizes"].append(whole_sync(site, size))
            finally:
                site.close()
    for kind in databases:
        figures: dict[str, Any] = {}
        for label, count in (("empty", 0), ("big", existing)):
            with database(kind) as url:
                site = Site(url)
                try:
                    figures["server"] = "SQLite" if kind == "sqlite" else postgres_version(url)
                    figures[label] = new_records_in(site, count, batch)
                finally:
                    site.close()
        big, empty = figures["big"], figures["empty"]
        figures["ratio_one"] = _ratio(big["one"]["sync_ms"], empty["one"]["sync_ms"])
        figures["ratio_batch"] = _ratio(big["batch"]["sync_ms_per_record"], empty["batch"]["sync_ms_per_record"])
        figures["ratio_invoices_cpu"] = _ratio(big["invoices"]["sync_cpu_ms"], empty["invoices"]["sync_cpu_ms"])
        # CPU of the server's threads, both batches together: what load on the machine does not move.
        figures["ratio_batch_cpu"] = _ratio(
            big["batch"]["sync_cpu_ms"] + big["batch_again"]["sync_cpu_ms"],
            empty["batch"]["sync_cpu_ms"] + empty["batch_again"]["sync_cpu_ms"],
        )
        result["big_company"][kind] = figures
    result["full_scans"] = sorted(
        {scan for figures in result["big_company"].values() for scan in figures["big"]["full_scans"]}
    )
    return result


def _ratio(big: float, empty: float) -> float | None:
    return round(big / empty, 2) if empty > 0 else None


def whole_sync(site: Site, records: int) -> dict[str, Any]:
    """Store `records` new customers (batch PUTs, not measured), then time their whole sync."""
    _warm_up(site)
    bodies = [{"external_id": f"c{n}", **payloads.customer(n)} for n in range(records)]
    site.api.put_many("customers", bodies)
    site.app.take()
    with statement_counter(site.runtime.engine) as statements:
        reports = site.sync(max_sessions=MAX_SESSIONS)
    server = sum(seconds for _, seconds in site.app.take())
    added = sum(r.added["Customer"] for r in reports)
    if added != records:
        raise RuntimeError(f"the sync added {added} customers, expected {records}")
    return {
        "records": records,
        "server_ms_per_record": round(server * 1000 / records, 3),
        "server_cpu_ms_per_record": round(site.app.taken_cpu * 1000 / records, 3),
        "statements_per_record": round(statements.count / records, 2),
        "round_trips": sum(r.round_trips for r in reports),
        "sessions": len(reports),
    }


def _warm_up(site: Site) -> None:
    site.api.put("customers", "warm", payloads.customer(999_999))
    site.sync()
    site.app.take()


def _warm_up_items(site: Site) -> None:
    """Put the invoices' items (and one invoice) through, so the big company can sync invoices too."""
    for n, external_id in enumerate(ITEMS):
        site.api.put("items", external_id, payloads.item(n))
    site.api.put("invoices", "warm-inv", payloads.invoice(999_999, "warm", ITEMS))
    site.sync()
    site.app.take()


def new_records_in(site: Site, existing: int, batch: int) -> dict[str, Any]:
    """Give the company `existing` synced customers, then time one new customer and a batch of `batch`."""
    _warm_up(site)
    _warm_up_items(site)
    started = time.perf_counter()
    if existing:
        clone_synced(site, "warm", existing)
    built = time.perf_counter() - started
    one = _sync_new(site, ["one"])
    with capture(site.runtime.engine) as seen:
        many = _sync_new(site, [f"new{n}" for n in range(batch)])
    # The same again: the first batch may still find the database's pages cold after the bulk build.
    again = _sync_new(site, [f"again{n}" for n in range(batch)])
    # Five-line invoices on those customers: each looks up its customer and items, a query a customer does not make.
    with capture(site.runtime.engine) as seen_invoices:
        invoices = _sync_new(
            site,
            [f"inv{n}" for n in range(batch)],
            "invoices",
            lambda n: payloads.invoice(n, f"new{n}", ITEMS),
            "Invoice",
        )
    seen.statements += seen_invoices.statements
    for statement, seconds in seen_invoices.seconds.items():
        seen.seconds[statement] = seen.seconds.get(statement, 0.0) + seconds
    slowest = sorted(seen.seconds.items(), key=lambda pair: -pair[1])[:6]
    return {
        "existing_records": existing,
        "build_seconds": round(built, 1),
        "one": one,
        "batch": many,
        "batch_again": again,
        "invoices": invoices,
        "full_scans": full_scans(site.runtime.engine, seen.statements),
        "slowest_statements_ms": [[round(seconds * 1000, 2), _short(statement)] for statement, seconds in slowest],
    }


def _short(statement: str) -> str:
    return " ".join(statement.split())[:160]


def _sync_new(
    site: Site,
    external_ids: list[str],
    resource: str = "customers",
    body: Callable[[int], dict[str, Any]] | None = None,
    qb_kind: str = "Customer",
) -> dict[str, Any]:
    site.app.take()
    with statement_counter(site.runtime.engine) as put_statements:
        for n, external_id in enumerate(external_ids):
            made = body(n) if body else payloads.customer(500_000 + n + len(external_id) * 1000)
            site.api.put(resource, external_id, made)
    put = sum(seconds for _, seconds in site.app.take())
    put_cpu = site.app.taken_cpu
    with statement_counter(site.runtime.engine) as sync_statements:
        reports = site.sync()
    sync = sum(seconds for _, seconds in site.app.take())
    sync_cpu = site.app.taken_cpu
    added = sum(r.added[qb_kind] for r in reports)
    if added != len(external_ids):
        raise RuntimeError(f"the sync added {added} {qb_kind}, expected {len(external_ids)}")
    count = len(external_ids)
    return {
        "records": count,
        "put_ms": round(put * 1000, 2),
        "sync_ms": round(sync * 1000, 2),
        "sync_ms_per_record": round(sync * 1000 / count, 3),
        "put_cpu_ms": round(put_cpu * 1000, 2),
        "sync_cpu_ms": round(sync_cpu * 1000, 2),
        "sync_cpu_ms_per_record": round(sync_cpu * 1000 / count, 3),
        "put_statements": put_statements.count,
        "sync_statements": sync_statements.count,
        "round_trips": sum(r.round_trips for r in reports),
    }


def clone_synced(site: Site, external_id: str, copies: int) -> None:
    """Copy one synced customer, its finished queue items and its log entries `copies` times, in bulk."""
    records, items, log = Record.__table__, QueueItem.__table__, SyncLogEntry.__table__
    engine = site.runtime.engine
    with engine.begin() as connection:
        company = connection.scalar(select(Company.id).where(Company.slug == site.company["slug"]))
        seed = (
            connection.execute(
                select(records).where(records.c.company_id == company, records.c.external_id == external_id)
            )
            .one()
            ._asdict()
        )
        seed_items = [r._asdict() for r in connection.execute(select(items).where(items.c.record_id == seed["id"]))]
        seed_log = [r._asdict() for r in connection.execute(select(log).where(log.c.record_id == seed["id"]))]
        first = (connection.scalar(select(func.max(records.c.id))) or 0) + 1
        next_item = (connection.scalar(select(func.max(items.c.id))) or 0) + 1
        next_log = (connection.scalar(select(func.max(log.c.id))) or 0) + 1
        for start in range(0, copies, CHUNK):
            numbers = range(start, min(copies, start + CHUNK))
            new_records, new_items, new_log = [], [], []
            for n in numbers:
                record_id = first + n
                row = dict(seed, id=record_id, external_id=f"old{n}", qb_id=f"{900000 + n}-1234567890")
                row["qb_full_name"] = f"Old{n}, Customer{n}"
                row["data"] = {**seed["data"], "first_name": f"Customer{n}", "last_name": f"Old{n}"}
                new_records.append(row)
                for item in seed_items:
                    # A session's ticket covers one batch of 25, as a real year of sessions leaves them.
                    ticket = f"old-session-{n // 25}" if item["ticket"] else None
                    new_items.append(dict(item, id=next_item, record_id=record_id, waiting_on=None, ticket=ticket))
                    next_item += 1
                for entry in seed_log:
                    prefix = f"o{n // 25}"[:12] if entry["ticket_prefix"] else None
                    new_log.append(dict(entry, id=next_log, record_id=record_id, ticket_prefix=prefix))
                    next_log += 1
            connection.execute(insert(records), new_records)
            if new_items:
                connection.execute(insert(items), new_items)
            if new_log:
                connection.execute(insert(log), new_log)
        if engine.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind; and autovacuum would have analyzed tables this size.
            for table in ("records", "queue_items", "sync_log"):
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))


class Seen:
    """The statements an engine ran (each with its first parameter set), and the seconds spent in each text."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []
        self.seconds: dict[str, float] = {}


@contextmanager
def capture(engine: Engine) -> Iterator[Seen]:
    """Note every statement the engine runs inside the block, and how long the database took over it."""
    seen = Seen()

    def before(conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        seen.statements.append((statement, _first(parameters, executemany)))
        conn.info["growth_started"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        started = conn.info.pop("growth_started", None)
        if started is not None:
            seen.seconds[statement] = seen.seconds.get(statement, 0.0) + time.perf_counter() - started

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def _first(parameters: Any, executemany: bool) -> Any:
    many = executemany and isinstance(parameters, (list, tuple)) and parameters
    first = parameters[0] if many and isinstance(parameters[0], (Mapping, list, tuple)) else parameters
    if isinstance(first, Mapping):
        return dict(first)
    return tuple(first) if isinstance(first, (list, tuple)) else ()


# A whole table read (SCAN), or a range of an index bounded by the company alone: every record of the company.
_SQLITE_SCAN = re.compile(r"^(?:SCAN (\w+)|SEARCH (\w+) USING (?:COVERING )?INDEX \w+ \(company_id=\?\))")
_POSTGRES_SCAN = re.compile(r"Seq Scan on (\w+)")
_POSTGRES_INDEX = re.compile(
    r"Index (?:Only )?Scan using \w+ on (\w+)|Bitmap Index Scan on (?:ix|uq)_(records|queue_items|sync_log)_"
)
_POSTGRES_COMPANY_ONLY = re.compile(r"^\s*Index Cond: \(company_id = [^()]*\)\s*$")


def full_scans(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    """Return 'table: statement' for each statement whose plan reads a whole big table, or all of a company's rows
    of one (an index range bounded by the company alone)."""
    found: set[str] = set()
    dialect = engine.dialect.name
    done: set[str] = set()
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        for statement, parameters in statements:
            head = statement.lstrip().split(None, 1)[0].upper()
            if statement in done or head not in ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH"):
                continue
            done.add(statement)
            cursor = raw.cursor()
            try:
                if dialect == "sqlite":
                    cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                    lines = [str(row[-1]) for row in cursor.fetchall()]
                    tables = [m.group(1) or m.group(2) for line in lines if (m := _SQLITE_SCAN.match(line))]
                else:
                    cursor.execute("EXPLAIN " + statement, parameters)
                    lines = [str(row[0]) for row in cursor.fetchall()]
                    tables = _postgres_scans(lines)
            finally:
                cursor.close()
            for table in tables:
                if table in BIG_TABLES:
                    found.add(f"{dialect} {table}: {_shown(statement)}")
        if dialect == "postgresql":
            raw.rollback()
    return sorted(found)


def _shown(statement: str) -> str:
    """Return a statement on one line, a SELECT from its FROM on (its column list says little)."""
    flat = " ".join(statement.split())
    if flat.upper().startswith("SELECT") and " FROM " in flat:
        flat = "SELECT … " + flat[flat.index(" FROM ") + 1 :]
    return flat[:300]


def _postgres_scans(lines: list[str]) -> list[str]:
    tables = [m.group(1) for line in lines for m in _POSTGRES_SCAN.finditer(line)]
    for n, line in enumerate(lines):
        index = _POSTGRES_INDEX.search(line)
        if index and n + 1 < len(lines) and _POSTGRES_COMPANY_ONLY.match(lines[n + 1]):
            tables.append(index.group(1) or index.group(2))
    return tables


def rows(result: dict[str, Any]) -> Iterator[list[Any]]:
    """Yield the growth table's rows."""
    for f in result["sizes"]:
        yield [f["records"], f["server_ms_per_record"], f["server_cpu_ms_per_record"], f["statements_per_record"]] + [
            f["round_trips"],
            f["sessions"],
        ]


def big_rows(result: dict[str, Any]) -> Iterator[list[Any]]:
    """Yield the big company's rows: per database, the empty and the big company."""
    for kind, figures in result["big_company"].items():
        for label in ("empty", "big"):
            f = figures[label]
            one, many, again = f["one"], f["batch"], f["batch_again"]
            yield [
                kind,
                f"{f['existing_records']:,}",
                one["put_ms"],
                one["sync_ms"],
                f"{one['put_statements']} + {one['sync_statements']}",
                f"{many['sync_ms_per_record']}, {again['sync_ms_per_record']}",
                f"{many['sync_cpu_ms_per_record']}, {again['sync_cpu_ms_per_record']}",
                f"{many['put_ms'] / many['records']:.2f}, {again['put_ms'] / again['records']:.2f}",
                f"{many['put_statements'] / many['records']:.1f} + {many['sync_statements'] / many['records']:.2f}",
                f"{f['invoices']['sync_cpu_ms_per_record']} ({f['invoices']['sync_statements'] / many['records']:.1f})",
                len(f["full_scans"]),
            ]
