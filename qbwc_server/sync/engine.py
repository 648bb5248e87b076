"""The sync engine's face to the Web Connector conversation: what to send next, and what to do with answers.

Each queue item's action has one step (`sync.steps`): a record's send, lookup or refresh, or a page of an import. The
engine renders a batch through them, claims it, and hands each answer to the step of its item, whose transition
`sync.transitions` carries out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

from sqlalchemy import Exists, bindparam, func, select
from sqlalchemy.orm import Session

from qbwc_server import synclog
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
    WcSession,
)
from qbwc_server.qbxml import parse, render, schema
from qbwc_server.qbxml.answers import Answers
from qbwc_server.sync import builders, lifecycle, planner, policy, queue, references
from qbwc_server.sync.hooks import SessionHook
from qbwc_server.sync.lifecycle import Event, ItemEvent
from qbwc_server.sync.outgoing import Outgoing
from qbwc_server.sync.planned import Queued, Renderable, entity, item_entity
from qbwc_server.sync.steps import STEPS, Answering, Drafting, Step
from qbwc_server.sync.steps.base import RecordStep, ReferencesRead, refusal_text
from qbwc_server.sync.transitions import Outcome, again, apply, fail

log = logging.getLogger(__name__)


class SyncEngine:
    """Decide the work of one Web Connector session; `protocol` calls it, it knows nothing of SOAP."""

    def __init__(
        self,
        settings: Settings | None = None,
        steps: Mapping[QueueAction, Step] = STEPS,
        hooks: Sequence[SessionHook] = (),
    ) -> None:
        self.schema_dir = settings.qbxml_schema_dir if settings is not None else None
        self.steps = dict(steps)
        self.hooks = list(hooks)
        self.timings: dict[str, float] = {"render": 0.0, "parse": 0.0, "validate": 0.0}

    # --- questions: they read and change nothing ------------------------------------------------------------

    def has_work(
        self, db: Session, company: Company, *, plan: bool = False, asked: tuple[bool, bool] | None = None
    ) -> bool:
        """Tell whether the company has anything for QuickBooks now (authenticate answers `none` otherwise).

        With `plan` (at check-in, the one moment planning writes) the ready items are planned first: missing
        prerequisites queued, the reason each waiting record waits noted. A queue with no ready item has nothing
        to plan, so a check-in with nothing to do costs the one statement below and no planning. `asked` is that
        statement's answer (`WORK_QUESTIONS`: an item in flight, an item ready) when the caller read it in a
        statement of its own, with its own questions.
        """
        if company.paused:
            return False
        # One indexed statement answers most check-ins: an item in flight means work, no ready item means no record
        # work; only ready items need the planner's question (are their prerequisites in QuickBooks?).
        if asked is None:
            in_flight, ready = db.execute(_IN_FLIGHT_OR_READY, {"company_id": company.id}).one()
        else:
            in_flight, ready = asked
        return self._has_work(db, company, in_flight, ready, plan=plan)

    def _has_work(self, db: Session, company: Company, in_flight: bool, ready: bool, *, plan: bool = False) -> bool:
        if ready and plan and planner.plan(db, company):
            return True  # planning found a batch that can go now: no need to ask again
        if in_flight:
            return True
        return bool(ready and planner.has_sendable(db, company)) or any(h.due(db, company) for h in self.hooks)

    def progress(self, db: Session, company: Company, wc_session: WcSession) -> int:
        """Return honest progress: 100 only when the company has nothing more to send now."""
        if company.paused:
            return 100
        # has_work's question and the count of ready items the share needs, in one indexed statement.
        in_flight, remaining = db.execute(_IN_FLIGHT_AND_READY_COUNT, {"company_id": company.id}).one()
        if not self._has_work(db, company, in_flight, bool(remaining)):
            return 100
        for step in self.steps.values():
            share = step.progress(db, company, wc_session)
            if share is not None:
                return share
        done = wc_session.succeeded + wc_session.failed
        total = done + (remaining or 0)
        return max(0, min(99, int(100 * done / total))) if total else 99

    # --- the moments that change things -----------------------------------------------------------------------

    def begin_session(self, db: Session, company: Company, wc_session: WcSession) -> None:
        """Recover work that earlier sessions left in flight, before this session sends anything."""
        for item in queue.orphaned(db, company, wc_session.ticket):
            record = db.get(Record, item.record_id) if item.record_id else None
            if record is None:
                lifecycle.move_item(item, ItemEvent.AGAIN)
                continue
            action, unknown = lifecycle.lost_answer(item)
            if unknown:
                synclog.append(
                    db,
                    record,
                    LogEvent.RETRIED,
                    "The Web Connector never reported QuickBooks' answer; checking QuickBooks before sending it again.",
                    ticket=wc_session.ticket,
                )
            again(db, item, record, action=action, unknown_outcome=unknown)

    def next_request(self, db: Session, company: Company, wc_session: WcSession) -> str | None:
        """Claim and render the next qbXML message set, or return None when there is nothing."""
        with references.remembering(db):  # the set's records look up their references once, not once per record
            return self._next_request(db, company, wc_session)

    def _next_request(self, db: Session, company: Company, wc_session: WcSession) -> str | None:
        if company.paused:
            return None
        version = wc_session.qbxml_version or company.qbxml_version_cap
        if too_old(version):
            raise CannotSync(
                f"This QuickBooks speaks qbXML {version}; qbwc-server needs qbXML 13.0 or newer (QuickBooks Desktop "
                "2014 or later). Nothing was sent: update QuickBooks to sync."
            )
        limit = int(effective(company.settings)["batch_size"])
        while True:
            outgoing = self._render_batch(db, company, wc_session.ticket, limit)
            if not outgoing and any([hook.start(db, company, wc_session) for hook in self.hooks]):
                continue  # the queue's record work is done: the work due on a schedule goes now
            if not outgoing:
                return None
            outgoing = self._drop_invalid(db, company, outgoing, version)
            if outgoing:
                break
        claims = []
        for out in outgoing:
            carried = out.record.version if out.record is not None else 0
            request = lifecycle.Request(out.built.rq_type, out.is_add, carried, out.edit_sequence, out.group)
            claims.append((out.item, lifecycle.sent_info(out.item, request)))
        claimed = lifecycle.claim_all(db, claims, wc_session.ticket)  # one statement for the whole set
        sent = []
        for out in outgoing:
            if out.item.id in claimed:
                claimed.discard(out.item.id)  # an item goes once, as one claim would have had it
                sent.append(out)
        # Claim every item first, then change the records and logs: the changes go to the database in one flush,
        # the log entries in one INSERT.
        lifecycle.move_all(db, [out.record for out in sent if out.record is not None], Event.SEND)  # one UPDATE
        with synclog.gathered(db):
            for out in sent:
                if out.record is None:
                    continue
                synclog.append(
                    db,
                    out.record,
                    LogEvent.SENT,
                    " ".join([f"Sent to QuickBooks ({out.built.rq_type}).", *out.built.notes]),
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
        with references.remembering(db):  # the set's records look up their references once, not once per record
            return self._handle_response(db, company, wc_session, response, hresult, message)

    def _handle_response(
        self, db: Session, company: Company, wc_session: WcSession, response: str, hresult: str, message: str
    ) -> int:
        items, records = queue.answered(db, company, wc_session.ticket)  # one query for the items and records
        outcome = Outcome()
        if hresult or not response.strip():
            self._whole_set_refused(db, company, wc_session.ticket, items, records, hresult, message, outcome)
        else:
            started = time.perf_counter()
            answers = Answers(response)  # a large answer (an import page) is streamed by its step
            self.timings["parse"] += time.perf_counter() - started
            ctx = Answering(db, company, wc_session.ticket)
            as_records, as_rows = self._filed_with_references(db, items, records, answers)
            if not as_rows:
                references.find_records(db, company.id, as_records)  # one query for the set, kept for the call
                self._file_all(ctx, items, records, answers, outcome)
            else:
                with references.sending(db):  # references filing only reads are read as rows (see _read_references)
                    self._read_references(db, company, records, as_records, as_rows)
                    self._file_all(ctx, items, records, answers, outcome)
        wc_session.succeeded += outcome.succeeded
        wc_session.failed += outcome.failed
        wc_session.imported = (wc_session.imported or 0) + outcome.imported
        return self.progress(db, company, wc_session)

    def closing_notes(self, db: Session, company: Company, wc_session: WcSession) -> list[str]:
        """Return what the session did of the work due on a schedule, for its closing summary."""
        return [note for hook in self.hooks for note in hook.closing_notes(db, company, wc_session)]

    def end_session(self, db: Session, wc_session: WcSession, reason: str) -> None:
        """Note that a session ended; its unanswered requests stay SENT and are reconciled by the next session."""
        log.info("session %s ended: %s", wc_session.ticket[:8], reason)

    # --- internals ---------------------------------------------------------------------------------------------

    def _file_all(
        self, ctx: Answering, items: list[QueueItem], records: dict[int, Record], answers: Answers, outcome: Outcome
    ) -> None:
        """File each item's answer; the log entries go in one INSERT, the moves and identities in a few UPDATEs."""
        with lifecycle.filing(ctx.db), synclog.gathered(ctx.db):
            for item in items:
                record = records.get(item.record_id) if item.record_id else None
                if item.record_id and record is None:
                    lifecycle.move_item(item, ItemEvent.CANCEL)
                    continue
                answer = _answer_of(item, answers)
                if answer is None:
                    # No answer for it (stopOnError cut the set short, so QuickBooks did not run it): it goes again.
                    again(ctx.db, item, record)
                    continue
                self._file(ctx, item, record, answer, outcome)

    def _file(
        self, ctx: Answering, item: QueueItem, record: Record | None, answer: parse.Answer, outcome: Outcome
    ) -> None:
        """Hand one answer to its item's step and carry out the transition the step returns."""
        change = self.steps[item.action].handle(ctx, item, record, answer)
        apply(ctx.db, ctx.company, ctx.ticket, item, record, change, outcome)

    def _render(self, ctx: Drafting, item: Queued, record: Renderable | None) -> Outgoing | None:
        """Render one item's request through its step (a lookup may keep it for a shared query)."""
        return self.steps[item.action].render(ctx, item, record)

    def _render_batch(self, db: Session, company: Company, ticket: str, limit: int) -> list[Outgoing]:
        started = time.perf_counter()
        ctx = Drafting(db, company, ticket)
        with references.sending(db):  # the batch's references are read once, as rows, to plan and to render it
            outgoing = self._plan_and_render(ctx, limit)
            for step in self.steps.values():
                outgoing.extend(step.flush(ctx))
        self.timings["render"] += time.perf_counter() - started
        return outgoing

    def _plan_and_render(self, ctx: Drafting, limit: int) -> list[Outgoing]:
        db, company = ctx.db, ctx.company
        outgoing: list[Outgoing] = []
        failed: set[tuple[RecordKind, str]] = set()
        for item, record in planner.plan_batch(db, company, limit):
            if item.action not in self.steps:
                continue  # an action this engine was built without (one with the sync core's STEPS leaves imports be)
            if failed and record is not None and failed.intersection(references.prerequisites_of(db, record)):
                continue  # its prerequisite cannot go: it waits, and shows why at the next planning
            try:
                out = self._render(ctx, item, record)
            except builders.RecordProblem as problem:
                assert record is not None, "only a record's request can have a problem with the record"
                failed.add((record.kind, record.external_id))
                self._cannot_send(db, item, record, f"{problem.field}: {problem.message}", problem.problem)
                continue
            if out is not None:
                outgoing.append(out)
        return outgoing

    def _drop_invalid(self, db: Session, company: Company, outgoing: list[Outgoing], version: str) -> list[Outgoing]:
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
            if not errors:
                valid.append(out)
                continue
            message = "the request does not match QuickBooks' schema: " + errors[0]
            if out.record is not None:
                self._cannot_send(db, out.item, out.record, message, builders.ProblemKind.DATA)
            else:
                # Not sent, so as good as refused: the item's step says what that means for its work.
                ctx = Answering(db, company, "")
                item = item_entity(db, out.item)
                change = self.steps[item.action].refused(ctx, item, None, "not sent", message)
                apply(db, company, "", item, None, change, Outcome())
        self.timings["validate"] += time.perf_counter() - started
        return valid

    def _cannot_send(
        self, db: Session, item: Queued, record: Renderable, message: str, problem: builders.ProblemKind
    ) -> None:
        error = policy.cannot_send(message, problem)
        stored = entity(db, record)  # failing writes to the item and the record themselves
        fail(db, item_entity(db, item), stored, error, Outcome())
        synclog.append(db, stored, LogEvent.FAILED, error.message)

    def _whole_set_refused(
        self,
        db: Session,
        company: Company,
        ticket: str,
        items: list[QueueItem],
        records: dict[int, Record],
        hresult: str,
        message: str,
        outcome: Outcome,
    ) -> None:
        """QuickBooks refused the message set (e.g. 0x80040400): split it until the bad request is alone."""
        if len(items) == 1:
            item = items[0]
            record = records.get(item.record_id) if item.record_id else None
            if item.record_id and record is None:
                lifecycle.move_item(item, ItemEvent.CANCEL)
                return
            change = self.steps[item.action].refused(Answering(db, company, ticket), item, record, hresult, message)
            apply(db, company, ticket, item, record, change, outcome)
            return
        text = refusal_text(hresult, message)
        half = max(1, (len(items) + 1) // 2)
        for item in items:
            lifecycle.split_batch(item, half)
            record = records.get(item.record_id) if item.record_id else None
            again(db, item, record, error=text)
            if record is not None:
                synclog.append(db, record, LogEvent.RETRIED, f"{text}. Sending in smaller groups to find the cause.")

    def _filed_with_references(
        self, db: Session, items: list[QueueItem], records: dict[int, Record], answers: Answers
    ) -> tuple[set[tuple[RecordKind, str]], list[Record]]:
        """Return what the set's answers' filing reads of the records they reference (most answers read none): the
        references it may change (a payment's invoices), to load as records, and the records whose references it
        only reads (a lookup's that found something), to read as rows."""
        as_records: set[tuple[RecordKind, str]] = set()
        as_rows: list[Record] = []
        for item in items:
            record = records.get(item.record_id) if item.record_id else None
            step = self.steps.get(item.action)
            if record is None:
                continue
            read = step.references_read(record, _answer_of(item, answers)) if isinstance(step, RecordStep) else None
            if read is ReferencesRead.NONE:
                continue
            if read is ReferencesRead.ROWS:
                as_rows.append(record)
                continue
            refs = references.prerequisites_of(db, record)
            as_records.update(step.references_filed(record, refs) if isinstance(step, RecordStep) else refs)
        return as_records, as_rows

    def _read_references(
        self,
        db: Session,
        company: Company,
        records: dict[int, Record],
        as_records: set[tuple[RecordKind, str]],
        as_rows: list[Record],
    ) -> None:
        """Inside `references.sending`, look up ahead the references the set's answers read, one query each way.

        The set's own records are read as themselves (filing changes them); the references an answer's filing may
        change are loaded as records; those filing only reads (names and identities, for a lookup's match) are read
        as rows.
        """
        for record in records.values():
            references.changed(db, record)
        references.find_records(db, company.id, as_records)  # kept as themselves: rows read later do not shadow them
        references.find_references(db, company.id, as_rows)


def _answer_of(item: QueueItem, answers: Answers) -> parse.Answer | None:
    """Return QuickBooks' answer to an item's request (None: the set has none for it)."""
    group = item.sent_info.group if item.sent_info else None
    # A shared query's answer (or an import page's) carries the group's request ID, not the item's.
    return answers.get(group) if group else answers.get(str(item.id))


def _queued_exists(status: QueueStatus) -> Exists:
    # The status is written into the statement, not bound: PostgreSQL's generic plan for a prepared statement
    # (psycopg prepares it after a few runs) would otherwise guess that any status is common and scan the table
    # for an EXISTS; knowing it asks for a rare one, it takes the claim index.
    rare = bindparam(None, status, type_=QueueItem.__table__.c.status.type, literal_execute=True)
    company = QueueItem.company_id == bindparam("company_id")
    return select(QueueItem.id).where(company, QueueItem.status == rare).exists()


# `has_work`'s question (an item in flight, an item ready; the company bound as "company_id"), as columns a caller
# may ask in a statement of its own and hand over as `asked`.
WORK_QUESTIONS = (_queued_exists(QueueStatus.SENT), _queued_exists(QueueStatus.READY))
# Built once: `has_work` runs at every check-in, sendRequestXML and receiveResponseXML.
_IN_FLIGHT_OR_READY = select(*WORK_QUESTIONS)


# Built once: whether an item is in flight and how many are ready, which progress asks at every receiveResponseXML.
_READY_COUNT = (
    select(func.count())
    .select_from(QueueItem)
    .where(QueueItem.company_id == bindparam("company_id"), QueueItem.status == QueueStatus.READY)
    .scalar_subquery()
)
_IN_FLIGHT_AND_READY_COUNT = select(_queued_exists(QueueStatus.SENT), _READY_COUNT)


def _unique_requests(outgoing: list[Outgoing]) -> list[str]:
    """Return each request once, in order (items of a grouped lookup share one request)."""
    seen: set[int] = set()
    requests = []
    for out in outgoing:
        if id(out.built) not in seen:
            seen.add(id(out.built))
            requests.append(out.built.xml)
    return requests
