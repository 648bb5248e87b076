"""The import page step: one page of an import run is one queue item (action IMPORT), sent and answered like any other.

Each page goes alone in its message set and its answer is streamed, so a page of thousands of objects never sits in
memory as a tree. Its request ID is "imp-<run id>-<n>". Paging uses QuickBooks iterators where the query has them.
An iterator dies with its session, so the run's cursor remembers where the data stopped: the newest TimeModified
seen (QuickBooks answers in TimeModified order) and the ids seen at exactly that time. A page rendered in another
session starts a new iterator from there, skipping those ids: no gaps and no duplicates.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import ClassVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbwc_server.company_settings import effective
from qbwc_server.imports import deletions, runs
from qbwc_server.imports.frontier import Tracker, as_datetime, parse_offset, restart_point
from qbwc_server.imports.kinds import KINDS, ImportKind
from qbwc_server.imports.mapping import Entry, deleted, map_ret
from qbwc_server.imports.reference_lists import parse_time
from qbwc_server.imports.store import Store
from qbwc_server.models import (
    Company,
    ImportCursor,
    ImportRun,
    ImportStatus,
    QueueAction,
    QueueItem,
    Record,
    RecordKind,
    WcSession,
)
from qbwc_server.qbxml.parse import Answer
from qbwc_server.sync import lifecycle
from qbwc_server.sync.builders.lists import build_deleted_query, build_list_query
from qbwc_server.sync.lifecycle import ItemEvent
from qbwc_server.sync.outgoing import Outgoing
from qbwc_server.sync.planned import Queued, Renderable, item_entity
from qbwc_server.sync.steps import Answering, Drafting, Result, Transition

log = logging.getLogger(__name__)

RECORD_KINDS: dict[str, tuple[RecordKind, ...]] = {
    "customers": (RecordKind.CUSTOMER, RecordKind.JOB),
    "items": (RecordKind.ITEM,),
    "vendors": (RecordKind.VENDOR,),
    "invoices": (RecordKind.INVOICE,),
    "payments": (RecordKind.PAYMENT,),
    "bills": (RecordKind.BILL,),
}

NO_MATCH = (1,)  # "A query request did not find a matching object in QuickBooks"
MAX_FAILURES = 3
CHUNK = 200  # objects mapped and stored together


class ImportPageStep:
    """Ask QuickBooks for the next page of an import run, and file the page it answers."""

    action: ClassVar[QueueAction] = QueueAction.IMPORT

    def __init__(self, chunk_size: int = CHUNK) -> None:
        self.chunk_size = chunk_size

    def render(self, ctx: Drafting, item: Queued, record: Renderable | None) -> Outgoing | None:
        """Return the query for the run's next page: the iterator's next one, or a new iterator from the cursor."""
        item = item_entity(ctx.db, item)  # the page's item is written to (the planner hands it over as itself)
        run = ctx.db.get(ImportRun, item.import_id) if item.import_id is not None else None
        if run is None or run.status not in runs.ACTIVE:
            # Its run ended without it (cancelled, or removed): nobody needs the page any more.
            lifecycle.move_item(item, ItemEvent.CANCEL)
            return None
        kind = KINDS[run.kind]
        cursor = _cursor(run)
        if cursor.pending:
            # Asked again before an answer came: where that iterator stands is unknown, so start afresh.
            run.iterator_id = run.iterator_ticket = None
            if cursor.pending_ticket == ctx.ticket:
                # This session's last answer did not include the query (a lost answer of an earlier session does
                # not count: the Web Connector or the network lost it, not QuickBooks).
                cursor.pending = cursor.pending_ticket = None
                run.cursor = cursor
                _failed_attempt(run, "QuickBooks' answer did not include the import query.", give_up=False)
                if run.status not in runs.ACTIVE:
                    lifecycle.move_item(item, ItemEvent.FAIL, error=run.error)
                    return None
                cursor = _cursor(run)
        continuing = kind.pages and run.iterator_id and run.iterator_ticket == ctx.ticket
        if not continuing:
            restart_point(ctx.db, run, cursor)
        number = cursor.n + 1
        request_id = f"imp-{run.id}-{number}"
        max_returned = int(effective(ctx.company.settings)["import_max_returned"])
        if cursor.deletions:
            built = build_deleted_query(
                request_id,
                kind.deleted_types,
                transactions=kind.is_transaction,
                from_deleted=_in_quickbooks_zone(as_datetime(cursor.deleted_since), cursor),
            )
        else:
            built = build_list_query(
                kind.name,
                request_id,
                iterator=("Continue" if continuing else "Start") if kind.pages else None,
                iterator_id=run.iterator_id if continuing else None,
                max_returned=max_returned if kind.pages else None,
                from_modified=as_datetime(cursor.iter_from),
                active_status="All",
                include_line_items=kind.include_line_items,
            )
        cursor.n, cursor.pending, cursor.pending_ticket = number, request_id, ctx.ticket
        cursor.continuing = bool(continuing)
        run.cursor = cursor
        runs.mark_running(run)
        log.debug("import %s: %s %s", run.id, built.rq_type, "continue" if continuing else "start")
        # The answer carries the run's request ID, not the item's: the item finds it as its group's.
        return Outgoing(item, None, built, is_add=False, group=request_id)

    def flush(self, ctx: Drafting) -> list[Outgoing]:
        """Return nothing: every page is rendered on its own."""
        return []

    def handle(self, ctx: Answering, item: QueueItem, record: Record | None, rs: Answer) -> Transition:
        """Stream the page into the records, then say whether the run goes on (again), is done, or failed."""
        run = _run_of(ctx.db, item)
        seen_before = _count(run)
        cursor = _cursor(run)
        cursor.pending = cursor.pending_ticket = None
        # The page is checked as it is read: a page refused part-way raises (XmlError) out of the answer's filing,
        # whose savepoint takes back the chunks stored before, as if the page had been refused before reading.
        self._file(ctx, run, rs, cursor)
        return _after(run, imported=max(0, _count(run) - seen_before))

    def refused(self, ctx: Answering, item: QueueItem, record: Record | None, hresult: str, message: str) -> Transition:
        """Fail the run: QuickBooks could not run the query, and asking the same again will not help."""
        run = _run_of(ctx.db, item)
        cursor = _cursor(run)
        cursor.pending = cursor.pending_ticket = None
        run.cursor = cursor
        text = f"QuickBooks could not run the import query ({hresult or 'no response'}): {message or 'no message'}"
        _failed_attempt(run, text, give_up=True)
        return _after(run, imported=0)

    def progress(self, db: Session, company: Company, wc_session: WcSession) -> int | None:
        """Return how far this session's imports are (0-99), or None when no import is queued or running."""
        active = runs.active_runs(db, company)
        if not active:
            return None
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

    # --- filing a page -------------------------------------------------------------------------------------

    def _file(self, ctx: Answering, run: ImportRun, rs: Answer, cursor: ImportCursor) -> None:
        """Stream the answer: map and store its objects a chunk at a time, then move the run along.

        The run's cursor (`cursor`, its answer no longer pending) is written back once the page is filed.
        """
        kind = KINDS[run.kind]
        if cursor.deletions:
            run.cursor = cursor
            self._file_deletions(ctx, run, rs)
            return
        tracker = Tracker(ctx.db, run.id, cursor)
        store = Store(ctx.db, ctx.company, RECORD_KINDS.get(kind.name, ()), ticket=ctx.ticket)
        chunk: list[Entry] = []
        rets = rs.stream()  # taken before the status is read: the page is checked in the pass that reads it
        taking = rs.status_code == 0
        for ret in rets:
            if not taking:
                continue  # read to the end all the same, for the check
            try:
                entry = map_ret(kind.name, ret)
            except ValueError as exc:
                log.warning("import %s: skipped an object QuickBooks returned: %s", run.id, exc)
                continue
            chunk.append(entry)
            if len(chunk) >= self.chunk_size:
                _store(run, store, tracker.take_all(chunk))
                chunk = []
        _store(run, store, tracker.take_all(chunk))
        tracker.save(cursor)
        run.cursor = cursor
        if rs.status_code in NO_MATCH and cursor.continuing and (run.remaining or 0) > 0:
            # QuickBooks said the rest is gone: the iterator ended early, so start a new one where the data stopped.
            _failed_attempt(run, f"QuickBooks ended the iterator early: {rs.message}", give_up=False)
        elif rs.status_code in NO_MATCH or (rs.status_code == 0 and not _more(kind, rs)):
            ask, since = runs.deletions_since(ctx.db, ctx.company, kind, RECORD_KINDS.get(kind.name, ()))
            if ask:
                # The data is filed; the last page asks which entries of the kind QuickBooks deleted since the last run.
                cursor = _cursor(run)  # a fresh copy: the question above flushed the one assigned before
                cursor.deletions, cursor.failures = True, 0
                cursor.deleted_since = since.isoformat() if since is not None else None
                run.iterator_id = run.iterator_ticket = None
                run.cursor = cursor
            else:
                _done(ctx.db, ctx.company, run)
        elif rs.status_code == 0:
            run.iterator_id = rs.iterator_id
            run.iterator_ticket = ctx.ticket
            run.remaining = rs.iterator_remaining
            cursor.failures = 0
            run.cursor = cursor
        else:
            # An iterator QuickBooks no longer knows, or a refused query (perhaps busy): ask again a few times.
            _failed_attempt(run, f"QuickBooks answered {rs.status_code}: {rs.message}", give_up=False)

    def _file_deletions(self, ctx: Answering, run: ImportRun, rs: Answer) -> None:
        """File the answer to the run's deletions page: linked records whose entry is gone are marked, then done."""
        rets = rs.stream()  # taken before the status is read: the page is checked in the pass that reads it
        if rs.status_code not in (0, *NO_MATCH):
            for _ in rets:
                pass  # read to the end all the same, for the check
            _failed_attempt(run, f"QuickBooks answered {rs.status_code}: {rs.message}", give_up=False)
            return
        marker = deletions.Deletions(ctx.db, ctx.company, ticket=ctx.ticket)
        chunk: list[Entry] = []
        taking = rs.status_code == 0
        for ret in rets:
            if not taking:
                continue
            try:
                chunk.append(deleted(ret))
            except ValueError as exc:
                log.warning("import %s: skipped a deletion QuickBooks returned: %s", run.id, exc)
                continue
            if len(chunk) >= self.chunk_size:
                run.deleted += marker.apply(chunk).updated
                chunk = []
        if chunk:
            run.deleted += marker.apply(chunk).updated
        _done(ctx.db, ctx.company, run)


