"""Fixtures for the page tests: an app on a migrated database, companies, users and records made to order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from qbwc_server import synclog
from qbwc_server.models import LogEvent, Note, QbListEntry, Record, RecordKind, Role, SyncState
from qbwc_server.runtime import Runtime
from qbwc_server.users import create_user
from qbwc_server.web import create_app
from tests import factories

PASSWORD = "correct horse battery"


def build_app(runtime: Runtime, *, csrf: bool = False) -> Flask:
    """Return the page app; CSRF is off unless a test is about it (forms then need the token)."""
    return create_app(runtime, {"TESTING": True, "WTF_CSRF_ENABLED": csrf})


@pytest.fixture
def rt(sqlite_runtime: Runtime) -> Runtime:
    return sqlite_runtime


@pytest.fixture
def app(rt: Runtime) -> Flask:
    return build_app(rt)


@pytest.fixture
def csrf_app(rt: Runtime) -> Flask:
    """The page app with CSRF checks on, as it runs in production."""
    return build_app(rt, csrf=True)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def make_company(rt: Runtime) -> Callable[..., int]:
    def make(slug: str, name: str | None = None, **columns: Any) -> int:
        with rt.transaction() as db:
            return factories.make_company(db, slug, name=name, qbwc_username=f"qbwc-{slug}", columns=columns).id

    return make


@pytest.fixture
def make_user(rt: Runtime) -> Callable[..., str]:
    def make(email: str, role: str = "bookkeeper", companies: tuple[str, ...] = ()) -> str:
        with rt.transaction() as db:
            create_user(db, email, Role(role), PASSWORD, companies)
        return email

    return make


@pytest.fixture
def make_record(rt: Runtime) -> Callable[..., int]:
    def make(
        company_id: int,
        kind: str,
        external_id: str,
        data: dict[str, Any] | None = None,
        state: SyncState = SyncState.QUEUED,
        error: Note | dict[str, Any] | None = None,
        log: tuple[tuple[LogEvent, str, dict[str, Any]], ...] = (),
        **columns: Any,
    ) -> int:
        with rt.transaction() as db:
            record = Record(
                company_id=company_id,
                kind=RecordKind(kind),
                external_id=external_id,
                data=data or {"name": external_id},
                sync_state=state,
                last_error=Note.from_json(error) if isinstance(error, dict) else error,
                **columns,
            )
            db.add(record)
            db.flush()
            for event, message, extra in log:
                synclog.append(db, record, event, message, **extra)
            return record.id

    return make


@pytest.fixture
def make_list_entry(rt: Runtime) -> Callable[..., None]:
    def make(company_id: int, list_type: str, full_name: str, subtype: str | None = None, list_id: str = "") -> None:
        with rt.transaction() as db:
            db.add(
                QbListEntry(
                    company_id=company_id,
                    list_type=list_type,
                    list_id=list_id or f"80000{abs(hash(full_name)) % 999:03d}-1700000000",
                    full_name=full_name,
                    subtype=subtype,
                )
            )

    return make


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., Any]:
    """Sign in through the form; the response is the page after the redirects."""

    def sign_in(email: str, password: str = PASSWORD) -> Any:
        return client.post("/login", data={"email": email, "password": password}, follow_redirects=True)

    return sign_in
