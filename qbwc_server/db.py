"""The database engine, sessions, and Alembic configured in code (migrations ship inside the package)."""

from __future__ import annotations

import os
import select
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, exc, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.util import identity_key

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# PostgreSQL connections a server process keeps open: one per request thread (`serve --threads`, at most 8 by default)
# and the webhook deliverer's, with room to spare. SQLAlchemy's default keeps 5 and opens the rest for one use
# each, so under load every request past the fifth at once started a new PostgreSQL backend (a process started,
# authenticated and its caches warmed) and closed it again. Connections are opened only when needed.
POSTGRES_POOL_SIZE = 16


def make_engine(url: str, **kwargs: object) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout so several threads can share it."""
    if url.startswith("sqlite"):
        create_private_file(url)
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # isolation_level=None lets SQLAlchemy's "begin" event issue BEGIN IMMEDIATE below.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            # Take the write lock at the start of every transaction: a read-then-write never fails half way.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # With psycopg a kept connection is checked at checkout without a round trip (`_closed_by_the_server`);
    # other drivers ping (a query sent before every transaction).
    psycopg = make_url(url).get_dialect().driver == "psycopg"
    pings = kwargs.setdefault("pool_pre_ping", not psycopg)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
    engine = create_engine(url, **kwargs)
    if engine.dialect.driver == "psycopg":
        from psycopg.types.array import ListBinaryDumper

        if not pings:
            event.listen(engine, "checkout", _closed_by_the_server)

        @event.listens_for(engine, "connect")
        def _binary_arrays(dbapi_connection, _record):
            # A Python list goes as a binary array (only `multirow` passes lists: a column of a batch's rows). In
            # text, psycopg quotes and escapes every element with a regular expression: a thousand records' JSON
            # took 30-60 ms that way and 3 ms in binary, which needs no escaping.
            dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)

    return engine


def _closed_by_the_server(dbapi_connection, _record, _proxy):
    """Refuse a kept connection the server has closed, so the pool opens a new one in its place.

    An idle connection's server sends nothing until it is asked something, except when it ends the connection: a
    restart or shutdown, `pg_terminate_backend`, `idle_session_timeout` or a killed backend sends its FATAL message
    or closes the socket, which is then readable. Asking the kernel (a poll of the socket that does not wait) costs
    no round trip, where `pool_pre_ping` sent an empty query before every transaction. Anything readable is taken as
    the end: at worst a connection is opened again. A server that vanished without closing (its host lost) goes
    unnoticed here as it does by a ping, which would wait for the network's timeout.
    """
    try:
        closed = dbapi_connection.closed or _readable(dbapi_connection.fileno())
    except Exception as error:  # a connection psycopg already knows to be broken raises here
        raise exc.DisconnectionError(str(error)) from error
    if closed:
        raise exc.DisconnectionError("the database server closed the connection")


def _readable(fd: int) -> bool:
    """Tell whether a socket has something to read, or has been closed, without waiting."""
    if not hasattr(select, "poll"):  # Windows: select() takes sockets there
        return bool(select.select([fd], [], [], 0)[0])
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


_Model = TypeVar("_Model")


def held(session: Session, model: type[_Model], row_id: int) -> _Model | None:
    """Return the session's own object of a row, when it holds one (no query: what was read as a plain row may be
    held as an object too, and then the object is what is current)."""
    found = session.identity_map.get(identity_key(model, row_id))
    return found if isinstance(found, model) else None


def serialised(session: Session) -> bool:
    """Tell whether the session's transaction holds the database's write lock from its start (SQLite's BEGIN
    IMMEDIATE, above): nothing another process does can come between two of its statements."""
    return session.get_bind().dialect.name == "sqlite"


def create_private_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (SQLite gives its -wal and -shm files the same)."""
    if not url.startswith("sqlite:///"):
        return
    name = url.removeprefix("sqlite:///").split("?", 1)[0]
    if not name or name == ":memory:":
        return
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory every request and command uses."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Run a block in one transaction: commit when it succeeds, roll back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Config:
    """Build the Alembic configuration in code, pointing at the migrations inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision`."""
    create_private_file(url)
    command.upgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    """Return the database's Alembic revision, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