def _in_quickbooks_zone(when: datetime | None, cursor: ImportCursor) -> datetime | None:
    """Return a time in QuickBooks' own UTC offset (as its last answers wrote times), for its filters."""
    if when is None:
        return None
    offset = parse_offset(cursor.tz)
    return when.astimezone(timezone(offset)) if offset is not None else when


def _count(run: ImportRun) -> int:
    """Return what a run brought so far: objects read, or for a scheduled run only what changed (it re-reads an
    hour of overlap each time, which is no news to the session's summary)."""
    if run.scheduled:
        return (run.created or 0) + (run.updated or 0) + (run.deleted or 0)
    return run.seen or 0


def _run_of(db: Session, item: QueueItem) -> ImportRun:
    run = db.get(ImportRun, item.import_id) if item.import_id is not None else None
    assert run is not None, "an import page's item belongs to a run"
    return run


def _after(run: ImportRun, *, imported: int) -> Transition:
    """Return the page item's transition: the run's next page, or the end of the run."""
    if run.status is ImportStatus.DONE:
        return Transition(Result.DONE, imported=imported)
    if run.status in runs.ACTIVE:
        return Transition(Result.AGAIN, imported=imported)
    return Transition(Result.FAILED, item_error=run.error, imported=imported)


def _store(run: ImportRun, store: Store, chunk: list[Entry]) -> None:
    if not chunk:
        return
    counts = store.apply(chunk)
    run.seen += counts.seen
    run.created += counts.created
    run.updated += counts.updated


def _done(db: Session, company: Company, run: ImportRun) -> None:
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


def _failed_attempt(run: ImportRun, text: str, *, give_up: bool) -> None:
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


def _cursor(run: ImportRun) -> ImportCursor:
    """Return a copy of the run's cursor to change and assign back."""
    return run.cursor.copy() if run.cursor is not None else ImportCursor()


def _more(kind: ImportKind, header: Answer) -> bool:
    return kind.pages and bool(header.iterator_id) and (header.iterator_remaining or 0) > 0


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
