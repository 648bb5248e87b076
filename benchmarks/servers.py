"""Run `qbwc-server serve` as separate processes, so their memory can be read and several can share a database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from benchmarks.site import REPO, schema_dir
from qbwc_server.simulator.postgres import free_port

START_TIMEOUT = 60.0


class ServerProcess:
    """One `python -m qbwc_server serve` on a free loopback port; `pid` is the server itself."""

    def __init__(
        self,
        database_url: str,
        threads: int | None = None,
        log_file: Path | None = None,
        wait: bool = True,
        workers: int = 1,
        log_level: str = "WARNING",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            {
                "QBWC_DATABASE_URL": database_url,
                "QBWC_SECRET_KEY": "benchmark-secret-key",
                "QBWC_AUTH_FAILURE_DELAY_SECONDS": "0",
                "QBWC_SESSION_BUSY_SECONDS": "0",
                "QBWC_LOG_LEVEL": log_level,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            }
        )
        schemas = schema_dir()
        if schemas is not None:
            env["QBWC_QBXML_SCHEMA_DIR"] = str(schemas)
        self._log = open(log_file, "wb") if log_file else subprocess.DEVNULL  # noqa: SIM115
        command = [sys.executable, "-m", "qbwc_server", "serve", "--port", str(self.port)]
        # No number: serve's own default (8 threads for one process, 3 for each of several).
        command += ["--threads", str(threads)] if threads else []
        # More than one worker: `serve` becomes a gunicorn master (same pid) with that many worker processes.
        command += ["--workers", str(workers)] if workers > 1 else []
        self.process = subprocess.Popen(command, env=env, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT)
        self.pid = self.process.pid
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait until the server answers on its port; raise if it exits or stays silent."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"qbwc-server serve exited with {self.process.returncode} before serving")
            try:
                with urllib.request.urlopen(self.url + "/qbwc", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"qbwc-server serve did not answer within {START_TIMEOUT:.0f} s")

    def memory_kib(self) -> dict[str, int]:
        """Return the process's resident memory now (VmRSS) and at its peak (VmHWM), in KiB."""
        values: dict[str, int] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
        return values

    def pids(self) -> list[int]:
        """Return the server's process and its worker processes, if it has any."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [self.pid, *(int(p) for p in (children.read_text().split() if children.exists() else []))]

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system) the server and its live workers have used so far."""
        return sum(self.cpu_by_process().values())

    def cpu_by_process(self) -> dict[int, float]:
        """Return the CPU time (user + system) each of the server's processes (master, live workers) has used."""
        ticks = os.sysconf("SC_CLK_TCK")
        found: dict[int, float] = {}
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue  # a worker that just exited
            found[pid] = (int(fields[11]) + int(fields[12])) / ticks
        return found

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL if it lingers)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not subprocess.DEVNULL:
            self._log.close()
