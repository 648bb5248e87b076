"""The apply-credit step: a credit memo's credit applied to open invoices by a ReceivePayment of zero (SetCredit).

It reads the credit memo first, with its linked payments: when QuickBooks shows the credit applied as the app asks,
it is done without sending anything, so a lost answer never applies a credit twice (refunds of it do not count).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from qbwc_server.models import LogEvent, QueueAction, QueueItem, Record, RecordKind
from qbwc_server.qbxml import values
from qbwc_server.qbxml.parse import Answer
from qbwc_server.sync import builders, policy, references
from qbwc_server.sync.builders import credit_memos
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
    Refusal,
    Result,
    Transition,
    identity,
    need,
)
from qbwc_server.sync.steps.common import answer_part, failed


def _dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


class ApplyCreditStep(RecordStep):
    """Apply a synced credit memo to the invoices its `applied_to` names."""

    action: ClassVar[QueueAction] = QueueAction.APPLY_CREDIT

    def render(self, ctx: Drafting, item: Queued, record: Renderable | None) -> Outgoing | None:
        """Return the read of the credit memo (first), or the zero payment that applies its credit."""
        record = need(record)
        if not record.qb_id:
            raise builders.RecordProblem(
                "quickbooks", "QuickBooks does not have this credit memo yet.", ProblemKind.QUICKBOOKS
            )
        if item.unknown_outcome:
            return Outgoing(item, record, credit_memos.build_check(record.qb_id, str(item.id)), False)
        inp = request_input(ctx.db, ctx.company, record)
        return Outgoing(item, record, credit_memos.build_application(inp, record.qb_id, str(item.id)), False)

    def flush(self, ctx: Drafting) -> list[Outgoing]:
        """Return nothing: every application is rendered on its own."""
        return []

    def handle(self, ctx: Answering, item: QueueItem, record: Record | None, rs: Answer) -> Transition:
        """Read the credit left, or file the application's answer."""
        record = need(record)
        sent = item.sent_info
        rq_type = sent.rq_type if sent else None
        inp = request_input(ctx.db, ctx.company, record)
        wanted = credit_memos.applied_total(inp)
        if rq_type is not None and rq_type.endswith("QueryRq"):
            if policy.meaning(rs.status_code, Request.REFRESH) is not Action.SUCCEED or not rs.rets:
                return failed(rs.status_code, rs.message, record.kind.value)
            ret = rs.rets[0]
            current = identity(builders.identity_from_ret(inp, ret))
            applied = credit_memos.applied_in_quickbooks(ret)
            if applied == wanted:
                text = f"QuickBooks shows {_dollars(wanted)} of this credit applied, as the app asks."
                line = LogLine(LogEvent.SYNCED, text, rs.status_code, rq_type, answer_part(rs))
                return Transition(Result.DONE, refreshed=current, log=(line,))
            if applied != 0:
                message = (
                    f"QuickBooks shows {_dollars(applied)} of this credit memo applied, but the app applies "
                    f"{_dollars(wanted)}. A credit already applied is not changed automatically: apply or "
                    "unapply the difference in QuickBooks (Receive Payments, Discounts and Credits)."
                )
                return failed(None, message, "credit_memo")
            line = LogLine(
                LogEvent.RETRIED, "The credit is not applied in QuickBooks yet; applying it.", rs.status_code
            )
            return Transition(Result.AGAIN, unknown_outcome=False, refreshed=current, log=(line,))
        if rs.status_code < 1000:
            applied_to = (record.data or {}).get("applied_to") or []
            refs = [(RecordKind.INVOICE, str(entry["invoice"])) for entry in applied_to]
            found = references.find_records(ctx.db, ctx.company.id, refs)
            shown = ", ".join(
                f"{_dollars(values.to_decimal(entry['amount']))} to invoice "
                f"{display_name(found[ref]) if ref in found else entry['invoice']}"
                for entry, ref in zip(applied_to, refs, strict=True)
            )
            line = LogLine(LogEvent.SYNCED, f"Credit applied in QuickBooks: {shown}.", rs.status_code, rq_type)
            return Transition(Result.DONE, log=(line,))
        answered = LogLine(
            LogEvent.FAILED, f"QuickBooks answered {rs.status_code}: {rs.message}", rs.status_code, rq_type
        )
        refusal = Refusal(rs.status_code, rs.message)
        if policy.meaning(rs.status_code, Request.SEND) is Action.RETRY_LATER:
            delay = policy.retry_delay((item.attempts or 0) + 1)
            return Transition(
                Result.AGAIN, delay_seconds=delay, item_error=rs.message, refusal=refusal, log=(answered,)
            )
        return failed(rs.status_code, rs.message, record.kind.value, refusal=refusal, log=(answered,))
