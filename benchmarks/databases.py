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
    return url


@contextmanager
def postgres() -> Iterator[str]:
    """Yield an empty, migrated PostgreSQL database: the one in QBWC_BENCH_POSTGRES_URL, or a throwaway cluster."""
    given = os.environ.get(POSTGRES_ENV)
    if given:
        yield reset_postgres(given)
        return
    cluster = ThrowawayPostgres()
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
