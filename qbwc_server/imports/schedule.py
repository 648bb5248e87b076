"""Scheduled imports: a Web Connector session brings in what changed in QuickBooks, with nobody running a command.

Every `auto_import_every_minutes` (0: never) the kinds in `auto_import_kinds` that were imported before are imported
again incrementally — from the newest change the last run saw, or where an interrupted run's cursor stopped — once
the session has sent what the queue had. Their pages go after the records in the queue, so a record that arrives
meanwhile is never held up by them. A session older than the company's Web Connector interval starts none: the next
session will, so one session never runs on into the next one's time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.company_settings import effective
from qbwc_server.imports import runs
from qbwc_server.imports.kinds import KINDS
from qbwc_server.models import Company, ImportRun, ImportStatus, WcSession

log = logging.getLogger(__name__)

# Built once: a check-in with nothing queued, and the last sendRequestXML of every session, ask it.
_NEWEST_RUNS = (
    select(ImportRun.kind, ImportRun.status, func.max(ImportRun.created_at))
    .where(ImportRun.company_id == bindparam("company_id"), ImportRun.kind.in_(bindparam("kinds", expanding=True)))
    .group_by(ImportRun.kind, ImportRun.status)
)


def due_kinds(db: Session, company: Company) -> list[str]:
    """Return the kinds whose scheduled import is due now (imported once, not active, last run long enough ago)."""
    settings = effective(company.settings)
    every = int(settings.get("auto_import_every_minutes") or 0)
    if every <= 0 or company.paused:
        return []
    wanted = [kind for kind in settings.get("auto_import_kinds") or [] if kind in KINDS]
    if not wanted:
        return []
    # One grouped query (a check-in asks this every few minutes): per kind and status, the newest run.
    imported: set[str] = set()
    active: set[str] = set()
    latest: dict[str, datetime] = {}
    for kind, status, newest in db.execute(_NEWEST_RUNS, {"company_id": company.id, "kinds": wanted}):
        if status == ImportStatus.DONE:
            imported.add(kind)
        if status in runs.ACTIVE:
            active.add(kind)
        if newest is not None and (kind not in latest or newest > latest[kind]):
            latest[kind] = newest
    since = clock.now() - timedelta(minutes=every)
    due = []
    for kind in wanted:
        last = clock.aware(latest.get(kind))
        if kind in imported and kind not in active and (last is None or last <= since):
            due.append(kind)
    return due


class ScheduledImports:
    """The session hook that starts the due imports once the queue's record work is done."""

    def due(self, db: Session, company: Company) -> bool:
        """Tell whether a scheduled import is due (a session opens for it); reads only."""
        return bool(due_kinds(db, company))

    def start(self, db: Session, company: Company, wc_session: WcSession) -> bool:
        """Queue the due imports for this session, unless it has already run for the Web Connector's interval."""
        kinds = due_kinds(db, company)
        if not kinds:
            return False
        started = clock.aware(wc_session.created_at) or clock.now()
        if clock.now() - started > timedelta(minutes=max(1, company.run_every_minutes or 15)):
            log.info("scheduled imports for %s wait for the next session: this one ran long", company.slug)
            return False
        queued = runs.start(db, company, kinds, scheduled=True)
        log.info("scheduled imports for %s: %s", company.slug, ", ".join(run.kind for run in queued))
        return bool(queued)

    def closing_notes(self, db: Session, company: Company, wc_session: WcSession) -> list[str]:
        """Name the scheduled imports the session ran (or left for the next one) with what each brought."""
        rows = db.scalars(_SCHEDULED_RUNS, {"company_id": company.id, "since": wc_session.created_at}).all()
        if not rows:
            return []
        parts = [f"{KINDS[run.kind].label if run.kind in KINDS else run.kind} ({_outcome(run)})" for run in rows]
        return ["scheduled imports: " + ", ".join(parts)]


# The runs a closing session names, built once (every session's closeConnection asks).
_SCHEDULED_RUNS = (
    select(ImportRun)
    .where(
        ImportRun.company_id == bindparam("company_id"),
        ImportRun.scheduled.is_(True),
        or_(ImportRun.finished_at >= bindparam("since"), ImportRun.status.in_(runs.ACTIVE)),
    )
    .order_by(ImportRun.id)
)


def _outcome(run: ImportRun) -> str:
    if run.status is ImportStatus.FAILED:
        return "failed"
    if run.status is ImportStatus.CANCELLED:
        return "cancelled"
    if run.status in runs.ACTIVE:
        return "continues next session"
    found = [
        f"{count} {what}"
        for count, what in ((run.created, "new"), (run.updated, "updated"), (run.deleted, "deleted in QuickBooks"))
        if count
    ]
    return ", ".join(found) if found else "no changes"
