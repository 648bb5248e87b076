"""The deactivate step: a removed customer, job, item or vendor made inactive in QuickBooks, never deleted.

It sends the record's Mod with IsActive false. QuickBooks keeps list records that transactions use, and the seeds'
products promise inactive rather than deleted. After a lost answer the step reads the record by its ListID first:
already inactive ends the removal.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from qbwc_server.models import LogEvent, QueueAction, QueueItem, Record
from qbwc_server.qbxml.parse import Answer
from qbwc_server.sync import builders, policy
from qbwc_server.sync.builders import removals
from qbwc_server.sync.lifecycle import Event
from qbwc_server.sync.outgoing import Outgoing, request_input
from qbwc_server.sync.planned import Queued, Renderable
from qbwc_server.sync.planner import display_name
from qbwc_server.sync.policy import Action, Request
from qbwc_server.sync.steps.base import (
    Answering,
    Drafting,
    LogLine,
    RecordStep,
    Refusal,
    Result,
    Transition,
    identity,
    need,
)
from qbwc_server.sync.steps.common import answer_part, failed, require_qb_id


class DeactivateStep(RecordStep):
    """Make a removed list record inactive in QuickBooks."""

    action: ClassVar[QueueAction] = QueueAction.DEACTIVATE

    def render(self, ctx: Drafting, item: Queued, record: Renderable | None) -> Outgoing | None:
        """Return the Mod with IsActive false; after a lost answer, the query by ListID that checks it."""
        record = need(record)
        qb_id = require_qb_id(record, "make inactive")
        if item.unknown_outcome:
            return Outgoing(item, record, builders.build_refresh(record.kind.value, qb_id, str(item.id)), False)
        inp = request_input(ctx.db, ctx.company, record)
        inactive = replace(inp, data={**inp.data, "active": False})
        edit_sequence = inp.qb.edit_sequence if inp.qb is not None else None
        return Outgoing(item, record, builders.build(inactive, str(item.id)), False, edit_sequence=edit_sequence)

    def flush(self, ctx: Drafting) -> list[Outgoing]:
        """Return nothing: every deactivation is rendered on its own."""
        return []

    def handle(self, ctx: Answering, item: QueueItem, record: Record | None, rs: Answer) -> Transition:
        """End the removal when QuickBooks made it inactive; read the EditSequence again after a 3200."""
        record = need(record)
        sent = item.sent_info
        rq_type = sent.rq_type if sent else None
        checking = rq_type is not None and rq_type.endswith("QueryRq")
        kind = record.kind.value
        meaning = policy.meaning(rs.status_code, Request.REFRESH if checking else Request.SEND)
        if meaning is Action.SUCCEED and rs.rets:
            inp = request_input(ctx.db, ctx.company, record)
            current = identity(builders.identity_from_ret(inp, rs.rets[0]))
            if not checking or removals.is_inactive(rs.rets[0]):
                text = f"{kind.capitalize()} {display_name(record)}: made inactive in QuickBooks (never deleted)."
                if checking:
                    text += " (Its answer had been lost; QuickBooks was read before sending it again.)"
                line = LogLine(LogEvent.REMOVED, text, rs.status_code, rq_type, answer_part(rs))
                return Transition(
                    Result.DONE,
                    identity=current,
                    synced_version=record.synced_version,
                    finish=Event.DEACTIVATE,
                    log=(line,),
                )
            line = LogLine(
                LogEvent.RETRIED, "QuickBooks still has it active; sending the change again.", rs.status_code
            )
            return Transition(Result.AGAIN, unknown_outcome=False, refreshed=current, log=(line,))
        if meaning is Action.RESYNC or (checking and meaning is Action.NOT_FOUND):
            text = f"{kind.capitalize()} {display_name(record)}: QuickBooks no longer has it (it was deleted there)."
            return Transition(Result.DONE, finish=Event.DELETE, log=(LogLine(LogEvent.REMOVED, text, rs.status_code),))
        answered = LogLine(
            LogEvent.RETRIED, f"QuickBooks answered {rs.status_code}: {rs.message}", rs.status_code, rq_type
        )
        refusal = Refusal(rs.status_code, rs.message)
        if meaning is Action.REFRESH:
            # Someone changed it in QuickBooks meanwhile: the refresh reads its current EditSequence, and the
            # removal follows it (`removal.follow`).
            return Transition(
                Result.AGAIN, next_action=QueueAction.REFRESH, item_error=rs.message, refusal=refusal, log=(answered,)
            )
        if meaning is Action.RETRY_LATER:
            delay = policy.retry_delay((item.attempts or 0) + 1)
            return Transition(
                Result.AGAIN, delay_seconds=delay, item_error=rs.message, refusal=refusal, log=(answered,)
            )
        return failed(rs.status_code, rs.message, kind, refusal=refusal, log=(answered,))
