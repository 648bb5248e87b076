"""Drive the sync engine's import step the way a Web Connector session does, against any QuickBooks stand-in."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session as DbSession

from qbwc_server.imports import ImportPageStep
from qbwc_server.models import Company, QueueAction, WcSession
from qbwc_server.qbxml import render
from qbwc_server.runtime import Runtime
from qbwc_server.sync import queue
from qbwc_server.sync.engine import SyncEngine

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"
RESPONSES = SHARED / "fixtures" / "qbxml" / "responses"
SCHEMA_DIR = SHARED / "qbxml-xsd"


class Hook:
    """A session's import work as the engine does it, asked one import request at a time (no SOAP, no HTTP).

    Its engine has the import step only: the records the tests queue stay in the queue, as the import left them.
    """

    def __init__(self) -> None:
        self.engine = SyncEngine(None, steps={QueueAction.IMPORT: ImportPageStep()})

    def has_work(self, db: DbSession, company: Company) -> bool:
        """Tell whether the engine has work (an import page, here)."""
        return self.engine.has_work(db, company)

    def begin_session(self, db: DbSession, company: Company, wc: WcSession) -> None:
        """Recover what earlier sessions left in flight."""
        self.engine.begin_session(db, company, wc)

    def next_requests(self, db: DbSession, company: Company, wc: WcSession) -> list[str]:
        """Return the requests of the engine's next message set, without the envelope (none when it has nothing)."""
        message_set = self.engine.next_request(db, company, wc)
        if message_set is None:
            return []
        found = re.search(r"<QBXMLMsgsRq[^>]*>(.*)</QBXMLMsgsRq>", message_set, re.S)
        assert found, message_set
        return [found.group(1).strip()]

    def handle(
        self, db: DbSession, company: Company, wc: WcSession, response: str, hresult: str, message: str
    ) -> int | None:
        """Hand the engine the answer when an import page of this session is in flight; None when none is."""
        if not any(item.action is QueueAction.IMPORT for item in queue.answered(db, company, wc.ticket)[0]):
            return None
        return self.engine.handle_response(db, company, wc, response, hresult, message)

    def progress(self, db: DbSession, company: Company, wc: WcSession) -> int:
        """Return the engine's progress for the session."""
        return self.engine.progress(db, company, wc)


@dataclass
class Trip:
    """One round trip: what was asked and the progress the hook reported."""

    request: str
    progress: int | None


@dataclass
class Session:
    """What one driven session did."""

    ticket: str
    trips: list[Trip] = field(default_factory=list)


class Driver:
    """Run sessions of the engine's import step against any `answer(qbxml) -> qbxml` function."""

    def __init__(self, runtime: Runtime, company_id: int, answer) -> None:  # type: ignore[no-untyped-def]
        self.runtime = runtime
        self.company_id = company_id
        self.answer = answer
        self.ext = Hook()

    def session(self, max_trips: int = 1000, before_each=None) -> Session:  # type: ignore[no-untyped-def]
        """Open a session, send import requests until none is left (or `max_trips`), and return what happened."""
        ticket = secrets.token_urlsafe(16)
        with self.runtime.transaction() as db:
            company = db.get(Company, self.company_id)
            wc = WcSession(ticket=ticket, company_id=company.id, qbxml_version="13.0")
            db.add(wc)
            db.flush()
            self.ext.begin_session(db, company, wc)
        done = Session(ticket)
        for _ in range(max_trips):
            with self.runtime.transaction() as db:
                company = db.get(Company, self.company_id)
                wc = db.query(WcSession).filter_by(ticket=ticket).one()
                requests = self.ext.next_requests(db, company, wc)
                if not requests:
                    break
                message_set = render.message_set(requests, "13.0", on_error="continueOnError")
            if before_each is not None:
                before_each(len(done.trips))
            response = self.answer(message_set)
            with self.runtime.transaction() as db:
                company = db.get(Company, self.company_id)
                wc = db.query(WcSession).filter_by(ticket=ticket).one()
                wc.round_trips += 1
                progress = self.ext.handle(db, company, wc, response, "", "")
            done.trips.append(Trip(requests[0], progress))
            if progress == 100:
                break
        return done


def request_id_of(message_set: str) -> str:
    """Return the requestID of the (only) request in a message set."""
    found = re.search(r'requestID="([^"]+)"', message_set)
    assert found, message_set
    return found.group(1)


def with_request_id(response: str, request_id: str) -> str:
    """Return a recorded response answering our request: its requestID replaced by ours."""
    if "requestID=" in response:
        return re.sub(r'requestID\s*=\s*"[^"]*"', f'requestID="{request_id}"', response, count=1)
    return re.sub(r"<(\w+QueryRs)\b", rf'<\1 requestID="{request_id}"', response, count=1)


def qbxml(body: str, version: str = "13.0") -> str:
    """Wrap request elements in a message set, as the Web Connector hands them to QuickBooks."""
    return render.message_set([body], version, on_error="stopOnError")


class Ticker:
    """A clock for the simulator that moves one second every few reads, so some objects share a TimeModified."""

    def __init__(self, start: datetime, every: int = 4) -> None:
        self.now = start
        self.every = every
        self.reads = 0

    def __call__(self) -> datetime:
        self.reads += 1
        if self.reads % self.every == 0:
            self.now += timedelta(seconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        """Jump ahead, e.g. advance(hours=3)."""
        self.now += timedelta(**delta)
