"""A throwaway PostgreSQL cluster on a loopback port, run from the installed server binaries (tests, benchmarks)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from qbwc_server.errors import QbwcError


class NoPostgres(QbwcError):
    """Raised when the PostgreSQL server binaries (initdb, pg_ctl) are not installed."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayPostgres:
    """A cluster in a temporary folder, deleted by `stop`; `fsync=False` trades durability for test speed."""

    def __init__(self, *, fsync: bool = True, max_connections: int = 300) -> None:
        bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        initdb = shutil.which("initdb") or (str(bindirs[-1] / "initdb") if bindirs else None)
        if not initdb or not Path(initdb).exists():
            raise NoPostgres("the PostgreSQL server (initdb, pg_ctl) is not installed")
        self.bindir = Path(initdb).parent
        self.dir = Path(tempfile.mkdtemp(prefix="qbwc-pg-"))
        self.port = free_port()
        self.options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections={max_connections}"
        )
        if not fsync:
            self.options += " -c fsync=off"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: run it as the packaged postgres user.
            shutil.chown(self.dir, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def start(self) -> str:
        """Create and start the cluster; return a URL to its `postgres` database."""
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "qbwc", "--no-sync", "-E", "UTF8")
        self._run("pg_ctl", "-D", str(data), "-o", self.options, "-l", str(self.dir / "log"), "-w", "start")
        return f"postgresql+psycopg://qbwc@127.0.0.1:{self.port}/postgres"

    def version(self) -> str:
        """Return the server's version line."""
        out = subprocess.run([str(self.bindir / "postgres"), "--version"], capture_output=True, text=True, check=False)
        return out.stdout.strip()

    def halt(self) -> None:
        """Shut the server down and keep its files, as an outage would (`resume` brings it back)."""
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start the server again on the same port and data after `halt`."""
        self._run(
            "pg_ctl", "-D", str(self.dir / "data"), "-o", self.options, "-l", str(self.dir / "log"), "-w", "start"
        )

    def stop(self) -> None:
        """Stop the cluster and delete its files."""
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        subprocess.run([*self.as_user, str(self.bindir / tool), *args], check=check, capture_output=True, timeout=120)
