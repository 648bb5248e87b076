"""GET /healthz: 200 when the database answers and its schema is current, 503 with the reason otherwise."""

from __future__ import annotations

import json

import pytest

from qbwc_server import db as database
from qbwc_server.runtime import Runtime
from qbwc_server.wsgi import make_wsgi_app
from tests.conftest import make_settings
from tests.live import LiveServer
from tests.processes import fetch


def _health(url: str) -> tuple[int, dict]:
    status, body = fetch(url + "/healthz")
    return status, json.loads(body)


def test_a_migrated_database_is_healthy_without_a_login(runtime):
    server = LiveServer(make_wsgi_app(runtime))
    try:
        status, body = _health(server.url)
    finally:
        server.stop()
    assert status == 200
    assert body == {"status": "ok", "database": "reachable", "schema": "current"}


@pytest.mark.parametrize(
    ("revision", "reason"),
    [
        (None, "the database has no tables yet: run `qbwc-server db upgrade`"),
        ("0001", "the database schema is not at the newest migration: run `qbwc-server db upgrade`"),
    ],
)
def test_a_database_behind_the_code_is_unhealthy(tmp_path, revision, reason):
    url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    if revision is not None:
        database.upgrade(url, revision)
    runtime = Runtime(make_settings(url))
    server = LiveServer(make_wsgi_app(runtime))
    try:
        status, body = _health(server.url)
    finally:
        server.stop()
        runtime.close()
    assert (status, body) == (503, {"status": "unavailable", "reason": reason})


@pytest.mark.postgres
def test_postgres_stopped_then_restarted(own_postgres):
    database.upgrade(own_postgres.url)
    runtime = Runtime(make_settings(own_postgres.url))
    server = LiveServer(make_wsgi_app(runtime))
    try:
        assert _health(server.url)[0] == 200

        # When the database goes away, the check says so, without naming the host, port or user
        own_postgres.halt()
        status, body = _health(server.url)
        assert (status, body) == (503, {"status": "unavailable", "reason": "the database cannot be reached"})

        # And when it is back, the same process is healthy again
        own_postgres.resume()
        assert _health(server.url) == (200, {"status": "ok", "database": "reachable", "schema": "current"})
    finally:
        server.stop()
        runtime.close()
