"""The refresh step: read a record's current EditSequence (and line ids) from QuickBooks before sending a Mod.

It runs after a 3200 (the EditSequence was stale), after a person linked a record to a QuickBooks id, and after a
Mod whose answer was lost: QuickBooks may have applied it, so the EditSequence it carried may be stale now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from lxml import etree

from qbwc_server.company_settings import effective
from qbwc_server.models import LogEvent, QueueAction, QueueItem, Record
from qbwc_server.qbxml.parse import Answer
from qbwc_server.sync import builders, policy, totals
from qbwc_server.sync.lifecycle import Identity
from qbwc_server.sync.outgoing import Outgoing, request_input
from qbwc_server.sync.planned import Queued, Renderable
from qbwc_server.sync.policy import Action, Request
from qbwc_server.sync.steps.base import (
    Answering,
    Drafting,
    LogLine,
    RecordStep,
    ReferencesRead,
    Result,
    Transition,
    identity,
    need,
)
from qbwc_server.sync.steps.common import changes_references, failed
from qbwc_server.sync.steps.lookup import keeps_quickbooks, link_only
from qbwc_server.sync.steps.send import SendStep

# Brings QuickBooks' current copy of a record into ours before the Mod goes again (registered by the runtime: the
# imports package takes over fields changed in QuickBooks and settles conflicts, so the Mod never overwrites them).
OnCurrent = Callable[[Answering, Record, etree._Element], None]


class RefreshStep(RecordStep):
    """Query the record by its ListID or TxnID."""

    action: ClassVar[QueueAction] = QueueAction.REFRESH

    def __init__(self, on_current: OnCurrent | None = None) -> None:
        self.on_current = on_current

    def render(self, ctx: Drafting, item: Queued, record: Renderable | None) -> Outgoing | None:
        """Return the query by id; without an id there is nothing to read, so the record is sent instead."""
        record = need(record)
        if not record.qb_id:
            return SendStep().render(ctx, item, record)
        built = builders.build_refresh(record.kind.value, record.qb_id, str(item.id))
        return Outgoing(item, record, built, is_add=False)

    def flush(self, ctx: Drafting) -> list[Outgoing]:
        """Return nothing: every refresh is rendered on its own."""
        return []

    def references_read(self, record: Record, answer: Answer | None) -> ReferencesRead:
        """Tell what the answer's filing reads of the references: a payment's or credit memo's records (an answer
        filed as its send's settles the invoices, or queues the credit's application); any other's only as rows."""
        return ReferencesRead.RECORDS if changes_references(record) else ReferencesRead.ROWS

    def handle(self, ctx: Answering, item: QueueItem, record: Record | None, rs: Answer) -> Transition:
        """Take the current EditSequence and send again, unless QuickBooks already has our lost Mod."""
        record = need(record)
        sent = item.sent_info
        if sent is not None and sent.add:
            return SendStep().handle(ctx, item, record, rs)  # it went as an Add (see render)
        found = policy.meaning(rs.status_code, Request.REFRESH)
        if found is Action.SUCCEED and rs.rets:
            inp = request_input(ctx.db, ctx.company, record)
            current = identity(builders.identity_from_ret(inp, rs.rets[0]))
            lost_mod = sent.mod_edit_sequence if sent is not None and item.unknown_outcome else None
            if (
                sent is not None
                and lost_mod is not None
                and current.edit_sequence != lost_mod
                and sent.mod_version == record.version
            ):
                # QuickBooks moved on from the EditSequence our lost Mod carried: it applied that Mod, and the
                # record has not changed since, so there is nothing to send again.
                line = LogLine(
                    LogEvent.SYNCED,
                    "QuickBooks had already applied the change whose answer was lost; nothing to send again.",
                    rs.status_code,
                )
                figures = totals.from_answer(inp, rs.rets[0])
                return Transition(
                    Result.DONE, identity=current, synced_version=sent.mod_version, log=(line,), figures=figures
                )
            if self.on_current is not None and sent is not None and sent.refused_with is not None:
                # QuickBooks refused our EditSequence (3200): someone changed the record there since our last sync.
                self.on_current(ctx, record, rs.rets[0])
            settings = effective(ctx.company.settings)
            just_linked = record.synced_version is None and record.linked_version is not None
            if just_linked and (link_only(record) or keeps_quickbooks(settings, record)):
                return _keep_linked(record, current, rs)
            line = LogLine(
                LogEvent.RETRIED, "Read QuickBooks' current version; sending the change again.", rs.status_code
            )
            # QuickBooks' figures are kept; they are compared with the app's once the change is sent.
            figures = totals.Figures(totals.figures_of(record.kind.value, rs.rets[0]))
            return Transition(
                Result.AGAIN,
                next_action=QueueAction.SEND,
                unknown_outcome=False,
                refreshed=current,
                log=(line,),
                figures=figures,
            )
        if found is Action.RESYNC:
            line = LogLine(
                LogEvent.RETRIED, "QuickBooks no longer has this record; it will be added again.", rs.status_code
            )
            return Transition(Result.AGAIN, next_action=QueueAction.LOOKUP, forget_identity=True, log=(line,))
        return failed(rs.status_code, rs.message, record.kind.value)


def _keep_linked(record: Record, current: Identity, rs: Answer) -> Transition:
    """Finish a link made by a person: QuickBooks keeps its values; only what the app changed since goes."""
    why = "it is a link-only item" if link_only(record) else "link policy keep_quickbooks"
    if link_only(record) or record.version == record.linked_version:
        line = LogLine(
            LogEvent.SYNCED,
            f"Read the linked QuickBooks entry; QuickBooks keeps its own values ({why}): nothing was sent.",
            rs.status_code,
        )
        return Transition(Result.DONE, identity=current, synced_version=record.version, log=(line,))
    line = LogLine(
        LogEvent.RETRIED,
        "Read the linked QuickBooks entry; the app changed the record since it was linked, so those fields are "
        f"sent ({why}).",
        rs.status_code,
    )
    return Transition(Result.AGAIN, next_action=QueueAction.SEND, unknown_outcome=False, refreshed=current, log=(line,))
