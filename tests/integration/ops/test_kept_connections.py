"""Kept PostgreSQL connections: a closed one is replaced at checkout, and a live one costs no round trip there."""

from __future__ import annotations

import tempfile

import pytest
from sqlalchemy import text

from qbwc_server import db as database

pytestmark = pytest.mark.postgres

BACKEND = text("SELECT pg_backend_pid()")


def _backend(engine) -> int:
    with engine.begin() as connection:
        return int(connection.scalar(BACKEND))


def test_a_restart_of_the_server_fails_no_transaction(own_postgres):
    engine = database.make_engine(own_postgres.url)
    try:
        before = _backend(engine)
        own_postgres.halt()
        own_postgres.resume()
        # The kept connection's server is gone: the first transaction after the restart runs on a new connection
        after = _backend(engine)
        assert after != before
        assert _backend(engine) == after  # and that one is kept
    finally:
        engine.dispose()


def test_a_terminated_backend_is_replaced_at_checkout(own_postgres):
    engine = database.make_engine(own_postgres.url)
    other = database.make_engine(own_postgres.url)
    try:
        before = _backend(engine)
        with other.begin() as connection:
            # (waiting up to 5 s for the backend to be gone: without a timeout it only signals it)
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": before})
        assert _backend(engine) != before
    finally:
        engine.dispose()
        other.dispose()


def test_checking_out_a_live_connection_sends_nothing(own_postgres):
    engine = database.make_engine(own_postgres.url)
    try:
        _backend(engine)
        with tempfile.TemporaryFile() as trace:
            with engine.connect() as connection:
                dbapi_connection = connection.connection.dbapi_connection
                dbapi_connection.pgconn.trace(trace.fileno())
            # The connection went back to the pool; checked out again, the first thing it sends is the transaction
            with engine.connect() as connection:
                assert connection.connection.dbapi_connection is dbapi_connection
                connection.execute(text("SELECT 42"))
            dbapi_connection.pgconn.untrace()
            trace.seek(0)
            sent = [line.split("\t")[4] for line in trace.read().decode().splitlines() if line.split("\t")[1] == "F"]
        # A ping (pool_pre_ping's empty query, ";") would come before the BEGIN: one round trip more per transaction
        assert sent == [' "BEGIN"', ' "SELECT 42"', ' "ROLLBACK"']
    finally:
        engine.dispose()
