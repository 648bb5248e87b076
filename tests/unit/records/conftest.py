"""Fixtures for the records tests: a company to store records for."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def make_company(runtime):
    """Return a factory that inserts a company (slug, settings) and returns its id."""

    def make(slug: str = "acme", settings: dict | None = None) -> int:
        with runtime.transaction() as db:
            return factories.make_company(db, slug, qbwc_username=f"{slug}-qbwc", **(settings or {})).id

    return make
