"""Import runs: queue, cancel and report them; the only code that changes an ImportRun's status.

At most one run per company and kind is active (queued or running). A new run starts from the kind's
watermark minus a safety overlap, so a repeated import only reads what changed since the last one. Each active
run has one open queue item of action IMPORT: the sync engine sends it once per page, through the import step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, object_session

from qbwc_server import clock
from qbwc_server.imports import frontier
from qbwc_server.imports.kinds import KINDS, ImportKind, parse_kinds
from qbwc_server.models import (
    Company,
    ImportCursor,
    ImportRun,
    ImportStatus,
    ImportWatermark,
    Origin,
    QueueAction,
    QueueItem,
    QueueStatus,
    Record,
    RecordKind,
    is_open,
)
from qbwc_server.sync import lifecycle
from qbwc_server.sync.lifecycle import ItemEvent
from qbwc_server.webhooks import outbox

log = logging.getLogger(__name__)

ACTIVE = (ImportStatus.QUEUED, ImportStatus.RUNNING)
# QuickBooks compares FromModifiedDate in local time and can be an hour off around daylight-saving changes.
SAFETY_OVERLAP = timedelta(hours=1)
# Import pages go before the records in the queue (whose priorities are 10 and up): subtracted from the kind's order.
PAGES_FIRST = 100
# Scheduled imports go after them, so records queued at any time never wait for one: added to the kind's order.
SCHEDULED_PAGES_LAST = 1000


@dataclass(frozen=True)
class RunStatus:
    """One run as the CLI, the API and the page show it."""

    id: int
    kind: str
    status: str
    seen: int
    created: int
    updated: int
    unchanged: int
    deleted: int  # linked records found deleted in QuickBooks
    scheduled: bool  # started on the company's schedule rather than by a person
    remaining: int | None
    percent: int
    incremental_from: str | None
    error: str | None
    created_at: str | None
    started_at: str | None
    finished_at: str | None

    def as_dict(self) -> dict[str, Any]:
        """Return the status as JSON-ready data."""
        return asdict(self)


def active_runs(db: Session, company: Company) -> list[ImportRun]:
    """Return the company's queued and running imports in the order they run (lists before transactions)."""
    rows = db.scalars(_ACTIVE_RUNS, {"company_id": company.id}).all()
    return sorted(rows, key=lambda run: (KINDS[run.kind].order if run.kind in KINDS else 99, run.id))


# Built once: every receiveResponseXML's progress asks it, and building the select cost more than running it.
_ACTIVE_RUNS = (
    select(ImportRun)
    .where(ImportRun.company_id == bindparam("company_id"), ImportRun.status.in_(ACTIVE))
    .order_by(ImportRun.id)
)


def start(
    db: Session, company: Company, kinds: Iterable[str], *, full: bool = False, scheduled: bool = False
) -> list[ImportRun]:
    """Queue an import of each kind (``all`` for every kind) for the next Web Connector session.

    A kind already queued or running keeps its run. ``full`` reads everything again instead of only what
    changed since the last import. ``scheduled`` runs come from the company's schedule, after the queue's records.
    """
    runs = []
    for kind in parse_kinds(kinds):
        existing = db.scalar(
            select(ImportRun).where(
                ImportRun.company_id == company.id, ImportRun.kind == kind.name, ImportRun.status.in_(ACTIVE)
            )
        )
        if existing is not None:
            if page_item(db, existing) is None:
                _queue_pages(db, existing)  # a run queued before its pages were queue items
            runs.append(existing)
            continue
        run = ImportRun(
            company_id=company.id,
            kind=kind.name,
            status=ImportStatus.QUEUED,
            from_modified=None if full else _incremental_start(db, company, kind),
            cursor=ImportCursor(tz=_last_offset(db, company, kind)),
            created_at=clock.now(),
            scheduled=scheduled,
        )
        db.add(run)
        db.flush()
        _queue_pages(db, run)
        log.info(
            "%s import of %s queued for %s (run %s)",
            "scheduled" if scheduled else "an",
            kind.name,
            company.slug,
            run.id,
        )
        runs.append(run)
    return runs


def cancel(db: Session, company: Company, kinds: Iterable[str] | None = None) -> list[ImportRun]:
    """Cancel the company's active imports (of the given kinds, or all); return the cancelled runs."""
    names = {kind.name for kind in parse_kinds(kinds)} if kinds else None
    cancelled = []
    for run in active_runs(db, company):
        if names is None or run.kind in names:
            finish(run, ImportStatus.CANCELLED, error="Cancelled.")
            item = page_item(db, run)
            if item is not None:
                lifecycle.move_item(item, ItemEvent.CANCEL)  # a page in flight: its late answer is nobody's
            cancelled.append(run)
    return cancelled


def page_item(db: Session, run: ImportRun) -> QueueItem | None:
    """Return the run's open queue item (ready for its next page, or sent), if any."""
    return db.scalar(select(QueueItem).where(QueueItem.import_id == run.id, is_open()))


