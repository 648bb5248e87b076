"""Drive the sync engine as the Web Connector would, without HTTP, so a test can lose any answer it likes."""

from __future__ import annotations

import secrets

from qbwc_server.models import Company, Record, RecordKind, SessionState, WcSession
from qbwc_server.records import store
from qbwc_server.runtime import Runtime
from qbwc_server.simulator import FakeCompany


class Sessions:
    """Open sessions, claim batches, and hand QuickBooks' answers back (or lose them)."""

    def __init__(self, runtime: Runtime, company_id: int, qb: FakeCompany) -> None:
        self.runtime = runtime
        self.company_id = company_id
        self.qb = qb
        self.engine = runtime.sync_engine()

    def open(self) -> str:
        """Start a session as authenticate and the first sendRequestXML do; return its ticket."""
        with self.runtime.transaction() as db:
            company = db.get(Company, self.company_id)
            assert company is not None
            self.engine.has_work(db, company, plan=True)
            wc = WcSession(
                ticket=secrets.token_urlsafe(16), company_id=company.id, state=SessionState.OPEN, qbxml_version="13.0"
            )
            db.add(wc)
            db.flush()
            self.engine.begin_session(db, company, wc)
            return wc.ticket

    def send(self, ticket: str) -> str | None:
        """Return the next message set the session sends."""
        with self.runtime.transaction() as db:
            company, wc = self._load(db, ticket)
            return self.engine.next_request(db, company, wc)

    def run(self, request: str) -> str:
        """Let QuickBooks run a message set; return its answer."""
        return self.qb.process(request)

    def answer(self, ticket: str, response: str) -> int:
        """Hand QuickBooks' answer to the engine; return the progress."""
        with self.runtime.transaction() as db:
            company, wc = self._load(db, ticket)
            return self.engine.handle_response(db, company, wc, response, "", "")

    def round_trip(self, ticket: str) -> str | None:
        """Send the next message set, let QuickBooks run it and hand the answer back; return the request."""
        request = self.send(ticket)
        if request is not None:
            self.answer(ticket, self.run(request))
        return request

    def sync(self) -> None:
        """Run one whole session in which no answer is lost."""
        ticket = self.open()
        while self.round_trip(ticket) is not None:
            pass

    def put(self, kind: RecordKind, external_id: str, data: dict[str, object]) -> None:
        """Store a record as the host app's PUT does."""
        with self.runtime.transaction() as db:
            company = db.get(Company, self.company_id)
            assert company is not None
            store.upsert(db, company, kind, external_id, data)

    def record(self, kind: RecordKind, external_id: str) -> Record:
        """Return a record as it is now."""
        with self.runtime.transaction() as db:
            company = db.get(Company, self.company_id)
            assert company is not None
            record = store.get(db, company, kind, external_id)
            db.expunge(record)
            return record

    def _load(self, db, ticket: str) -> tuple[Company, WcSession]:  # type: ignore[no-untyped-def]
        company = db.get(Company, self.company_id)
        wc = db.query(WcSession).filter_by(ticket=ticket).one()
        return company, wc
