"""Fixtures for the import tests: recorded QuickBooks answers and Intuit's schemas beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.imports.driving import RESPONSES, SCHEMA_DIR


@pytest.fixture
def recorded():
    """Return a recorded QuickBooks response by file name, skipping when the fixtures are not beside us."""

    def read(name: str) -> str:
        path = RESPONSES / name
        if not path.is_file():
            pytest.skip(f"recorded QuickBooks response {name} is not beside this checkout")
        return path.read_text(encoding="utf-8")

    return read


@pytest.fixture
def schema_path() -> Path | None:
    """Return Intuit's schema folder when present (the simulator then refuses invalid requests as QuickBooks does)."""
    return SCHEMA_DIR if (SCHEMA_DIR / "v13").is_dir() else None
