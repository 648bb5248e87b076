"""Fixtures for the REST API tests: the app on a fresh database, companies, and tokens for them."""

from __future__ import annotations

import pytest

from qbwc_server import tokens
from qbwc_server.models import Company
from qbwc_server.web import create_app
from tests import factories


@pytest.fixture
def app(runtime):
    """The Flask app on the `runtime` database (SQLite and PostgreSQL)."""
    return create_app(runtime, {"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_company(runtime):
    """Return a factory that inserts a company and returns its id."""

    def make(slug: str = "acme", **columns) -> int:
        with runtime.transaction() as db:
            return factories.make_company(db, slug, name=slug.title(), qbwc_username=f"{slug}-qbwc", columns=columns).id

    return make


@pytest.fixture
def make_token(runtime):
    """Return a factory that creates an API token for a company id and returns its plain text."""

    def make(company_id: int) -> str:
        with runtime.transaction() as db:
            _, plain = tokens.create(db, db.get(Company, company_id), "tests")
            return plain

    return make


@pytest.fixture
def auth(make_company, make_token):
    """Headers with a token of a company called acme."""
    return {"Authorization": f"Bearer {make_token(make_company('acme'))}"}
