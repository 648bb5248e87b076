"""Shared fixtures for the simulator tests: schema and fixture folders, a frozen clock, qbXML helpers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from qbwc_server.simulator import FakeCompany, set_clock

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SCHEMA_DIR = SHARED / "qbxml-xsd"
FIXTURES = SHARED / "fixtures"


def require_shared(path: Path) -> Path:
    """Skip the test when the shared reference folder is not next to the repository."""
    if not path.exists():
        pytest.skip(f"shared reference material not found at {path}")
    return path


@pytest.fixture
def schema_dir() -> Path:
    """Return the folder with Intuit's qbXML schemas (v13/ and v16/)."""
    return require_shared(SCHEMA_DIR)


@pytest.fixture
def fixtures_dir() -> Path:
    """Return the folder with the real QBWC and qbXML captures."""
    return require_shared(FIXTURES)


class SteppingClock:
    """A clock that starts at a fixed instant and moves on one second per reading."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


@pytest.fixture(autouse=True)
def clock() -> Iterator[SteppingClock]:
    """Freeze the simulator's clock at 2023-11-14 22:13:20 UTC, advancing one second per reading."""
    stepping = SteppingClock(datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC))
    set_clock(stepping)
    yield stepping
    set_clock(None)


@pytest.fixture
def company(schema_dir: Path) -> FakeCompany:
    """Return the demo company, validating every message set against the schema."""
    return FakeCompany.demo(schema_dir=schema_dir)
