"""Fixtures for the operators' endpoints: a PostgreSQL of the test's own, to stop and start at will."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from qbwc_server.simulator.postgres import NoPostgres, ThrowawayPostgres


@pytest.fixture
def own_postgres() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL cluster only this test uses, started; it may halt and resume it."""
    try:
        server = ThrowawayPostgres(fsync=False, max_connections=50)
        server.url = server.start()  # type: ignore[attr-defined]
    except (NoPostgres, subprocess.CalledProcessError, KeyError, LookupError) as exc:
        reason = f"no PostgreSQL server binaries to start a cluster of this test's own ({exc})"
        if os.environ.get("QBWC_TEST_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    yield server
    server.stop()
