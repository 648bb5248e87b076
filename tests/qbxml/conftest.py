"""Locate the shared qbXML schemas and recorded QuickBooks traffic beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SCHEMA_DIR = SHARED / "qbxml-xsd"
FIXTURES = SHARED / "fixtures" / "qbxml"


@pytest.fixture
def schema_dir() -> Path:
    if not (SCHEMA_DIR / "v13").is_dir() or not (SCHEMA_DIR / "v16").is_dir():
        pytest.skip("the qbXML schemas (../shared/qbxml-xsd) are not beside this checkout")
    return SCHEMA_DIR


@pytest.fixture
def fixture_bytes():
    def read(relative: str) -> bytes:
        path = FIXTURES / relative
        if not path.is_file():
            pytest.skip(f"recorded QuickBooks fixture {relative} is not beside this checkout")
        return path.read_bytes()

    return read
