"""The sync engine's import hook: send the next page query of the active import and file its answer.

One import request goes per round trip, with request IDs "imp-<run id>-<n>". Paging uses QuickBooks iterators
where the query has them. An iterator dies with its session, so the run's cursor remembers where the data
stopped: the newest TimeModified seen (QuickBooks answers in TimeModified order) and the ids seen at exactly
that time. The next session starts a new iterator from there, skipping those ids: no gaps and no duplicates.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbwc_server.company_settings import effective
from qbwc_server.imports import runs
from qbwc_server.imports.kinds import KINDS, ImportKind
from qbwc_server.imports.mapping import Entry, map_ret
from qbwc_server.imports.reference_lists import parse_time
from qbwc_server.imports.store import Store
from qbwc_server.models import Company, ImportCursor, ImportRun, ImportStatus, RecordKind, WcSession
from qbwc_server.qbxml import parse
from qbwc_server.qbxml.errors import XmlError
from qbwc_server.sync.builders.lists import build_list_query

log = logging.getLogger(__name__)

RECORD_KINDS: dict[str, tuple[RecordKind, ...]] = {
    "customers": (RecordKind.CUSTOMER, RecordKind.JOB),
    "items": (RecordKind.ITEM,),
    "vendors": (RecordKind.VENDOR,),
    "invoices": (RecordKind.INVOICE,),
    "payments": (RecordKind.PAYMENT,),
}
NO_MATCH = (1,)  # "A query request did not find a matching object in QuickBooks"
MAX_FAILURES = 3


class ImportExtension:
    """Plug imports into `SyncEngine(settings, extensions=[ImportExtension()])`."""

    def __init__(self, chunk_size: int = 200) -> None:
        self.chunk_size = chunk_size
        self.timings: dict[str, float] = {"handle": 0.0}
        self.objects = 0

    # --- the four calls the engine makes -------------------------------------------------------------------

    def has_work(self, db: Session, company: Company) -> bool:
        """Tell whether the company has a queued or running import."""
        found = db.scalar(
            select(func.count())
            .select_from(ImportRun)
            .where(ImportRun.company_id == company.id, ImportRun.status.in_(runs.ACTIVE))
        )
        return bool(found)

    def begin_session(self, db: Session, company: Company, wc_session: WcSession) -> None:
        """Forget iterators and unanswered requests of earlier sessions: those runs resume from their cursor."""
        for run in runs.active_runs(db, company):
            cursor = _cursor(run)
            if run.iterator_ticket != wc_session.ticket:
                run.iterator_id = run.iterator_ticket = None
            if cursor.pending and cursor.pending_ticket != wc_session.ticket:
                cursor.pending = cursor.pending_ticket = None
                run.cursor = cursor

    def next_requests(self, db: Session, company: Company, wc_session: WcSession) -> list[str]:
        """Return the next import query (one at a time), or an empty list when no import is waiting."""
        active = runs.active_runs(db, company)
        if not active:
            return []
        run = active[0]
        kind = KINDS[run.kind]
        cursor = _cursor(run)
        if cursor.pending:
            # Asked again before an answer came: where that iterator stands is unknown, so start afresh.
            run.iterator_id = run.iterator_ticket = None
        continuing = kind.pages and run.iterator_id and run.iterator_ticket == wc_session.ticket
        if not continuing:
            _restart_point(run, cursor)
        number = cursor.n + 1
        request_id = f"imp-{run.id}-{number}"
        max_returned = int(effective(company.settings)["import_max_returned"])
        built = build_list_query(
            kind.name,
            request_id,
            iterator=("Continue" if continuing else "Start") if kind.pages else None,
            iterator_id=run.iterator_id if continuing else None,
            max_returned=max_returned if kind.pages else None,
            from_modified=_as_datetime(cursor.iter_from),
            active_status="All",
            include_line_items=kind.include_line_items,
        )
        cursor.n, cursor.pending, cursor.pending_ticket = number, request_id, wc_session.ticket
        cursor.continuing = bool(continuing)
        run.cursor = cursor
        runs.mark_running(run)
        log.debug("import %s: %s %s", run.id, built.rq_type, "continue" if continuing else "start")
        return [built.xml]

    def handle(
        self, db: Session, company: Company, wc_session: WcSession, response: str, hresult: str, message: str
    ) -> int | None:
        """File the answer to our import query; None when the answer was not for an import."""
        run = self._in_flight(db, company, wc_session)
        if run is None:
            return None
        started = time.perf_counter()
        cursor = _cursor(run)
        request_id = cursor.pending
        cursor.pending = cursor.pending_ticket = None
        run.cursor = cursor
        if hresult or not (response or "").strip():
            text = f"QuickBooks could not run the import query ({hresult or 'no response'}): {message or 'no message'}"
            self._failed_attempt(run, text, give_up=True)
        else:
            seen_before = run.seen
            try:
                self._file(db, company, wc_session, run, str(request_id), response)
            except XmlError as exc:
                self._failed_attempt(run, f"QuickBooks' answer could not be read: {exc}", give_up=True)
            wc_session.imported = (wc_session.imported or 0) + max(0, run.seen - seen_before)
        self.timings["handle"] += time.perf_counter() - started
        return self.progress(db, company, wc_session)

    # --- progress ------------------------------------------------------------------------------------------

    def progress(self, db: Session, company: Company, wc_session: WcSession) -> int:
        """Return 100 when every import is done, else how far this session's imports are (0-99)."""
        active = runs.active_runs(db, company)
        if not active:
            return 100
        finished_here = db.scalar(
            select(func.count())
            .select_from(ImportRun)
            .where(
                ImportRun.company_id == company.id,
                ImportRun.status.not_in(runs.ACTIVE),
                ImportRun.finished_at >= wc_session.created_at,
            )
        )
        finished = int(finished_here or 0)
        fraction = runs.percent(active[0]) / 100
        return max(0, min(99, int(100 * (finished + fraction) / (finished + len(active)))))

    # --- internals -----------------------------------------------------------------------------------------

    def _in_flight(self, db: Session, company: Company, wc_session: WcSession) -> ImportRun | None:
        for run in runs.active_runs(db, company):
            cursor = run.cursor
            if cursor is not None and cursor.pending and cursor.pending_ticket == wc_session.ticket:
                return run
        return None

    def _file(
        self, db: Session, company: Company, wc_session: WcSession, run: ImportRun, request_id: str, response: str
    ) -> None:
        """Stream the answer: map and store its objects a chunk at a time, then move the run along."""
        kind = KINDS[run.kind]
        cursor = _cursor(run)
        tracker = _Tracker(cursor)
        store = Store(db, company, RECORD_KINDS.get(kind.name, ()), ticket=wc_session.ticket)
        chunk: list[Entry] = []
        header: parse.RsHeader | None = None
        for rs_header, ret in parse.iter_response(response):
            if rs_header.request_id != request_id:
                continue
            header = rs_header
            if ret is None or rs_header.status_code != 0:
                continue
            try:
                entry = map_ret(kind.name, ret)
            except ValueError as exc:
                log.warning("import %s: skipped an object QuickBooks returned: %s", run.id, exc)
                continue
            if tracker.take(entry):
                chunk.append(entry)
            if len(chunk) >= self.chunk_size:
                self._store(run, store, chunk)
                chunk = []
        if chunk:
            self._store(run, store, chunk)
        tracker.save(cursor)
        run.cursor = cursor
        if header is None:
            self._failed_attempt(run, "QuickBooks' answer did not include the import query.", give_up=False)
        elif header.status_code in NO_MATCH and cursor.continuing and (run.remaining or 0) > 0:
            # QuickBooks said the rest is gone: the iterator ended early, so start a new one where the data stopped.
            self._failed_attempt(run, f"QuickBooks ended the iterator early: {header.message}", give_up=False)
        elif header.status_code in NO_MATCH or (header.status_code == 0 and not _more(kind, header)):
            self._done(db, company, run)
        elif header.status_code == 0:
            run.iterator_id = header.iterator_id
            run.iterator_ticket = wc_session.ticket
            run.remaining = header.iterator_remaining
            cursor.failures = 0
            run.cursor = cursor
        else:
            # An iterator QuickBooks no longer knows, or a refused query (perhaps busy): ask again a few times.
            text = f"QuickBooks answered {header.status_code}: {header.message}"
            self._failed_attempt(run, text, give_up=False)

    def _store(self, run: ImportRun, store: Store, chunk: list[Entry]) -> None:
        counts = store.apply(chunk)
        run.seen += counts.seen
        run.created += counts.created
        run.updated += counts.updated
        self.objects += counts.seen

    def _done(self, db: Session, company: Company, run: ImportRun) -> None:
        cursor = _cursor(run)
        newest = cursor.max_seen
        runs.advance_watermark(db, company, run.kind, parse_time(newest))
        when = parse_time(newest)
        offset = when.utcoffset() if when is not None else None
        if offset is not None:
            cursor.tz = _offset_text(offset)  # QuickBooks' local offset, for the next run's filter
        run.cursor = cursor
        runs.finish(run, ImportStatus.DONE)
        log.info(
            "import %s of %s for %s done: %s seen, %s new, %s updated",
            run.id,
            run.kind,
            company.slug,
            run.seen,
            run.created,
            run.updated,
        )

    def _failed_attempt(self, run: ImportRun, text: str, *, give_up: bool) -> None:
        """Drop the iterator; fail the run after repeated trouble (or at once when retrying cannot help)."""
        cursor = _cursor(run)
        cursor.failures += 1
        failures = cursor.failures
        cursor.last_error = text
        run.cursor = cursor
        run.iterator_id = run.iterator_ticket = None
        log.warning("import %s of %s: %s", run.id, run.kind, text)
        if give_up or failures >= MAX_FAILURES:
            runs.finish(run, ImportStatus.FAILED, error=text)


