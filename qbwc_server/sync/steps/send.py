"""The send step: an Add or a Mod rendered from the record's current data, and the error policy for its answer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import ClassVar

from sqlalchemy.orm import Session

from qbwc_server.models import Company, LogEvent, Origin, QueueAction, QueueItem, Record, RecordKind
from qbwc_server.qbxml.parse import Answer
from qbwc_server.sync import builders, policy, references, totals
from qbwc_server.sync.builders.types import ProblemKind
from qbwc_server.sync.outgoing import Outgoing, request_input
from qbwc_server.sync.planned import Queued, Renderable
from qbwc_server.sync.planner import display_name
from qbwc_server.sync.policy import Action, Request
from qbwc_server.sync.steps.base import (
    Answering,
    Drafting,
    LogLine,
    RecordStep,
    ReferencesRead,
    Refusal,
    Result,
    Transition,
    identity,
    need,
)
from qbwc_server.sync.steps.common import answer_input, answer_part, article, changes_references, failed


class SendStep(RecordStep):
    """Send the record: an Add when QuickBooks does not know it yet, else a Mod with the current EditSequence."""

    action: ClassVar[QueueAction] = QueueAction.SEND

    def render(self, ctx: Drafting, item: Queued, record: Renderable | None) -> Outgoing | None:
        """Return the Add or Mod for the record's current data."""
        record = need(record)
        inp = request_input(ctx.db, ctx.company, record, ctx.predicted)
        if inp.qb is None and record.origin is Origin.QUICKBOOKS:
            # It came from QuickBooks and QuickBooks no longer has it: someone deleted it there on purpose.
            raise builders.RecordProblem(
                "quickbooks",
                "This record was imported from QuickBooks and is no longer there, so it is not added back. "
                "Import again, or exclude it.",
                ProblemKind.QUICKBOOKS,
            )
        built = builders.build(inp, str(item.id))
        if inp.qb is None and record.kind.is_list:
            name = builders.full_name(inp, built.name)  # the Add's own Name, worked out once
            if name:
                ctx.predicted[(record.kind.value, record.external_id)] = builders.QbRef(id="", full_name=name)
        edit_sequence = inp.qb.edit_sequence if inp.qb is not None else None
        return Outgoing(item, record, built, is_add=inp.qb is None, edit_sequence=edit_sequence)

    def flush(self, ctx: Drafting) -> list[Outgoing]:
        """Return nothing: every send is rendered on its own."""
        return []

    def references_read(self, record: Record, answer: Answer | None) -> ReferencesRead:
        """Tell what filing the answer reads of the record's references: a payment's settles the invoices it pays,
        and a credit memo's queues its application to its invoices (records); other answers read the record alone."""
        return ReferencesRead.RECORDS if changes_references(record) else ReferencesRead.NONE

    def references_filed(self, record: Record, refs: list[tuple[RecordKind, str]]) -> Iterable[tuple[RecordKind, str]]:
        """Return the references filing an Add's or Mod's answer reads as records: of a payment's, the invoices it
        settles (its customer is read only after a refusal); all of a credit memo's."""
        if record.kind is not RecordKind.PAYMENT:
            return refs
        return [ref for ref in refs if ref[0] is RecordKind.INVOICE]

    def handle(self, ctx: Answering, item: QueueItem, record: Record | None, rs: Answer) -> Transition:
        """Apply the error policy to the answer of an Add or a Mod."""
        record = need(record)
        sent = item.sent_info
        was_add = bool(sent and sent.add)
        rq_type = sent.rq_type if sent else None
        body = answer_part(rs)
        action = policy.meaning(rs.status_code, Request.SEND)
        if action is Action.LINK_EXISTING and not was_add:
            action = Action.FAIL  # a Mod cannot take a name another record has: a person must rename one
        missing = (
            _missing_prerequisite(ctx.db, ctx.company, record, rs.message) if action is Action.PREREQUISITE else None
        )
        if action is Action.PREREQUISITE and missing is None:
            action = Action.FAIL  # what is missing is not ours to create: a person must
        if action is Action.SUCCEED and rs.rets:
            inp = answer_input(ctx.company, record)
            found = identity(builders.identity_from_ret(inp, rs.rets[0]))
            shown = found.full_name or record.qb_full_name or found.id
            lines = [
                LogLine(
                    LogEvent.SYNCED,
                    f"{'Added to' if was_add else 'Updated in'} QuickBooks as {shown}.",
                    rs.status_code,
                    rq_type,
                    body,
                )
            ]
            figures = totals.from_answer(inp, rs.rets[0])
            lines += [LogLine(LogEvent.WARNING, w["message"]) for w in figures.warnings or []]
            version = sent.version if sent and sent.version else record.version
            return Transition(Result.DONE, identity=found, synced_version=version, log=tuple(lines), figures=figures)
        fails = action in (Action.FAIL, Action.SUCCEED, Action.NOT_FOUND)
        answered = LogLine(
            LogEvent.FAILED if fails else LogEvent.RETRIED,
            f"QuickBooks answered {rs.status_code}: {rs.message}",
            rs.status_code,
            rq_type,
            body,
        )
        refusal = Refusal(rs.status_code, rs.message)
        kind = record.kind.value
        if fails:
            advice = _overpaid(ctx, record, rs.status_code)
            if advice:
                answered = replace(answered, message=f"{answered.message} {advice}")
            return failed(rs.status_code, rs.message, kind, refusal=refusal, log=(answered,), advice=advice)
        if action is Action.LINK_EXISTING:
            looking = LogLine(
                LogEvent.RETRIED,
                f"QuickBooks already has {article(kind)} {kind} named "
                f"'{display_name(record)}'; looking it up to link it instead of adding a second one.",
            )
            return Transition(
                Result.AGAIN,
                next_action=QueueAction.LOOKUP,
                item_error=rs.message,
                refusal=refusal,
                refused_with=rs.status_code,
                log=(answered, looking),
            )
        if action is Action.REFRESH:
            return Transition(
                Result.AGAIN,
                next_action=QueueAction.REFRESH,
                item_error=rs.message,
                refusal=refusal,
                refused_with=rs.status_code,  # the refresh then knows QuickBooks' copy changed under our Mod
                log=(answered,),
            )
        if action is Action.RETRY_LATER:
            delay = policy.retry_delay((item.attempts or 0) + 1)
            return Transition(
                Result.AGAIN, delay_seconds=delay, item_error=rs.message, refusal=refusal, log=(answered,)
            )
        if action is Action.PREREQUISITE:
            # We believed it was there; QuickBooks says not: look it up (and add it when it is gone), then retry.
            return Transition(
                Result.AGAIN, look_up_first=missing, item_error=rs.message, refusal=refusal, log=(answered,)
            )
        # Action.RESYNC: the object we hold an id for is gone from QuickBooks.
        if sent is not None and not sent.add:
            # Our Mod's entry was deleted in QuickBooks: shown as such, and only added again if a person re-adds it.
            return Transition(
                Result.AGAIN, deleted_in_quickbooks=True, item_error=rs.message, refusal=refusal, log=(answered,)
            )
        gone = LogLine(LogEvent.RETRIED, "QuickBooks no longer has this record; it will be added again.")
        return Transition(
            Result.AGAIN, forget_identity=True, item_error=rs.message, refusal=refusal, log=(answered, gone)
        )


def _overpaid(ctx: Answering, record: Record, status_code: int) -> str | None:
    """After a 3210 on a payment, say which invoice's QuickBooks balance is lower than what it applies."""
    if status_code != 3210 or record.kind is not RecordKind.PAYMENT:
        return None
    return totals.overpayment_advice(ctx.db, ctx.company, record)


def _missing_prerequisite(db: Session, company: Company, record: Record, message: str) -> Record | None:
    """After a 3140, return the record of ours that QuickBooks says is missing, or None when it is not ours."""
    missing = policy.missing_reference(message)
    if missing is None:
        return None
    for prerequisite in references.referenced_records(db, company, record):
        if missing.name in {prerequisite.qb_id, prerequisite.qb_full_name, display_name(prerequisite)}:
            return prerequisite
    return None
