"""A company's connection status in one place, so the page and the REST API always tell the same story."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.models import Company, SessionState, WcSession
from qbwc_server.sync import queue

NEVER_CONNECTED = "never_connected"
CONNECTED = "connected"
SYNCING = "syncing"
ERROR = "error"
PAUSED = "paused"

LABELS = {
    NEVER_CONNECTED: "Never connected",
    CONNECTED: "Connected",
    SYNCING: "Syncing",
    ERROR: "Error",
    PAUSED: "Paused",
}

RECENT_SESSIONS = 5
SESSION_TIMEOUT = timedelta(minutes=30)


@dataclass(frozen=True)
class SessionSummary:
    """One Web Connector session as the dashboard lists it."""

    started_at: datetime
    ended_at: datetime | None
    state: str
    requests_sent: int
    succeeded: int
    failed: int
    summary: str
    error: str | None


@dataclass(frozen=True)
class CompanyStatus:
    """What a bookkeeper needs to know at a glance: the light, the last check-in, what waits and what failed."""

    state: str
    label: str
    explanation: str
    last_checkin_at: datetime | None
    stale: bool
    stale_after_minutes: int
    qb_product: str | None
    qb_version: str | None
    qb_company_name: str | None
    wrong_file_message: str | None
    counts: dict[str, int]
    sessions: list[SessionSummary] = field(default_factory=list)

    @property
    def needs_attention(self) -> int:
        """Return how many records wait for a person (in error or blocked behind one)."""
        return self.counts.get("error", 0) + self.counts.get("blocked", 0)

    def as_dict(self) -> dict[str, object]:
        """Return the status as plain JSON-ready data."""
        return {
            "state": self.state,
            "label": self.label,
            "explanation": self.explanation,
            "last_checkin_at": _iso(self.last_checkin_at),
            "stale": self.stale,
            "quickbooks": {
                "product": self.qb_product,
                "version": self.qb_version,
                "company_name": self.qb_company_name,
            },
            "counts": dict(self.counts),
            "sessions": [
                {
                    "started_at": _iso(s.started_at),
                    "ended_at": _iso(s.ended_at),
                    "state": s.state,
                    "requests_sent": s.requests_sent,
                    "succeeded": s.succeeded,
                    "failed": s.failed,
                    "summary": s.summary,
                    "error": s.error,
                }
                for s in self.sessions
            ],
        }


def company_status(
    db: Session, company: Company, *, now: datetime | None = None, session_timeout: timedelta = SESSION_TIMEOUT
) -> CompanyStatus:
    """Work out a company's status from its check-ins, its sessions and its records' sync states."""
    now = now or clock.now()
    counts = queue.counts(db, company)
    rows = db.scalars(
        select(WcSession)
        .where(WcSession.company_id == company.id)
        .order_by(WcSession.created_at.desc(), WcSession.id.desc())
        .limit(RECENT_SESSIONS)
    ).all()
    sessions = [_summarise(row) for row in rows]
    last_checkin = clock.aware(company.last_checkin_at)
    every = max(int(company.run_every_minutes or 0), 1)
    stale_after = 2 * every
    stale = last_checkin is not None and now - last_checkin > timedelta(minutes=stale_after)
    latest = rows[0] if rows else None
    last_failed = latest is not None and latest.state is SessionState.FAILED
    in_error = counts.get("error", 0) + counts.get("blocked", 0)
    in_flight = counts.get("queued", 0) + counts.get("sent", 0)
    # A session seen lately that has not closed: the Web Connector is working right now.
    running = (
        latest is not None
        and latest.state is SessionState.OPEN
        and now - clock.aware(latest.last_seen_at) < session_timeout
    )

    if company.paused:
        state, why = PAUSED, "Sync is paused: nothing is sent to QuickBooks until someone resumes it."
    elif last_checkin is None and latest is None:
        state, why = NEVER_CONNECTED, "The Web Connector has not checked in yet. Add the .qwc file to it to connect."
    elif in_error or last_failed:
        if in_error:
            why = f"{in_error} record{'s' if in_error != 1 else ''} did not sync and "
            why += f"need{'s' if in_error == 1 else ''} a look."
        else:
            why = f"The last Web Connector session failed: {latest.last_error or 'no reason given'}"  # type: ignore[union-attr]
        state = ERROR
    elif in_flight:
        state = SYNCING
        why = f"{in_flight} record{'s are' if in_flight != 1 else ' is'} waiting to go to QuickBooks."
    elif running:
        state, why = SYNCING, "The Web Connector is working with QuickBooks right now."
    else:
        state, why = CONNECTED, "QuickBooks is connected and everything queued has synced."
    if company.wrong_file_message and state != PAUSED:
        state, why = ERROR, company.wrong_file_message

    return CompanyStatus(
        state=state,
        label=LABELS[state],
        explanation=why,
        last_checkin_at=last_checkin,
        stale=stale,
        stale_after_minutes=stale_after,
        qb_product=company.qb_product,
        qb_version=company.qb_version,
        qb_company_name=company.qb_company_name,
        wrong_file_message=company.wrong_file_message,
        counts=counts,
        sessions=sessions,
    )


def _summarise(row: WcSession) -> SessionSummary:
    summary = row.summary or (
        f"{row.requests_sent} request{'s' if row.requests_sent != 1 else ''} sent, "
        f"{row.succeeded} synced, {row.failed} failed"
    )
    return SessionSummary(
        started_at=clock.aware(row.created_at),
        ended_at=clock.aware(row.closed_at),
        state=row.state.value,
        requests_sent=row.requests_sent,
        succeeded=row.succeeded,
        failed=row.failed,
        summary=summary,
        error=row.last_error,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
