"""A Web Connector session's row during one SOAP call: read with its company, written with one UPDATE at the end,
and the closing summary its counters make. The conversation (`protocol.py`) drives it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, exists, insert, inspect, select, update
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.models import Company, SessionState, WcSession
from qbwc_server.webhooks import outbox

NOTHING_SUMMARY = "Nothing to sync"

# Built once (building a statement costs more than SQLite takes to run it). "open" is written into the statements,
# not bound: PostgreSQL's generic plan for a prepared statement (psycopg prepares one after a few runs) would guess
# that any state is common and read all of a company's sessions; knowing it asks for the rare one, it takes the index.
_OPEN = bindparam(None, SessionState.OPEN, type_=WcSession.__table__.c.state.type, literal_execute=True)
OPEN_SESSIONS = select(WcSession).where(WcSession.company_id == bindparam("company_id"), WcSession.state == _OPEN)
# Whether the company of the row being read has an open session (a column of a query on companies).
ANY_OPEN = exists().where(WcSession.company_id == Company.id, WcSession.state == _OPEN)
# Whether the company bound as "company_id" has an open session (a column of a statement of its own).
OPEN_OF_COMPANY = exists().where(WcSession.company_id == bindparam("company_id"), WcSession.state == _OPEN)
# A call's session and its company, and whether the company has a webhook endpoint (`outbox.ANY_ENDPOINT`).
SESSION_AND_COMPANY = (
    select(WcSession, Company, outbox.ANY_ENDPOINT)
    .outerjoin(Company, Company.id == WcSession.company_id)
    .where(WcSession.ticket == bindparam("ticket"))
    .with_for_update(of=WcSession)
)


# getLastError's read: what it answers from and its company's name, in columns (no objects), the row locked.
_LAST_ERROR = (
    select(WcSession.id, WcSession.state, WcSession.last_error, WcSession.last_seen_at, Company.slug)
    .outerjoin(Company, Company.id == WcSession.company_id)
    .where(WcSession.ticket == bindparam("ticket"))
    .with_for_update(of=WcSession.__table__)
)
_UPDATE_ROW = update(WcSession).where(WcSession.id == bindparam("row_id"))
_INSERT_ROW = insert(WcSession)
_LOCK_ROW = select(WcSession.state).where(WcSession.id == bindparam("row_id")).with_for_update()


class SessionRow:
    """A Web Connector session's row during one call, written with one UPDATE when the call ends.

    The row is taken out of the ORM session, so its changes (last seen, counters, version, error text) are not
    flushed piecemeal at every savepoint and query; `write` sends what changed. The sync engine's work runs in
    `guarded`: when it fails, the call's transaction is rolled back and the row's values go back to what they were
    before the engine ran.
    """

    _COLUMNS = tuple(attr.key for attr in inspect(WcSession).column_attrs)

    def __init__(self, db: Session, wc: WcSession, *, seen: bool = False) -> None:
        self.db = db
        self.wc = wc
        db.expunge(wc)
        self.read = self._values()
        self.written = dict(self.read)
        self.ended_elsewhere = False
        if seen:
            wc.last_seen_at = clock.now()

    def __enter__(self) -> SessionRow:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        if kind is None:  # a failure rolls the whole transaction back: nothing to write
            self.write()

    def write(self) -> None:
        """Write what changed in the row since it was read or last written (one UPDATE, or none)."""
        changes = {key: value for key, value in self._values().items() if value != self.written[key]}
        if changes and not self.ended_elsewhere:
            # A Core UPDATE built once: its SET clause is the keys given (compiled once per set of columns).
            self.db.connection().execute(_UPDATE_ROW, {**changes, "row_id": self.wc.id})
            self.written.update(changes)

    @contextmanager
    def guarded(self) -> Iterator[None]:
        """Run a block; when it raises, roll back all the call wrote and undo the block's changes to the row.

        No savepoint (two statements more in every call): a failure is rare, and then the whole transaction goes and
        the row is locked again, so that what the call notes after the failure (last seen, the error text) is still
        written at its end, unless another process ended the session meanwhile.
        """
        before = self._values()
        try:
            yield
        except BaseException:
            self.db.rollback()
            for key, value in before.items():
                setattr(self.wc, key, value)
            self.written = dict(self.read)  # nothing the call wrote was kept
            state = self.db.execute(_LOCK_ROW, {"row_id": self.wc.id}).scalar()
            self.ended_elsewhere = state != self.read["state"]
            raise

    def _values(self) -> dict[str, Any]:
        return {key: getattr(self.wc, key) for key in self._COLUMNS}


def add_row(db: Session, company_id: int, state: SessionState, **values: Any) -> str:
    """Insert a session row for the company (one Core INSERT, no object: authenticate needs only its ticket).

    The columns' own defaults fill what `values` leaves out, as they would for an object; returns the new ticket.
    """
    ticket = secrets.token_urlsafe(32)
    db.connection().execute(_INSERT_ROW, {"ticket": ticket, "company_id": company_id, "state": state, **values})
    return ticket


def last_error_row(db: Session, ticket: str) -> Row[int, SessionState, str | None, datetime, str] | None:
    """Return the ticket's session as (id, state, last_error, last_seen_at, company slug), locked, or None."""
    return db.connection().execute(_LAST_ERROR, {"ticket": ticket}).first()


def seen_now(db: Session, row_id: int) -> None:
    """Note that the Web Connector called on the session now (one UPDATE, for a session read in columns)."""
    db.connection().execute(_UPDATE_ROW, {"last_seen_at": clock.now(), "row_id": row_id})


def quiet_for(wc: WcSession) -> timedelta:
    """How long the Web Connector has not called on this session (nothing yet for one never seen)."""
    return quiet_since(wc.last_seen_at)


def quiet_since(last_seen_at: datetime | None) -> timedelta:
    """How long since `last_seen_at` (nothing for a session never seen)."""
    return clock.now() - (clock.aware(last_seen_at) or clock.now())


def summarize(wc: WcSession) -> str:
    """Return the closeConnection text built from the session's counters, such as "Synced 12, 1 error"."""
    imported = wc.imported or 0
    if not (wc.succeeded or wc.failed or wc.requests_sent or imported):
        return NOTHING_SUMMARY
    parts = [f"Imported {imported:,} from QuickBooks"] if imported else []
    if wc.succeeded or wc.failed or not imported:
        synced = f"Synced {wc.succeeded}"
        if wc.failed:
            synced += f", {wc.failed} error" + ("s" if wc.failed != 1 else "")
        parts.append(synced if not parts else synced[0].lower() + synced[1:])
    return "; ".join(parts)
