"""Fixtures for the Web Connector conversation: companies, a scripted sync engine, a conversation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from qbwc_server.models import Company
from qbwc_server.protocol import Conversation
from qbwc_server.runtime import Runtime
from qbwc_server.sync.engine import SyncEngine
from tests import factories

PASSWORD = "correct horse battery"


class ScriptedEngine(SyncEngine):
    """A sync engine that hands out a fixed list of requests and counts every answer as a success."""

    def __init__(self, requests: list[str] | None = None, work: bool = True) -> None:
        super().__init__()
        self.requests = list(requests or [])
        self.work = work
        self.calls: list[tuple[str, Any]] = []
        self.fail_next_request = False

    def has_work(self, db, company, plan=False, asked=None):  # type: ignore[no-untyped-def]
        return self.work

    def begin_session(self, db, company, wc_session):  # type: ignore[no-untyped-def]
        self.calls.append(("begin", company.slug))

    def next_request(self, db, company, wc_session):  # type: ignore[no-untyped-def]
        if self.fail_next_request:
            raise RuntimeError("engine bug")
        return self.requests.pop(0) if self.requests else None

    def handle_response(self, db, company, wc_session, response, hresult, message):  # type: ignore[no-untyped-def]
        self.calls.append(("response", response))
        if hresult:
            wc_session.failed += 1
        else:
            wc_session.succeeded += 1
        return 100 if not self.requests else 50

    def end_session(self, db, wc_session, reason):  # type: ignore[no-untyped-def]
        self.calls.append(("end", reason))


@pytest.fixture
def make_company(runtime: Runtime) -> Callable[..., Company]:
    """Create a company in the test database; returns a factory taking slug, user and password."""

    def factory(slug: str = "acme", user: str | None = None, password: str = PASSWORD, **columns: Any) -> Company:
        with runtime.transaction() as db:
            return factories.make_company(
                db,
                slug,
                name=slug.title() + " Plumbing",
                qbwc_username=user or f"{slug}-wc",
                password=password,
                columns=columns,
            )

    return factory


@pytest.fixture
def scripted_engine() -> type[ScriptedEngine]:
    """The scripted engine class, for tests that need their own or a subclass."""
    return ScriptedEngine


@pytest.fixture
def engine() -> ScriptedEngine:
    """A scripted engine with one request waiting."""
    return ScriptedEngine(['<?xml version="1.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"/></QBXML>'])


@pytest.fixture
def conversation(runtime: Runtime, engine: ScriptedEngine) -> Conversation:
    """The conversation under test, with the scripted engine."""
    return Conversation(runtime, engine=engine)
