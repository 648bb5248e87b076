"""Databases for the benchmarks: a migrated SQLite file, or a throwaway PostgreSQL cluster on a loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


def postgres_version(url: str) -> str:
    """Return `SELECT version()` of the server at `url`, shortened to its first words."""
    engine = database.make_engine(url)
    try:
        with engine.connect() as connection:
            return " ".join(str(connection.scalar(text("SELECT version()"))).split()[:2])
    finally:
        engine.dispose()
