"""Fixtures for the records tests: a company to store records for."""

from __future__ import annotations

import pytest

from qbwc_server.models import Company


@pytest.fixture
def make_company(runtime):
    """Return a factory that inserts a company (slug, settings) and returns its id."""

    def make(slug: str = "acme", settings: dict | None = None) -> int:
        number = sum(ord(char) for char in slug)
        with runtime.transaction() as db:
            company = Company(
                slug=slug,
                name=slug.title(),
                qbwc_username=f"{slug}-qbwc",
                password_hash="x",
                owner_id=f"{{00000000-0000-0000-0000-{number:012d}}}",
                file_id=f"{{00000000-0000-0000-0001-{number:012d}}}",
                settings=settings or {},
            )
            db.add(company)
            db.flush()
            return company.id

    return make