def _queue_pages(db: Session, run: ImportRun) -> None:
    """Queue the run's item; imports go before the queue's records, lists before the transactions."""
    kind = KINDS[run.kind]
    db.add(
        QueueItem(
            company_id=run.company_id,
            import_id=run.id,
            action=QueueAction.IMPORT,
            status=QueueStatus.READY,
            priority=kind.order + SCHEDULED_PAGES_LAST if run.scheduled else kind.order - PAGES_FIRST,
        )
    )
    db.flush()


def status(db: Session, company: Company, *, limit: int = 50) -> list[RunStatus]:
    """Return the company's latest run of each kind plus any other active runs, newest first."""
    rows = db.scalars(
        select(ImportRun).where(ImportRun.company_id == company.id).order_by(ImportRun.id.desc()).limit(limit)
    ).all()
    latest: dict[str, ImportRun] = {}
    for run in rows:
        latest.setdefault(run.kind, run)
    return [describe(run) for run in sorted(latest.values(), key=lambda r: r.id, reverse=True)]


def describe(run: ImportRun) -> RunStatus:
    """Return one run's status with counts and an honest percentage."""
    return RunStatus(
        id=run.id,
        kind=run.kind,
        status=run.status.value,
        seen=run.seen,
        created=run.created,
        updated=run.updated,
        unchanged=max(0, run.seen - run.created - run.updated),
        deleted=run.deleted or 0,
        scheduled=bool(run.scheduled),
        remaining=run.remaining,
        percent=percent(run),
        incremental_from=_iso(run.from_modified),
        error=run.error,
        created_at=_iso(run.created_at),
        started_at=_iso(run.started_at),
        finished_at=_iso(run.finished_at),
    )


def percent(run: ImportRun) -> int:
    """Return how far a run is, 0-100, from the objects seen and QuickBooks' iteratorRemainingCount."""
    if run.status is ImportStatus.DONE:
        return 100
    if run.remaining is None or run.seen + run.remaining == 0:
        return 0
    return min(99, int(100 * run.seen / (run.seen + run.remaining)))


def mark_running(run: ImportRun) -> None:
    """Note that a run's first request is on its way."""
    if run.status is ImportStatus.QUEUED:
        run.status = ImportStatus.RUNNING
        run.started_at = clock.now()


def finish(run: ImportRun, status: ImportStatus, *, error: str | None = None) -> None:
    """Close a run as done, failed or cancelled; its iterator is forgotten."""
    run.status = status
    run.error = error
    run.iterator_id = None
    run.iterator_ticket = None
    run.finished_at = clock.now()
    if status is ImportStatus.DONE:
        run.remaining = 0
    db = object_session(run)
    if db is not None:
        frontier.forget(db, run.id)  # where its data stopped matters no more
    outbox.import_finished(run, describe(run).as_dict())


def advance_watermark(db: Session, company: Company, kind: str, through: datetime | None) -> None:
    """Remember the newest TimeModified imported for a kind, never moving it backwards."""
    if through is None:
        return
    through = through.astimezone(timezone.utc)  # SQLite keeps no offset: store UTC only
    mark = db.get(ImportWatermark, (company.id, kind))
    if mark is None:
        db.add(ImportWatermark(company_id=company.id, kind=kind, modified_through=through))
    elif clock.aware(mark.modified_through) < through:
        mark.modified_through = through


def deletions_since(
    db: Session, company: Company, kind: ImportKind, record_kinds: tuple[RecordKind, ...]
) -> tuple[bool, datetime | None]:
    """Return whether to ask QuickBooks what it deleted of a kind, and since when (None: all it remembers).

    Since the last run of the kind (its watermark, with the overlap); a kind never imported asks for every deletion
    only when records of ours are linked to QuickBooks entries of it (synced from the app), and not at all otherwise.
    """
    if not kind.deleted_types:
        return False, None
    since = _incremental_start(db, company, kind)
    if since is not None:
        return True, since
    linked = db.scalar(
        select(Record.id)
        .where(
            Record.company_id == company.id,
            Record.kind.in_(record_kinds),
            Record.qb_id.is_not(None),
            Record.origin == Origin.APP,
        )
        .limit(1)
    )
    return linked is not None, None


def _incremental_start(db: Session, company: Company, kind: ImportKind) -> datetime | None:
    mark = db.get(ImportWatermark, (company.id, kind.name))
    if mark is None:
        return None
    return clock.aware(mark.modified_through) - SAFETY_OVERLAP


def _last_offset(db: Session, company: Company, kind: ImportKind) -> str | None:
    """Return the UTC offset QuickBooks wrote its times in on the last finished run (its local zone)."""
    run = db.scalar(
        select(ImportRun)
        .where(ImportRun.company_id == company.id, ImportRun.kind == kind.name, ImportRun.status == ImportStatus.DONE)
        .order_by(ImportRun.id.desc())
        .limit(1)
    )
    return run.cursor.tz if run is not None and run.cursor is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
