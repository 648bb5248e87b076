"""A server process keeps one PostgreSQL connection per request thread instead of opening one per request."""

from __future__ import annotations

from sqlalchemy.pool import NullPool, QueuePool

from qbwc_server import db as database
from qbwc_server.cli.serve import THREADS_ALONE, THREADS_PER_WORKER


def test_postgres_keeps_a_connection_for_every_request_thread_of_a_default_serve():
    engine = database.make_engine("postgresql+psycopg://qbwc@127.0.0.1:9/none")  # never connects here
    try:
        assert isinstance(engine.pool, QueuePool)
        threads = max(THREADS_ALONE, THREADS_PER_WORKER)
        # Every request thread and the webhook deliverer hold a kept connection: none is opened for one use.
        assert engine.pool.size() == database.POSTGRES_POOL_SIZE >= threads + 1
    finally:
        engine.dispose()


def test_a_caller_that_chooses_its_own_pool_keeps_it():
    engine = database.make_engine("postgresql+psycopg://qbwc@127.0.0.1:9/none", poolclass=NullPool)
    try:
        assert isinstance(engine.pool, NullPool)
    finally:
        engine.dispose()
