"""Databases for the benchmarks: a migrated SQLite file, or a throwaway PostgreSQL cluster on a loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text

from qbwc_server import db as database
from qbwc_server.simulator.postgres import ThrowawayPostgres

POSTGRES_ENV = "QBWC_BENCH_POSTGRES_URL"
# Set to 1: the throwaway cluster loads pg_stat_statements with its planning times, and `by_kind` lists each sync's
# costliest statements as PostgreSQL saw them (a measuring run's switch: the extension costs PostgreSQL some CPU).
STATEMENTS_ENV = "QBWC_BENCH_PG_STATEMENTS"


def sqlite_url(folder: Path, name: str = "bench") -> str:
    """Create and migrate a SQLite database in `folder`; return its URL."""
    url = f"sqlite:///{folder / (name + '.sqlite3')}"
    database.upgrade(url)
    return url


def reset_postgres(url: str) -> str:
    """Empty a PostgreSQL database and migrate it; return the URL."""
    engine = database.make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    database.upgrade(url)
    if os.environ.get(STATEMENTS_ENV) == "1":
        _run(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    return url


@contextmanager
def postgres() -> Iterator[str]:
    """Yield an empty, migrated PostgreSQL database: the one in QBWC_BENCH_POSTGRES_URL, or a throwaway cluster."""
    given = os.environ.get(POSTGRES_ENV)
    if given:
        yield reset_postgres(given)
        return
    cluster = ThrowawayPostgres()
    if os.environ.get(STATEMENTS_ENV) == "1":
        cluster.options += " -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on"
    try:
        yield reset_postgres(cluster.start())
    finally:
        cluster.stop()


def _scalar(url: str, query: str) -> Any:
    """Return the one value `query` reads from the database at `url`, on a connection opened for it alone."""
    engine = database.make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(text(query))
    finally:
        engine.dispose()


def postgres_version(url: str) -> str:
    """Return `SELECT version()` of the server at `url`, shortened to its first words."""
    return " ".join(str(_scalar(url, "SELECT version()")).split()[:2])


def postgres_cpu_seconds(url: str) -> float | None:
    """Return the CPU seconds (user + system) the PostgreSQL server at `url` has used so far, its finished backends
    included; None when its process cannot be read from here (another host, or no right to read its settings)."""
    try:
        folder = _scalar(url, "SELECT setting FROM pg_settings WHERE name = 'data_directory'")
        pid = int((Path(str(folder)) / "postmaster.pid").read_text().split()[0])
        ticks = os.sysconf("SC_CLK_TCK")
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime, stime, and the same of the backends that have exited (reaped by the postmaster).
        total = sum(int(fields[i]) for i in (11, 12, 13, 14))
        children = Path(f"/proc/{pid}/task/{pid}/children")
        for child in children.read_text().split() if children.exists() else []:
            try:
                child_fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(child_fields[11]) + int(child_fields[12])
        return total / ticks
    except (OSError, ValueError, TypeError):
        return None


def postgres_sessions(url: str) -> int:
    """Return how many connections the database at `url` has accepted since its statistics began."""
    query = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    return int(_scalar(url, query) or 0)


def _run(url: str, statement: str) -> None:
    """Run one statement on the database at `url`, on a connection opened for it alone, and commit it."""
    engine = database.make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def statements_enabled(url: str) -> bool:
    """Tell whether the database at `url` counts its statements (pg_stat_statements, see STATEMENTS_ENV)."""
    return url.startswith("postgresql") and os.environ.get(STATEMENTS_ENV) == "1"


def reset_statements(url: str) -> None:
    """Forget the statements counted so far."""
    _run(url, "SELECT pg_stat_statements_reset()")


def top_statements(url: str, limit: int = 12) -> list[dict[str, Any]]:
    """Return the statements counted since the last reset, costliest first (execution and planning time)."""
    query = """SELECT calls, rows, round(total_exec_time::numeric, 2) AS exec_ms, round(total_plan_time::numeric, 2)
        AS plan_ms, plans, shared_blks_hit, wal_bytes, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query
        FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'
        ORDER BY total_exec_time + total_plan_time DESC"""
    engine = database.make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(query)).mappings().all()
    finally:
        engine.dispose()
    totals = {
        "calls": sum(int(r["calls"]) for r in rows),
        "exec_ms": round(sum(float(r["exec_ms"]) for r in rows), 2),
        "plan_ms": round(sum(float(r["plan_ms"]) for r in rows), 2),
    }
    top = [{k: (float(v) if k in ("exec_ms", "plan_ms", "wal_bytes") else v) for k, v in r.items()} for r in rows]
    return [{"all": totals}, *top[:limit]]
