"""Fixtures shared by every test: a migrated database (SQLite and PostgreSQL), the runtime, the qbXML schemas."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from qbwc_server import db as database
from qbwc_server.config import Settings
from qbwc_server.models import Base
from qbwc_server.runtime import Runtime

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURES = SHARED / "fixtures"
SCHEMA_DIR = SHARED / "qbxml-xsd"


def pytest_configure(config: pytest.Config) -> None:
    # Every request the server builds is validated against Intuit's schemas whenever they are beside the project.
    if SCHEMA_DIR.is_dir():
        os.environ.setdefault("QBWC_QBXML_SCHEMA_DIR", str(SCHEMA_DIR))
    os.environ.setdefault("QBWC_INSTANCE_DIR", tempfile.mkdtemp(prefix="qbwc-instance-"))


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Return the folder of real Web Connector and QuickBooks traffic, skipping when it is absent."""
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not beside the project")
    return FIXTURES


@pytest.fixture(scope="session")
def schema_dir() -> Path:
    """Return Intuit's qbXML schema folder, skipping when it is absent."""
    if not SCHEMA_DIR.is_dir():
        pytest.skip("../shared/qbxml-xsd is not beside the project")
    return SCHEMA_DIR


# --- SQLite -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite file per test run; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    database.upgrade(f"sqlite:///{path}")
    return path


def _sqlite_url(template: Path, tmp_path: Path) -> str:
    target = tmp_path / "qbwc.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


# --- PostgreSQL ---------------------------------------------------------------------------------------------


class _TempPostgres:
    """A throwaway PostgreSQL cluster run from the installed server binaries, on a free loopback port."""

    def __init__(self) -> None:
        bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        initdb = shutil.which("initdb") or (str(bindirs[-1] / "initdb") if bindirs else None)
        if not initdb or not Path(initdb).exists():
            raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bindir = Path(initdb).parent
        self.dir = Path(tempfile.mkdtemp(prefix="qbwc-pg-"))
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: run it as the packaged postgres user.
            shutil.chown(self.dir, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def start(self) -> str:
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "qbwc", "--no-sync", "-E", "UTF8")
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start")
        return f"postgresql+psycopg://qbwc@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        subprocess.run([*self.as_user, str(self.bindir / tool), *args], check=check, capture_output=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Return a migrated PostgreSQL database: QBWC_TEST_POSTGRES_URL, or a cluster these tests start."""
    url = os.environ.get("QBWC_TEST_POSTGRES_URL")
    server: _TempPostgres | None = None
    if not url:
        try:
            server = _TempPostgres()
            url = server.start()
        except (FileNotFoundError, subprocess.CalledProcessError, KeyError, LookupError) as exc:
            reason = f"no PostgreSQL: set QBWC_TEST_POSTGRES_URL or install the server ({exc})"
            if os.environ.get("QBWC_TEST_REQUIRE_POSTGRES"):
                pytest.fail(reason)
            pytest.skip(reason)
    engine = database.make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    database.upgrade(url)
    yield url
    if server is not None:
        server.stop()


def _truncate_all(runtime: Runtime) -> None:
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with runtime.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


# --- the runtime --------------------------------------------------------------------------------------------


def make_settings(url: str, **overrides: object) -> Settings:
    """Return test settings for a database URL: fast login throttle, schemas validated when present."""
    values: dict[str, object] = {
        "database_url": url,
        "secret_key": "test-secret-key",
        "qbxml_schema_dir": SCHEMA_DIR if SCHEMA_DIR.is_dir() else None,
        "auth_failure_delay_seconds": 0.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def runtime(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on a freshly migrated database; tests using it run once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        rt = Runtime(make_settings(_sqlite_url(sqlite_template, tmp_path)))
    else:
        rt = Runtime(make_settings(request.getfixturevalue("postgres_url")))
        _truncate_all(rt)
    yield rt
    rt.close()


@pytest.fixture
def sqlite_runtime(sqlite_template: Path, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on a freshly migrated SQLite database only (for tests whose point is not the database)."""
    rt = Runtime(make_settings(_sqlite_url(sqlite_template, tmp_path)))
    yield rt
    rt.close()


@pytest.fixture
def pg_runtime(postgres_url: str) -> Iterator[Runtime]:
    """A runtime on the PostgreSQL test database, emptied first (for tests about concurrency)."""
    rt = Runtime(make_settings(postgres_url))
    _truncate_all(rt)
    yield rt
    rt.close()


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    """Poll `predicate` until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
