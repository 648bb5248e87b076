"""The void and delete steps: a removed transaction voided (TxnVoid) or deleted (TxnDel) in QuickBooks.

A void or delete whose answer was lost may have been applied, so before sending it again the step reads the
transaction by its TxnID: already void (or gone) ends the removal; otherwise the request goes again. QuickBooks
never voids or deletes anything twice, and never one it does not have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from lxml import etree

from qbwc_server.models import LogEvent, QueueAction, QueueItem, Record
from qbwc_server.qbxml.parse import Answer
from qbwc_server.sync import builders, policy, removal
from qbwc_server.sync.builders import removals
from qbwc_server.sync.lifecycle import Event
from qbwc_server.sync.outgoing import Outgoing
from qbwc_server.sync.planned import Queued, Renderable
from qbwc_server.sync.planner import display_name
from qbwc_server.sync.policy import Action, Request
from qbwc_server.sync.steps.base import Answering, Drafting, LogLine, RecordStep, Refusal, Result, Transition, need
from qbwc_server.sync.steps.common import answer_part, failed, require_qb_id


@dataclass(frozen=True)
class TxnRemoval:
    """What tells a void from a delete: its request, how QuickBooks' copy shows it applied, and how it ends."""

    build: Callable[[str, str, str], builders.Built]  # (kind, TxnID, request id) -> TxnVoidRq or TxnDelRq
    applied: Callable[[etree._Element], bool]  # does the transaction QuickBooks returned show it done?
    finish_event: Event
    done_words: str


class _TxnRemovalStep(RecordStep):
    """What voiding and deleting share: the request by TxnID, the check after a lost answer, the answer's words."""

    action: ClassVar[QueueAction]
    removal: ClassVar[TxnRemoval]

    def render(self, ctx: Drafting, item: Queued, record: Renderable | None) -> Outgoing | None:
        """Return the void or delete; after a lost answer, the query that tells whether QuickBooks applied it."""
        record = need(record)
        qb_id = require_qb_id(record, "remove")
        if item.unknown_outcome:
            built = builders.build_refresh(record.kind.value, qb_id, str(item.id))
        else:
            built = self.removal.build(record.kind.value, qb_id, str(item.id))
        return Outgoing(item, record, built, is_add=False)

    def flush(self, ctx: Drafting) -> list[Outgoing]:
        """Return nothing: every removal is rendered on its own."""
        return []

    def handle(self, ctx: Answering, item: QueueItem, record: Record | None, rs: Answer) -> Transition:
        """End the removal when QuickBooks carried it out; send it (again) when not; else the error policy."""
        record = need(record)
        sent = item.sent_info
        rq_type = sent.rq_type if sent else None
        kind = record.kind.value
        if rq_type is not None and rq_type.endswith("QueryRq"):
            return self._checked(ctx, record, rs)
        if rs.status_code < 1000:
            return self._done(ctx, record, self.removal.done_words, rs, rq_type)
        if rs.status_code == 3120:
            # QuickBooks has no transaction with this id any more: someone deleted it there, which removes it too.
            return self._done(ctx, record, "QuickBooks no longer had it (it was deleted there)", rs, rq_type, gone=True)
        answered = LogLine(
            LogEvent.FAILED, f"QuickBooks answered {rs.status_code}: {rs.message}", rs.status_code, rq_type
        )
        refusal = Refusal(rs.status_code, rs.message)
        if policy.meaning(rs.status_code, Request.SEND) is Action.RETRY_LATER:
            delay = policy.retry_delay((item.attempts or 0) + 1)
            retried = LogLine(LogEvent.RETRIED, answered.message, rs.status_code, rq_type)
            return Transition(Result.AGAIN, delay_seconds=delay, item_error=rs.message, refusal=refusal, log=(retried,))
        return failed(rs.status_code, rs.message, kind, refusal=refusal, log=(answered,))

    def _checked(self, ctx: Answering, record: Record, rs: Answer) -> Transition:
        """Read the answer to the check after a lost void or delete."""
        found = policy.meaning(rs.status_code, Request.REFRESH)
        if found is Action.RESYNC:
            return self._done(ctx, record, "QuickBooks no longer has it", rs, None, gone=True, checked=True)
        if found is Action.SUCCEED and rs.rets:
            if self.removal.applied(rs.rets[0]):
                return self._done(ctx, record, self.removal.done_words, rs, None, checked=True)
            line = LogLine(
                LogEvent.RETRIED,
                "QuickBooks had not applied the request whose answer was lost; sending it again.",
                rs.status_code,
            )
            return Transition(Result.AGAIN, unknown_outcome=False, log=(line,))
        return failed(rs.status_code, rs.message, record.kind.value)

    def _done(
        self,
        ctx: Answering,
        record: Record,
        words: str,
        rs: Answer,
        rq_type: str | None,
        *,
        gone: bool = False,
        checked: bool = False,
    ) -> Transition:
        """Return the end of the removal, saying what QuickBooks did and what it did to the payments on it."""
        name = display_name(record)
        text = f"{record.kind.value.capitalize()} {name}: {words}."
        if checked:
            text += " (Its answer had been lost; QuickBooks was read before sending it again, so it went once.)"
        after = removal.effects_after(ctx.db, ctx.company, record)
        lines = [LogLine(LogEvent.REMOVED, " ".join([text, *after]), rs.status_code, rq_type, answer_part(rs))]
        return Transition(Result.DONE, finish=Event.DELETE if gone else self.removal.finish_event, log=tuple(lines))


class VoidStep(_TxnRemovalStep):
    """Void a removed invoice or bill: QuickBooks keeps its number and audit trail, and its amounts become zero."""

    action: ClassVar[QueueAction] = QueueAction.VOID
    removal: ClassVar[TxnRemoval] = TxnRemoval(
        removals.build_void,
        removals.is_voided,
        Event.VOID,
        "voided in QuickBooks; its number stays there and its amounts are now zero",
    )


def _never(_ret: etree._Element) -> bool:
    """A transaction QuickBooks still returns is not deleted."""
    return False


class DeleteStep(_TxnRemovalStep):
    """Delete a removed transaction: payments always (QuickBooks cannot void them), others by the company's setting."""

    action: ClassVar[QueueAction] = QueueAction.DELETE
    removal: ClassVar[TxnRemoval] = TxnRemoval(removals.build_delete, _never, Event.DELETE, "deleted in QuickBooks")