class _Tracker:
    """Follow the TimeModified order of an answer: the newest time seen, the ids at that time, and the skips."""

    def __init__(self, cursor: ImportCursor) -> None:
        self.skip = set(cursor.skip)
        self.skip_at = _as_datetime(cursor.iter_from)
        self.frontier_text: str | None = cursor.frontier
        self.frontier = _as_datetime(self.frontier_text)
        self.frontier_ids: list[str] = list(cursor.frontier_ids)
        self.last = _as_datetime(cursor.last)
        self.last_text = cursor.last
        self.ordered = cursor.ordered
        self.max_text: str | None = cursor.max_seen
        self.max_seen = _as_datetime(self.max_text)

    def take(self, entry: Entry) -> bool:
        """Tell whether to store the entry (False for one already stored before a session ended)."""
        when = parse_time(entry.time_modified)
        if when is None:
            self.ordered = False
            return True
        if entry.qb_id in self.skip and self.skip_at is not None and when <= self.skip_at:
            return False
        if self.last is not None and when < self.last:
            self.ordered = False
        self.last, self.last_text = when, entry.time_modified
        if self.frontier is None or when > self.frontier:
            self.frontier, self.frontier_text, self.frontier_ids = when, entry.time_modified, [entry.qb_id]
        elif when == self.frontier:
            self.frontier_ids.append(entry.qb_id)
        if self.max_seen is None or when > self.max_seen:
            self.max_seen, self.max_text = when, entry.time_modified
        return True

    def save(self, cursor: ImportCursor) -> None:
        cursor.frontier, cursor.frontier_ids, cursor.last = self.frontier_text, self.frontier_ids, self.last_text
        cursor.ordered, cursor.max_seen = self.ordered, self.max_text


