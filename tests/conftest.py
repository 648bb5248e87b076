"""Fixtures shared by every test: a migrated database (SQLite and PostgreSQL), the runtime, the qbXML schemas."""

from __future__ import annotations

import os
import shutil
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
from qbwc_server.simulator.postgres import NoPostgres, ThrowawayPostgres

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURES = SHARED / "fixtures"
SCHEMA_DIR = SHARED / "qbxml-xsd"


def pytest_configure(config: pytest.Config) -> None:
    # Every request the server builds is validated against Intuit's schemas whenever they are beside the project.
    if SCHEMA_DIR.is_dir():
        os.environ.setdefault("QBWC_QBXML_SCHEMA_DIR", str(SCHEMA_DIR))
    os.environ.setdefault("QBWC_INSTANCE_DIR", tempfile.mkdtemp(prefix="qbwc-instance-"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests were skipped and why, grouped by reason, so a missing part is never silent."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons: dict[str, int] = {}
    for report in skipped:
        reason = str(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    terminalreporter.section(f"{len(skipped)} tests skipped")
    for reason, count in sorted(reasons.items(), key=lambda pair: -pair[1]):
        terminalreporter.write_line(f"{count:5d}  {reason}")


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


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Return a migrated PostgreSQL database: QBWC_TEST_POSTGRES_URL, or a cluster these tests start."""
    url = os.environ.get("QBWC_TEST_POSTGRES_URL")
    server: ThrowawayPostgres | None = None
    if not url:
        try:
            server = ThrowawayPostgres(fsync=False)
            url = server.start()
        except (NoPostgres, subprocess.CalledProcessError, KeyError, LookupError) as exc:
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
    """Return test settings for a database URL: a login lock of a minute, schemas validated when present."""
    values: dict[str, object] = {
        "database_url": url,
        "secret_key": "test-secret-key",
        "qbxml_schema_dir": SCHEMA_DIR if SCHEMA_DIR.is_dir() else None,
        "auth_failure_delay_seconds": 60.0,
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
