"""The sync engine's face to the Web Connector conversation: what to send next, and what to do with answers."""

from __future__ import annotations

import logging
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbwc_server import queue, synclog
from qbwc_server.company_settings import effective
from qbwc_server.config import Settings
from qbwc_server.errors import CannotSync
from qbwc_server.hcp import too_old
from qbwc_server.models import (
    Company,
    LogEvent,
    QueueAction,
    QueueItem,
    QueueStatus,
    Record,
    RecordKind,
    SyncState,
    WcSession,
)
from qbwc_server.qbxml import parse, render, schema
from qbwc_server.sync import builders
from qbwc_server.sync.dependencies import prerequisites
from qbwc_server.sync.handlers import Outcome, handle
from qbwc_server.sync.outgoing import Outgoing, render_grouped_lookups
from qbwc_server.sync.outgoing import render as render_item
from qbwc_server.sync.planner import is_grouped_lookup, plan_batch
from qbwc_server.sync.policy import plain_error

log = logging.getLogger(__name__)


class SyncEngine:
    """Decide the work of one Web Connector session; `protocol` calls it, it knows nothing of SOAP."""

    def __init__(self, settings: Settings | None = None, extensions: list[object] | None = None) -> None:
        self.schema_dir = settings.qbxml_schema_dir if settings is not None else None
        # Other kinds of work (imports) plug in here: objects with has_work / next_requests / handle.
        self.extensions = list(extensions or [])
        self.timings: dict[str, float] = {"render": 0.0, "parse": 0.0, "validate": 0.0}

    def has_work(self, db: Session, company: Company) -> bool:
        """Tell whether the company has anything for QuickBooks now (authenticate answers `none` otherwise)."""
        if company.paused:
            return False
        if any(ext.has_work(db, company) for ext in self.extensions):  # type: ignore[attr-defined]
            return True
        in_flight = db.scalar(
            select(func.count())
            .select_from(QueueItem)
            .where(QueueItem.company_id == company.id, QueueItem.status == QueueStatus.SENT)
        )
        return bool(in_flight) or bool(plan_batch(db, company, 1, grouped_lookups=1))

    def begin_session(self, db: Session, company: Company, wc_session: WcSession) -> None:
        """Recover work that earlier sessions left in flight, before this session sends anything."""
        for item in queue.orphaned(db, company, wc_session.ticket):
            record = db.get(Record, item.record_id) if item.record_id else None
            was_add = bool((item.sent_info or {}).get("add"))
            if record is not None and (was_add or item.unknown_outcome):
                # QuickBooks may have applied it before the answer was lost: look before adding again.
                queue.back_to_ready(item, action=QueueAction.LOOKUP, unknown_outcome=True)
                synclog.append(
                    db,
                    record,
                    LogEvent.RETRIED,
                    "The Web Connector never reported QuickBooks' answer; checking QuickBooks before sending it again.",
                    ticket=wc_session.ticket,
                )
            else:
                queue.back_to_ready(item)
            if record is not None:
                queue.set_state(db, record, SyncState.QUEUED, error=None)
        for ext in self.extensions:
            ext.begin_session(db, company, wc_session)  # type: ignore[attr-defined]

    def next_request(self, db: Session, company: Company, wc_session: WcSession) -> str | None:
        """Return the next qbXML message set to send, or None when there is nothing."""
        if company.paused:
            return None
        version = wc_session.qbxml_version or company.qbxml_version_cap
        if too_old(version):
            raise CannotSync(
                f"This QuickBooks speaks qbXML {version}; qbwc-server needs qbXML 13.0 or newer (QuickBooks Desktop "
                "2014 or later). Nothing was sent: update QuickBooks to sync."
            )
        for ext in self.extensions:
            requests = ext.next_requests(db, company, wc_session)  # type: ignore[attr-defined]
            if requests:
                wc_session.requests_sent += len(requests)
                return render.message_set(requests, version, on_error="continueOnError")
        limit = int(effective(company.settings)["batch_size"])
        while True:
            outgoing = self._render_batch(db, company, limit)
            if not outgoing:
                return None
            outgoing = self._drop_invalid(db, outgoing, version)
            if outgoing:
                break
        sent = []
        for out in outgoing:
            previous = out.item.sent_info or {}
            info = {
                "rq_type": out.built.rq_type,
                "add": out.is_add,
                "version": out.record.version,
                "split": previous.get("split"),
                "group": out.group,
                # Which version an Add of unknown outcome carried, so a lookup that finds it knows if it is current.
                "add_version": previous.get("version") if out.item.unknown_outcome and previous.get("add") else None,
            }
            if queue.mark_sent(db, out.item, wc_session.ticket, info):
                sent.append(out)
        # Claim every item first, then change the records and logs: the changes go to the database in one flush.
        for out in sent:
            queue.set_state(db, out.record, SyncState.SENT, error=None)
            synclog.append(
                db,
                out.record,
                LogEvent.SENT,
                f"Sent to QuickBooks ({out.built.rq_type}).",
                rq_type=out.built.rq_type,
                request_xml=out.built.xml,
                ticket=wc_session.ticket,
            )
            for warning in out.built.warnings:
                synclog.append(db, out.record, LogEvent.WARNING, warning, ticket=wc_session.ticket)
        if not sent:
            return None
        # Only what this session claimed goes to QuickBooks: an item another session took is theirs to send.
        requests = _unique_requests(sent)
        wc_session.requests_sent += len(requests)
        return render.message_set(requests, version, on_error="continueOnError")

    def handle_response(
        self, db: Session, company: Company, wc_session: WcSession, response: str, hresult: str, message: str
    ) -> int:
        """Record QuickBooks' answer to the last message set; return progress 0-100 (100: nothing left)."""
        for ext in self.extensions:
            progress = ext.handle(db, company, wc_session, response, hresult, message)  # type: ignore[attr-defined]
            if progress is not None:
                return progress if progress < 100 or not self.has_work(db, company) else 99
        items = queue.in_flight(db, company, wc_session.ticket)
        outcome = Outcome()
        if hresult or not response.strip():
            self._whole_set_rejected(db, items, hresult, message, outcome)
        else:
            started = time.perf_counter()
            answers = {rs.request_id: rs for rs in parse.parse_response(response)}
            self.timings["parse"] += time.perf_counter() - started
            records = queue.records_of(db, items)
            for item in items:
                record = records.get(item.record_id) if item.record_id else None
                if record is None:
                    queue.finish(item, QueueStatus.CANCELLED)
                    continue
                answer = answers.get(str(item.id)) or answers.get((item.sent_info or {}).get("group"))
                handle(db, company, wc_session, item, record, answer, outcome)
        wc_session.succeeded += outcome.succeeded
        wc_session.failed += outcome.failed
        return self.progress(db, company, wc_session)

    def progress(self, db: Session, company: Company, wc_session: WcSession) -> int:
        """Return honest progress: 100 only when the company has nothing more to send now."""
        if not self.has_work(db, company):
            return 100
        remaining = db.scalar(
            select(func.count())
            .select_from(QueueItem)
            .where(QueueItem.company_id == company.id, QueueItem.status == QueueStatus.READY)
        )
        done = wc_session.succeeded + wc_session.failed
        total = done + (remaining or 0)
        return max(0, min(99, int(100 * done / total))) if total else 99

    def end_session(self, db: Session, wc_session: WcSession, reason: str) -> None:
        """Note that a session ended; its unanswered requests stay SENT and are reconciled by the next session."""
        log.info("session %s ended: %s", wc_session.ticket[:8], reason)

    # --- internals ---------------------------------------------------------------------------------------------

    def _render_batch(self, db: Session, company: Company, limit: int) -> list[Outgoing]:
        started = time.perf_counter()
        outgoing: list[Outgoing] = []
        predicted: dict = {}
        failed: set[tuple[RecordKind, str]] = set()
        lookups: list[tuple[QueueItem, Record]] = []
        for item, record in plan_batch(db, company, limit):
            if record is None:
                continue
            if is_grouped_lookup(item, record):
                lookups.append((item, record))
                continue
            if failed.intersection(prerequisites(record.kind, record.data or {})):
                continue  # its prerequisite cannot go: it waits, and shows why at the next planning
            try:
                outgoing.append(render_item(db, company, item, record, predicted))
            except builders.RecordProblem as problem:
                failed.add((record.kind, record.external_id))
                self._cannot_send(db, item, record, f"{problem.field}: {problem.message}")
        outgoing.extend(render_grouped_lookups(db, company, lookups))
        self.timings["render"] += time.perf_counter() - started
        return outgoing

    def _drop_invalid(self, db: Session, outgoing: list[Outgoing], version: str) -> list[Outgoing]:
        """Validate against Intuit's schema when it is configured; a request that fails never reaches QuickBooks."""
        if self.schema_dir is None:
            return outgoing
        started = time.perf_counter()
        if not schema.validate(render.message_set(_unique_requests(outgoing), version), version, self.schema_dir):
            self.timings["validate"] += time.perf_counter() - started
            return outgoing
        valid = []
        for out in outgoing:
            errors = schema.validate(render.message_set([out.built.xml], version), version, self.schema_dir)
            if errors:
                self._cannot_send(
                    db, out.item, out.record, "the request does not match QuickBooks' schema: " + errors[0]
                )
            else:
                valid.append(out)
        self.timings["validate"] += time.perf_counter() - started
        return valid

    def _cannot_send(self, db: Session, item: QueueItem, record: Record, message: str) -> None:
        queue.finish(item, QueueStatus.FAILED, error=message)
        error = {"status_code": None, "message": f"Cannot be sent to QuickBooks: {message}", "hint": _fix_hint(message)}
        queue.set_state(db, record, SyncState.ERROR, error=error)
        synclog.append(db, record, LogEvent.FAILED, error["message"])

    def _whole_set_rejected(
        self, db: Session, items: list[QueueItem], hresult: str, message: str, outcome: Outcome
    ) -> None:
        """QuickBooks refused the message set (e.g. 0x80040400): split it until the bad request is alone."""
        text = f"QuickBooks rejected the request ({hresult or 'no response'}): {message or 'no message'}"
        if len(items) == 1:
            item = items[0]
            record = db.get(Record, item.record_id) if item.record_id else None
            queue.finish(item, QueueStatus.FAILED, error=text)
            if record is not None:
                error = plain_error(None, text, record.kind.value)
                error["hint"] = "QuickBooks could not read this record's request; check its text fields and reprocess."
                queue.set_state(db, record, SyncState.ERROR, error=error)
                synclog.append(db, record, LogEvent.FAILED, text)
            outcome.failed += 1
            return
        half = max(1, (len(items) + 1) // 2)
        for item in items:
            info = dict(item.sent_info or {})
            info["split"] = half
            item.sent_info = info
            queue.back_to_ready(item, error=text)
            record = db.get(Record, item.record_id) if item.record_id else None
            if record is not None:
                queue.set_state(db, record, SyncState.QUEUED, error=None)
                synclog.append(db, record, LogEvent.RETRIED, f"{text}. Sending in smaller groups to find the cause.")


def _fix_hint(message: str) -> str:
    if "tax rate" in message.lower():
        return "Map the tax rate to a QuickBooks sales tax item in the settings, then reprocess."
    if "long" in message.lower():
        return "Shorten the field in your app (QuickBooks' limit is shown above), then reprocess."
    return "Correct the record in your app, then reprocess it."


def _unique_requests(outgoing: list[Outgoing]) -> list[str]:
    """Return each request once, in order (items of a grouped lookup share one request)."""
    seen: set[int] = set()
    requests = []
    for out in outgoing:
        if id(out.built) not in seen:
            seen.add(id(out.built))
            requests.append(out.built.xml)
    return requests
