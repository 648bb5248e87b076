"""The Web Connector conversation (authenticate … closeConnection), free of SOAP: soap.py calls it.

Every call runs in one database transaction. When the sync engine's part fails, what it wrote is rolled back and the
session's own state (last seen, error text) is still saved (`wc_sessions.SessionRow.guarded`), and the Web Connector
gets a plain answer.

`authenticate` answers `none` with a real ticket: the session row is created already closed, so the Web Connector's
closeConnection shows why nothing happened ("Nothing to sync", "Sync is paused"). `nvu` and `busy` carry no ticket.
The login itself (the user name, its password, the failed-login throttle) is `wc_login`'s.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import __version__, clock, hcp, passwords, status, wc_login, wc_sessions
from qbwc_server import db as database
from qbwc_server.config import parse_version
from qbwc_server.errors import CannotSync
from qbwc_server.logging_setup import CallRecord, log_call, log_qbxml
from qbwc_server.models import Company, SessionState, WcSession
from qbwc_server.runtime import Runtime
from qbwc_server.sync.engine import WORK_QUESTIONS, SyncEngine
from qbwc_server.webhooks import outbox

log = logging.getLogger(__name__)

NONE = "none"
BUSY = "busy"
DONE = "done"

EXPIRED_MESSAGE = "This Web Connector session has expired or is unknown; run the update again"
NO_MORE_WORK = "No more work: everything queued for QuickBooks has been sent"
INTERNAL_ERROR = "The sync server hit an unexpected error (details are in its log); run the update again later"
RESPONSE_ERROR = "The sync server could not process QuickBooks' response (details are in its log)"
PAUSED_SUMMARY = "Sync is paused for this company"

# Built once: a check-in's questions on PostgreSQL once the company row is locked (an open session? an item in
# flight? an item ready?), in one statement.
_AFTER_THE_LOCK = select(wc_sessions.OPEN_OF_COMPANY, *WORK_QUESTIONS)


class Conversation:
    """Answer the Web Connector's calls for every company; state lives in the database, not here."""

    def __init__(self, runtime: Runtime, engine: SyncEngine | None = None) -> None:
        self.runtime = runtime
        self.engine = engine if engine is not None else runtime.sync_engine()
        passwords.dummy_hash()  # computed now so the first unknown user is not measurably faster

    # --- the calls without a session -------------------------------------------------------------------------

    def server_version(self) -> str:
        """Return the text the Web Connector shows as the server's version."""
        with log_call("serverVersion"):
            return f"qbwc-server {__version__}"

    def client_version(self, version: str | None) -> str:
        """Return "" to go on, or "O:<minimum>" when the Web Connector is older than the configured minimum."""
        with log_call("clientVersion") as call:
            minimum = self.runtime.settings.min_client_version
            text = (version or "").strip()
            if not text or not all(p.isdigit() for p in text.split(".")):
                call.outcome = "unreadable"
                return f"W:The sync server could not read this Web Connector's version ({text or 'none'})."
            if parse_version(text) < parse_version(minimum):
                call.outcome = "too-old"
                return f"O:{minimum}"
            return ""

    def authenticate(self, username: str | None, password: str | None, address: str = "") -> list[str]:
        """Check the Web Connector user and open a session: [ticket, ""|file], [ticket, none], ["", nvu|busy].

        `address` is the client's; a name locked after failed logins from it answers nvu at once, unchecked.
        """
        with log_call("authenticate") as call:
            try:
                return wc_login.sign_in(self.runtime, username or "", password or "", address, call, self._check_in)
            except Exception:
                log.exception("authenticate failed")
                call.outcome = "error"
                return ["", BUSY]

    # --- the calls on a session ------------------------------------------------------------------------------

    def send_request_xml(
        self,
        ticket: str | None,
        hcp_response: str | None,
        company_file_name: str | None,
        country: str | None,
        major: int | None,
        minor: int | None,
    ) -> str:
        """Return the next qbXML request set, or "" (the Web Connector then asks getLastError why)."""
        with log_call("sendRequestXML", ticket) as call:
            try:
                with self.runtime.transaction() as db:
                    wc, company = self._live_session(db, ticket, call)
                    if wc is None or company is None:
                        return ""
                    with wc_sessions.SessionRow(db, wc, seen=True) as row:
                        try:
                            with row.guarded():
                                if wc.qbxml_version is None:
                                    refusal = hcp.first_call(
                                        company, wc, hcp_response, company_file_name, country, major, minor
                                    )
                                    if refusal:
                                        wc.last_error = refusal
                                        self._end(db, wc, SessionState.FAILED, "wrong company file", company, row)
                                        call.outcome = "wrong-file"
                                        return ""
                                    self.engine.begin_session(db, company, wc)
                                request = self.engine.next_request(db, company, wc)
                        except CannotSync as refusal:
                            wc.last_error = str(refusal)
                            call.outcome = "refused"
                            return ""
                        except Exception:
                            log.exception("sendRequestXML failed for %s", company.slug)
                            wc.last_error = INTERNAL_ERROR
                            call.outcome = "error"
                            return ""
                        if not request:
                            wc.last_error = NO_MORE_WORK
                            call.outcome = "no-work"
                            return ""
                        wc.round_trips += 1
                        wc.last_error = None
                        call.outcome = "request"
                        log_qbxml("request", ticket, request)
                        return request
            except Exception:
                log.exception("sendRequestXML failed")
                call.outcome = "error"
                return ""

    def receive_response_xml(
        self, ticket: str | None, response: str | None, hresult: str | None, message: str | None
    ) -> int:
        """Hand QuickBooks' answer to the sync engine; return progress 0-100, or -1 (then getLastError says why)."""
        with log_call("receiveResponseXML", ticket) as call:
            try:
                with self.runtime.transaction() as db:
                    wc, company = self._live_session(db, ticket, call)
                    if wc is None or company is None:
                        return -1
                    with wc_sessions.SessionRow(db, wc, seen=True) as row:
                        log_qbxml("response", ticket, response)
                        if hresult:
                            wc.last_error = (
                                f"QuickBooks could not process the request ({hresult}): {message or ''}".strip()
                            )
                        try:
                            with row.guarded():
                                progress = int(
                                    self.engine.handle_response(
                                        db, company, wc, response or "", hresult or "", message or ""
                                    )
                                )
                        except Exception:
                            log.exception("receiveResponseXML failed for %s", company.slug)
                            wc.last_error = RESPONSE_ERROR
                            call.outcome = "error"
                            return -1
                        if progress < 0:
                            wc.last_error = wc.last_error or "The sync stopped because of an error"
                            call.outcome = f"progress {progress}"
                            return progress
                        progress = min(progress, 100)
                        call.outcome = f"progress {progress}"
                        return progress
            except Exception:
                log.exception("receiveResponseXML failed")
                call.outcome = "error"
                return -1

    def connection_error(self, ticket: str | None, hresult: str | None, message: str | None) -> str:
        """Record that the Web Connector could not reach QuickBooks, end the session and answer "done"."""
        with log_call("connectionError", ticket) as call:
            try:
                with self.runtime.transaction() as db:
                    wc, company = self._live_session(db, ticket, call)
                    if wc is None:
                        return DONE
                    with wc_sessions.SessionRow(db, wc, seen=True) as row:
                        wc.last_error = (
                            f"The Web Connector could not open QuickBooks ({hresult or 'no code'}): {message or ''}"
                        ).strip()
                        self._end(db, wc, SessionState.FAILED, "connection error", company, row)
                    call.outcome = "failed"
            except Exception:
                log.exception("connectionError failed")
                call.outcome = "error"
            return DONE

    def get_last_error(self, ticket: str | None) -> str:
        """Return the text the Web Connector logs and shows after a "" request or a negative progress."""
        with log_call("getLastError", ticket) as call:
            try:
                with self.runtime.transaction() as db:
                    # Read in columns: the answer needs no objects. Only an open session that sat idle too long is
                    # read again as objects, to be expired.
                    row = wc_sessions.last_error_row(db, ticket) if ticket else None
                    if row is not None and row.state == SessionState.OPEN and self._idle_since(row.last_seen_at):
                        self._session(db, ticket, call)
                        row = None
                    if row is None or row.state == SessionState.EXPIRED:
                        call.outcome = "expired"
                        return EXPIRED_MESSAGE
                    call.company = row.slug
                    if row.state == SessionState.OPEN:
                        wc_sessions.seen_now(db, row.id)
                    return row.last_error or "No errors"
            except Exception:
                log.exception("getLastError failed")
                call.outcome = "error"
                return INTERNAL_ERROR

    def close_connection(self, ticket: str | None) -> str:
        """Close the session and return a short summary such as "Synced 12, 1 error"."""
        with log_call("closeConnection", ticket) as call:
            if not ticket:
                return "Done"
            try:
                with self.runtime.transaction() as db:
                    wc, company = self._session_and_company(db, ticket, call)
                    if wc is None or wc.state == SessionState.EXPIRED:
                        call.outcome = "expired"
                        return EXPIRED_MESSAGE
                    if wc.state == SessionState.OPEN:
                        with wc_sessions.SessionRow(db, wc) as row:
                            # Summarised first, so the closing is one UPDATE of the row (the summary reads counters).
                            wc.summary = self._closing_summary(db, row, company)
                            if not row.ended_elsewhere:
                                self._end(db, wc, SessionState.CLOSED, "closed", company, row)
                    elif wc.state == SessionState.FAILED and wc.last_error:
                        return wc.last_error
                    call.outcome = wc.state.value
                    return wc.summary or wc_sessions.summarize(wc)
            except Exception:
                log.exception("closeConnection failed")
                call.outcome = "error"
                return "Closed"

    def _closing_summary(self, db: Session, row: wc_sessions.SessionRow, company: Company | None) -> str:
        """Return the session's summary with what it did of the work due on a schedule (scheduled imports).

        The notes are read without a savepoint (two statements more in every session's closing): when they fail,
        the call's transaction is rolled back and the row locked again, and the session closes without them.
        """
        wc = row.wc
        notes: list[str] = []
        if company is not None:
            try:
                with row.guarded():
                    notes = self.engine.closing_notes(db, company, wc)
            except Exception:
                log.exception("the closing notes of session %s… failed", wc.ticket[:8])
        text = wc_sessions.summarize(wc)
        if notes and text == wc_sessions.NOTHING_SUMMARY:
            text = "; ".join(notes)
        elif notes:
            text = "; ".join([text, *notes])
        return text if len(text) <= 300 else text[:299] + "…"

    # --- interactive mode (not used) -------------------------------------------------------------------------

    def get_interactive_url(self, ticket: str | None, session_id: str | None) -> str:
        """Return no URL: this server never asks for interactive mode."""
        with log_call("getInteractiveURL", ticket):
            return ""

    def interactive_done(self, ticket: str | None) -> str:
        """Tell the Web Connector there is no interactive session to wait for."""
        with log_call("interactiveDone", ticket):
            return "Done"

    def interactive_rejected(self, ticket: str | None, reason: str | None) -> str:
        """Acknowledge a declined interactive session (this server never starts one)."""
        with log_call("interactiveRejected", ticket):
            return "This server does not use interactive mode; nothing needs doing"

    # --- internals -------------------------------------------------------------------------------------------

    def _check_in(
        self, db: Session, company: Company, has_failures: bool, any_open: bool, address: str, call: CallRecord
    ) -> list[str]:
        """Open a session for a signed-in company (or answer none / busy), in the login's transaction."""
        if has_failures:
            wc_login.forget_failures(db, company, address)
        call.company = company.slug
        # Back after the alarm: the host app heard "not_checking_in", so it hears the return even of a check-in with
        # nothing to do (one with work announces its state below anyway).
        now = clock.now()
        back = status.is_stale(company, now)
        company.last_checkin_at = now
        # The login's statement said whether the company has an open session (most check-ins find none). SQLite
        # took its write lock before that statement; PostgreSQL read the answer before the row lock it may have
        # waited for (a simultaneous login opening a session), so there it is asked again after the lock, in one
        # statement with has_work's question (ending an idle or abandoned session below moves no queue item).
        asked: tuple[bool, bool] | None = None
        if not database.serialised(db):
            any_open, in_flight, ready = db.execute(_AFTER_THE_LOCK, {"company_id": company.id}).one()
            asked = (in_flight, ready)
        open_sessions = self._expire_idle(db, company) if any_open else []
        if company.paused:
            call.outcome = "paused"
            return [self._closed_session(db, company, PAUSED_SUMMARY, call), NONE]
        if self._busy(db, company, open_sessions):
            call.outcome = BUSY
            return ["", BUSY]
        # The one moment planning writes: has_work plans the ready items first (when there are any).
        if not self.engine.has_work(db, company, plan=True, asked=asked):
            call.outcome = NONE
            ticket = self._closed_session(db, company, wc_sessions.NOTHING_SUMMARY, call)
            if back:
                status.announce(db, company)
            return [ticket, NONE]
        ticket = wc_sessions.add_row(db, company.id, SessionState.OPEN, company_file=company.company_file or "")
        status.announce(db, company)
        call.ticket = ticket
        call.outcome = "work"
        return [ticket, company.company_file or ""]

    def _closed_session(self, db: Session, company: Company, summary: str, call: CallRecord) -> str:
        now = clock.now()
        ticket = wc_sessions.add_row(
            db, company.id, SessionState.CLOSED, summary=summary, created_at=now, closed_at=now, last_seen_at=now
        )
        call.ticket = ticket
        return ticket

    def _session(self, db: Session, ticket: str | None, call: CallRecord) -> WcSession | None:
        """Return the ticket's session (locked), expiring it first when it sat idle too long."""
        return self._session_and_company(db, ticket, call)[0]

    def _session_and_company(
        self, db: Session, ticket: str | None, call: CallRecord
    ) -> tuple[WcSession | None, Company | None]:
        # The company is returned, not read again: the session holds its objects weakly, so a second get would
        # load it a second time. Both come in one statement; only the session row is locked. A company without a
        # webhook endpoint (read in the same statement) has no subscribers to be asked for in this call.
        if not ticket:
            return None, None
        found = db.execute(wc_sessions.SESSION_AND_COMPANY, {"ticket": ticket}).first()
        if found is None:
            return None, None
        wc, company, any_endpoint = found
        call.company = company.slug if company else None
        if company is not None:
            outbox.note_any_endpoint(db, company.id, any_endpoint)
        if wc.state == SessionState.OPEN and self._idle(wc):
            self._expire(db, wc, company)
        return wc, company

    def _live_session(
        self, db: Session, ticket: str | None, call: CallRecord
    ) -> tuple[WcSession | None, Company | None]:
        """Return an open, unexpired session and its company, or (None, None) with the reason noted."""
        wc, company = self._session_and_company(db, ticket, call)
        if wc is None or wc.state == SessionState.EXPIRED:
            call.outcome = "expired"
            return None, None
        if wc.state != SessionState.OPEN:
            call.outcome = f"session {wc.state.value}"
            return None, None
        return wc, company

    def _expire_idle(self, db: Session, company: Company) -> list[WcSession]:
        """Expire the company's open sessions that sat idle too long; return the ones still open."""
        still_open = []
        for wc in db.scalars(wc_sessions.OPEN_SESSIONS, {"company_id": company.id}):
            if self._idle(wc):
                self._expire(db, wc, company)
            else:
                still_open.append(wc)
        return still_open

    def _busy(self, db: Session, company: Company, open_sessions: list[WcSession]) -> bool:
        """Tell whether another session is working for this company right now.

        A session the Web Connector has not called for `session_busy_seconds` is taken to be abandoned (its
        Web Connector timed out or was closed): the guide says to drop it and carry on, and its unanswered
        requests are reconciled by the new session.
        """
        window = timedelta(seconds=self.runtime.settings.session_busy_seconds)
        busy = False
        for wc in open_sessions:
            if wc_sessions.quiet_for(wc) < window:
                busy = True
            else:
                wc.last_error = "Replaced by a new Web Connector session before it finished"
                self._end(db, wc, SessionState.FAILED, "abandoned", company)
        return busy

    def _idle(self, wc: WcSession) -> bool:
        return self._idle_since(wc.last_seen_at)

    def _idle_since(self, last_seen_at: datetime | None) -> bool:
        return wc_sessions.quiet_since(last_seen_at) > timedelta(minutes=self.runtime.settings.ticket_timeout_minutes)

    def _expire(self, db: Session, wc: WcSession, company: Company | None) -> None:
        wc.last_error = EXPIRED_MESSAGE
        self._end(db, wc, SessionState.EXPIRED, "expired", company)

    def _end(
        self,
        db: Session,
        wc: WcSession,
        state: SessionState,
        reason: str,
        company: Company | None = None,
        row: wc_sessions.SessionRow | None = None,
    ) -> None:
        wc.state = state
        wc.closed_at = clock.now()
        try:
            with db.begin_nested():
                self.engine.end_session(db, wc, reason)
        except Exception:
            # The session still ends; its unanswered requests are recovered by the next begin_session.
            log.exception("ending session %s… failed in the sync engine", wc.ticket[:8])
        if row is not None:
            row.write()  # the announcement below reads the session rows
        company = company if company is not None else db.get(Company, wc.company_id)
        if company is not None:
            status.announce(db, company)
