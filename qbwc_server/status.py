"""A company's connection status in one place, so the page and the REST API always tell the same story."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.models import Company, SessionState, WcSession
from qbwc_server.sync import queue
from qbwc_server.webhooks import outbox
from qbwc_server.webhooks.events import EventType

NEVER_CONNECTED = "never_connected"
CONNECTED = "connected"
SYNCING = "syncing"
ERROR = "error"
PAUSED = "paused"
NOT_CHECKING_IN = "not_checking_in"

LABELS = {
    NEVER_CONNECTED: "Never connected",
    CONNECTED: "Connected",
    SYNCING: "Syncing",
    ERROR: "Error",
    PAUSED: "Paused",
    NOT_CHECKING_IN: "Not checking in",
}

RECENT_SESSIONS = 5
SESSION_TIMEOUT = timedelta(minutes=30)
# The Web Connector's schedule is a minimum, and a busy Windows machine runs late: three missed runs is an alarm.
MISSED_RUNS = 3


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
    last_good_session_at: datetime | None = None
    checks: list[str] = field(default_factory=list)

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
            "stale_after_minutes": self.stale_after_minutes,
            "last_good_session_at": _iso(self.last_good_session_at),
            "checks": list(self.checks),
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
    stale_after = stale_after_minutes(company)
    stale = is_stale(company, now)
    last_good = last_good_session_at(db, company)
    checks: list[str] = []
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
    elif stale:
        state = NOT_CHECKING_IN
        why = (
            f"The Web Connector has not started a session for {_duration(now - last_checkin)}"  # type: ignore[operator]
            f" though it should every {every} minute{'s' if every != 1 else ''}."
        )
        checks = what_to_check(last_good)
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
    if company.wrong_file_message and state not in (PAUSED, NOT_CHECKING_IN):
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
        last_good_session_at=last_good,
        checks=checks,
    )


def announce(db: Session, company: Company) -> None:
    """Tell the company's webhooks when its connection state is not the one last announced."""
    if outbox.wanted(db, company, EventType.CONNECTION_STATE_CHANGED):
        status = company_status(db, company)
        outbox.connection_changed(db, company, status.state, status.label, status.explanation, status.checks)


def quiet_state(company: Company) -> str:
    """Return the state `company_status` gives a company whose Web Connector is not checking in."""
    return PAUSED if company.paused else NOT_CHECKING_IN


def stale_after_minutes(company: Company) -> int:
    """Return after how many quiet minutes a company's Web Connector counts as not checking in."""
    return MISSED_RUNS * max(int(company.run_every_minutes or 0), 1)


def is_stale(company: Company, now: datetime) -> bool:
    """Tell whether no session has started for three of the company's scheduled runs."""
    # authenticate stamps last_checkin_at at every start, including the ones with nothing to do.
    last_checkin = clock.aware(company.last_checkin_at)
    return last_checkin is not None and now - last_checkin > timedelta(minutes=stale_after_minutes(company))


def last_good_session_at(db: Session, company: Company) -> datetime | None:
    """Return when the company's latest session that ended well started (a check-in with nothing to do counts)."""
    started = db.scalar(
        select(WcSession.created_at)
        .where(WcSession.company_id == company.id, WcSession.state == SessionState.CLOSED)
        .order_by(WcSession.created_at.desc())
        .limit(1)
    )
    return clock.aware(started)


def what_to_check(last_good: datetime | None) -> list[str]:
    """Return, in a bookkeeper's words, what usually stops a Web Connector from checking in."""
    when = f"{last_good:%Y-%m-%d %H:%M} UTC" if last_good is not None else "none yet"
    return [
        "Is the Windows computer with QuickBooks on, awake and online?",
        "Is QuickBooks open with this company file (or allowed to open it for the Web Connector)?",
        "Is the Web Connector running, with this company's application ticked for Auto-Run?",
        "Is the Web Connector's password for this company saved (it asks again after a Windows update or a reinstall)?",
        f"Last good session: {when}.",
    ]


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"


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
