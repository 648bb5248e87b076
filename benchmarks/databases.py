"""Databases for the benchmarks: a migrated SQLite file, or a throwaway PostgreSQL cluster on a loopback port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from qbwc_server import db as database

POSTGRES_ENV = "QBWC_BENCH_POSTGRES_URL"


class NoPostgres(RuntimeError):
    """PostgreSQL is neither given nor installed."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


class TempPostgres:
    """A PostgreSQL cluster run from the installed server binaries as the postgres user, deleted afterwards."""

    def __init__(self) -> None:
        bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        initdb = shutil.which("initdb") or (str(bindirs[-1] / "initdb") if bindirs else None)
        if not initdb or not Path(initdb).exists():
            raise NoPostgres(f"set {POSTGRES_ENV} or install the PostgreSQL server")
        self.bindir = Path(initdb).parent
        self.dir = Path(tempfile.mkdtemp(prefix="qbwc-bench-pg-"))
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            shutil.chown(self.dir, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def start(self) -> str:
        """Create and start the cluster; return a URL to its `postgres` database."""
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "qbwc", "--no-sync", "-E", "UTF8")
        # fsync stays on: the figures should include what a real commit costs.
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=300"
        self._run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start")
        return f"postgresql+psycopg://qbwc@127.0.0.1:{self.port}/postgres"

    def version(self) -> str:
        """Return the server's version line."""
        out = subprocess.run([str(self.bindir / "postgres"), "--version"], capture_output=True, text=True, check=False)
        return out.stdout.strip()

    def stop(self) -> None:
        """Stop the cluster and delete its files."""
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        subprocess.run([*self.as_user, str(self.bindir / tool), *args], check=check, capture_output=True, timeout=120)


@contextmanager
def postgres() -> Iterator[str]:
    """Yield an empty, migrated PostgreSQL database: the one in QBWC_BENCH_POSTGRES_URL, or a throwaway cluster."""
    given = os.environ.get(POSTGRES_ENV)
    if given:
        yield reset_postgres(given)
        return
    cluster = TempPostgres()
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
