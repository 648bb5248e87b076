"""The lookup step: find what QuickBooks already holds for a record before adding it (again).

It runs after an Add whose answer was lost, after a 3100 (the name is in use), and before the first sync of an
invoice whose number may have been typed into QuickBooks by hand; those first-sync invoice lookups share one
InvoiceQuery per batch.
"""

from __future__ import annotations

from typing import ClassVar

from lxml import etree

from qbwc_server.models import LogEvent, QueueAction, QueueItem, Record, RecordKind
from qbwc_server.qbxml.parse import Answer
from qbwc_server.sync import builders, policy, totals
from qbwc_server.sync.builders import invoices
from qbwc_server.sync.outgoing import Outgoing, request_input
from qbwc_server.sync.planner import display_name
from qbwc_server.sync.policy import Action, Request
from qbwc_server.sync.steps.base import Answering, Drafting, LogLine, RecordStep, Result, Transition, identity, need
from qbwc_server.sync.steps.common import answer_part, failed

GROUP_SIZE = 50


def is_grouped(item: QueueItem, record: Record) -> bool:
    """Tell whether an item is a first-sync invoice lookup, which shares one InvoiceQuery with others."""
    return item.action is QueueAction.LOOKUP and not item.unknown_outcome and record.kind is RecordKind.INVOICE


class LookupStep(RecordStep):
    """Look a record up by name (lists) or by number, party, date and amount (transactions)."""

    action: ClassVar[QueueAction] = QueueAction.LOOKUP

    def render(self, ctx: Drafting, item: QueueItem, record: Record | None) -> Outgoing | None:
        """Return the record's query, or keep a first-sync invoice lookup to share a query with others."""
        record = need(record)
        if is_grouped(item, record):
            ctx.kept.setdefault(self.action, []).append((item, record))
            return None
        inp = request_input(ctx.db, ctx.company, record)
        return Outgoing(item, record, builders.build_lookup(inp, str(item.id)), is_add=False)

    def flush(self, ctx: Drafting) -> list[Outgoing]:
        """Render the kept invoice lookups as shared InvoiceQuery requests of up to GROUP_SIZE numbers each."""
        pairs = ctx.kept.pop(self.action, [])
        outgoing: list[Outgoing] = []
        for start in range(0, len(pairs), GROUP_SIZE):
            group = pairs[start : start + GROUP_SIZE]
            request_id = f"lookup-{group[0][0].id}"
            inputs = [request_input(ctx.db, ctx.company, record) for _, record in group]
            built = invoices.build_lookup_many(inputs, request_id)
            outgoing.extend(Outgoing(item, record, built, is_add=False, group=request_id) for item, record in group)
        return outgoing

    def handle(self, ctx: Answering, item: QueueItem, record: Record | None, rs: Answer) -> Transition:
        """Link what QuickBooks has, or send the record when QuickBooks has nothing."""
        record = need(record)
        inp = request_input(ctx.db, ctx.company, record)
        kind = record.kind.value
        found = policy.meaning(rs.status_code, Request.LOOKUP)
        match = builders.pick_match(inp, rs.rets) if found is Action.SUCCEED else None
        if match is None and found is Action.SUCCEED and record.kind is RecordKind.INVOICE and not item.unknown_outcome:
            # First sync of an invoice: one entered in QuickBooks with our number for this customer is ours to update.
            match = next((ret for ret in rs.rets if invoices.same_number(inp, ret)), None)
        if match is not None and _other_item_type(record, match):
            kind_found = match.tag.removeprefix("Item").removesuffix("Ret")
            message = (
                f'The name "{display_name(record)}" of the list element is already in use by a {kind_found} item in '
                f"QuickBooks, and an item cannot change its type there."
            )
            return failed(3100, message, kind)
        sent = item.sent_info
        if match is not None:
            linked = identity(builders.identity_from_ret(inp, match))
            add_version = sent.add_version if sent is not None else None
            line = LogLine(
                LogEvent.LINKED,
                f"Found in QuickBooks as {linked.full_name or linked.id}; linked to it instead of adding it again.",
                rs.status_code,
                response_xml=answer_part(rs),
            )
            if add_version is not None and add_version == record.version:
                # It was our own Add whose answer was lost, and nothing changed since: it is in QuickBooks as it is.
                figures = totals.from_answer(inp, match)
                return Transition(
                    Result.DONE, identity=linked, synced_version=add_version, log=(line,), figures=figures
                )
            # Send our current data once as a Mod so QuickBooks matches what the app has.
            return Transition(
                Result.AGAIN,
                next_action=QueueAction.SEND,
                unknown_outcome=False,
                identity=linked,
                synced_version=add_version,
                log=(line,),
                figures=totals.Figures(totals.figures_of(kind, match)),
            )
        if found not in (Action.SUCCEED, Action.NOT_FOUND):
            return failed(rs.status_code, rs.message, kind)
        if sent is not None and sent.refused_with == 3100:
            # QuickBooks refused the Add because the name is in use, yet no record of this kind has it: another
            # list (vendor, employee, other name) holds the name, and only a person can rename one of them.
            return failed(3100, item.last_error or "", kind)
        line = LogLine(LogEvent.RETRIED, "Not in QuickBooks yet; sending it.", rs.status_code)
        return Transition(Result.AGAIN, next_action=QueueAction.SEND, unknown_outcome=False, log=(line,))


_ITEM_RETS = {"service": "ItemServiceRet", "non_inventory": "ItemNonInventoryRet", "other_charge": "ItemOtherChargeRet"}


def _other_item_type(record: Record, ret: etree._Element) -> bool:
    """Tell whether QuickBooks' item with our item's name is of another type (it cannot be updated as ours)."""
    if record.kind is not RecordKind.ITEM:
        return False
    tag = str(ret.tag)
    return tag != _ITEM_RETS.get(str((record.data or {}).get("type")), tag)
