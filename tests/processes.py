"""Run `qbwc-server serve` as a real process (or a tree of them) for tests about processes and signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from qbwc_server.simulator.postgres import free_port

START_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0
REPO = Path(__file__).resolve().parents[1]


def fetch(
    url: str, headers: dict[str, str] | None = None, data: bytes | None = None, method: str | None = None
) -> tuple[int, bytes]:
    """Return the status and body of one HTTP request, errors included."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class ServeProcess:
    """`qbwc-server serve` on a free loopback port, with its output kept in a log file."""

    def __init__(
        self, env: dict[str, str], log: Path, *args: str, command: list[str] | None = None, cwd: Path | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        base = command or [sys.executable, "-m", "qbwc_server"]
        full_env = {**os.environ, **env}
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [*base, "serve", "--port", str(self.port), *args],
                env=full_env,
                cwd=cwd or REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                status, _ = fetch(self.url + "/healthz")
                if status == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.kill()
        raise AssertionError(f"serve did not become healthy:\n{self.output()}")

    def output(self) -> str:
        """Return what the server printed so far."""
        return self.log.read_text(errors="replace")

    def children(self) -> list[int]:
        """Return the ids of the server's child processes (gunicorn's workers)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def terminate(self) -> int:
        """Send SIGTERM, wait for the exit, and return the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_TIMEOUT)

    def kill(self) -> None:
        """Make sure the server is gone (used when a test fails half way)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)


def soap(url: str, method: str, **params: str) -> str:
    """Call one Web Connector SOAP method and return the raw response envelope."""
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in params.items())
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<{method} xmlns="http://developer.intuit.com/">{inner}</{method}>'
        "</soap:Body></soap:Envelope>"
    ).encode()
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"http://developer.intuit.com/{method}"'}
    status, answer = fetch(url + "/qbwc", headers=headers, data=body)
    assert status == 200, (status, answer)
    return answer.decode()


class InFlight:
    """A request sent from a background thread, so the test can stop the server while it is being answered."""

    def __init__(self, call: Any) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Any) -> None:
        try:
            self.result = call()
        except BaseException as exc:  # handed to the test, which reports it
            self.error = exc

    def wait(self) -> Any:
        """Return the request's answer, or raise what it raised."""
        self._thread.join(timeout=STOP_TIMEOUT)
        if self.error is not None:
            raise self.error
        return self.result


def metric_samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse a Prometheus scrape into {(sample name, sorted labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found