def _restart_point(run: ImportRun, cursor: ImportCursor) -> None:
    """Choose where a new iterator (or a plain query) starts: where the data stopped, else the run's start."""
    if cursor.frontier and cursor.ordered:
        cursor.iter_from = cursor.frontier
        cursor.skip = list(cursor.frontier_ids)
        cursor.last = cursor.frontier
        return
    start = run.from_modified
    if start is not None:
        offset = _parse_offset(cursor.tz)
        start = start.astimezone(timezone(offset)) if offset is not None else start
    cursor.iter_from = start.isoformat() if start is not None else None
    cursor.skip = []
    cursor.last = None


def _cursor(run: ImportRun) -> ImportCursor:
    """Return a copy of the run's cursor to change and assign back."""
    return run.cursor.copy() if run.cursor is not None else ImportCursor()


def _more(kind: ImportKind, header: parse.RsHeader) -> bool:
    return kind.pages and bool(header.iterator_id) and (header.iterator_remaining or 0) > 0


def _as_datetime(text: str | None) -> datetime | None:
    return parse_time(text) if text else None


def _parse_offset(text: str | None) -> timedelta | None:
    if not text:
        return None
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    try:
        return sign * timedelta(hours=int(hours), minutes=int(minutes or 0))
    except ValueError:
        return None


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
