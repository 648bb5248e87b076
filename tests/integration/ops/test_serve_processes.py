"""`qbwc-server serve` as an operator runs it: one waitress process or gunicorn workers, stopped by SIGTERM."""

from __future__ import annotations

import http.client
import shutil
import socket
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from qbwc_server.companies import create_company
from qbwc_server.models import LoginThrottle, ThrottleScope
from qbwc_server.runtime import Runtime
from qbwc_server.simulator import FakeCompany, FakeWebConnector
from qbwc_server.simulator.soapclient import envelope, headers
from tests.conftest import make_settings, wait_for
from tests.processes import InFlight, ServeProcess, fetch, metric_samples, soap

PASSWORD = "correct horse battery staple"
TOKEN = "metrics-token-for-tests"  # noqa: S105
# The lock after repeated failed logins (a failure itself is answered at once, without sleeping).
SLOW_LOGIN_SECONDS = "3"


def _env(url: str, tmp_path) -> dict[str, str]:
    return {
        "QBWC_DATABASE_URL": url,
        "QBWC_SECRET_KEY": "test-secret-key",
        "QBWC_INSTANCE_DIR": str(tmp_path / "instance"),
        "QBWC_AUTH_FAILURE_DELAY_SECONDS": SLOW_LOGIN_SECONDS,
        "QBWC_SESSION_BUSY_SECONDS": "0",
        "QBWC_METRICS_TOKEN": TOKEN,
        "QBWC_LOG_LEVEL": "WARNING",
    }


def _stop_during_a_slow_login(server: ServeProcess, runtime: Runtime) -> tuple[int, str]:
    """Send SIGTERM just after a failed login was counted; return the exit code and the login's answer."""
    login = InFlight(lambda: soap(server.url, "authenticate", strUserName="acme-qbwc", strPassword="wrong"))
    assert wait_for(lambda: _failures(runtime) > 0, timeout=30), server.output()
    code = server.terminate()
    return code, login.wait()


def _failures(runtime: Runtime) -> int:
    with runtime.transaction() as db:
        row = db.scalar(
            select(LoginThrottle).where(
                LoginThrottle.scope == ThrottleScope.WC_LOGIN, LoginThrottle.name == "acme-qbwc"
            )
        )
        return row.failures if row is not None else 0


def _connection_header(url: str, method: str) -> str:
    """Send one SOAP call asking to keep the connection (as the Web Connector does); return the answer's Connection."""
    body = envelope(method, [])
    connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=30)
    try:
        connection.putrequest("POST", "/qbwc", skip_host=True, skip_accept_encoding=True)
        for name, value in headers(method, urlsplit(url).netloc, len(body), first=True):
            connection.putheader(name, value)
        connection.endheaders(body)
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 200
        return (answer.getheader("Connection") or "").lower()
    finally:
        connection.close()


def _answered_beside_busy_threads(url: str, busy: int, calls: int) -> float:
    """Hold `busy` connections that send nothing (each holds a worker thread); return the seconds `calls` took."""
    address = urlsplit(url)
    silent = [socket.create_connection((address.hostname, address.port), timeout=30) for _ in range(busy)]
    try:
        time.sleep(0.5)  # accepted by now, each thread waiting for a request that does not come
        started = time.monotonic()
        for _ in range(calls):
            assert "qbwc-server" in soap(url, "serverVersion")
        return time.monotonic() - started
    finally:
        for connection in silent:
            connection.close()


def _company(runtime: Runtime) -> dict[str, str]:
    with runtime.transaction() as db:
        company = create_company(db, "acme", "Acme", "acme-qbwc", PASSWORD)
        return {"owner_id": company.owner_id, "file_id": company.file_id}


def test_with_sqlite_one_waitress_process_serves_and_stops_gracefully(sqlite_template, tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    shutil.copyfile(sqlite_template, tmp_path / "serve.sqlite3")
    runtime = Runtime(make_settings(url))
    _company(runtime)
    server = ServeProcess(_env(url, tmp_path), tmp_path / "serve.log", "--workers", "3")
    try:
        assert "--workers 3 is ignored: SQLite lets one process write at a time" in server.output()
        assert server.children() == []

        # When SIGTERM arrives while a request is being answered, the answer still arrives, then the server exits
        code, answer = _stop_during_a_slow_login(server, runtime)
        assert ">nvu<" in answer
        assert code == 0, server.output()
    finally:
        server.kill()
        runtime.close()


@pytest.mark.postgres
def test_with_postgres_several_workers_share_the_work_and_the_metrics(pg_runtime, tmp_path):
    url = pg_runtime.settings.database_url
    ids = _company(pg_runtime)
    server = ServeProcess(_env(url, tmp_path), tmp_path / "serve.log", "--workers", "3", "--threads", "2")
    try:
        assert "with 3 processes of 2 threads (gunicorn)" in server.output()
        assert wait_for(lambda: len(server.children()) == 3, timeout=60), server.output()

        # Sessions land on whichever worker accepts them; the scrape adds up every worker's counts
        sessions = 6
        for _ in range(sessions):
            connector = FakeWebConnector(server.url + "/qbwc", "acme-qbwc", PASSWORD, FakeCompany.demo(), **ids)
            assert connector.run_session().outcome == "no_work"
        status, body = fetch(server.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        found = metric_samples(body.decode())
        # Each call is answered on a connection of its own, even when the Web Connector asks to keep it: a session
        # kept on one connection would be tied to one worker for all its calls
        assert _connection_header(server.url, "serverVersion") == "close"
        # A worker takes a connection only when one of its threads is free, so a call never queues behind a busy
        # worker's calls while another worker could answer it: four of the six threads held by connections that
        # send nothing (gunicorn gives each 5 seconds), serverVersion calls are still answered at once
        assert _answered_beside_busy_threads(server.url, busy=4, calls=8) < 3.5, server.output()
        assert found[("qbwc_soap_calls_total", (("method", "authenticate"), ("outcome", "none")))] == sessions
        assert found[("qbwc_soap_call_duration_seconds_count", (("method", "serverVersion"),))] == sessions

        code, answer = _stop_during_a_slow_login(server, pg_runtime)
        assert ">nvu<" in answer
        assert code == 0, server.output()
    finally:
        server.kill()
