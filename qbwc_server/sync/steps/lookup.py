"""The lookup step: find what QuickBooks already holds for a record before adding it (again).

It runs after an Add whose answer was lost, after a 3100 (the name is in use), and before the first sync of an
invoice whose number may have been typed into QuickBooks by hand; those first-sync invoice lookups share one
InvoiceQuery per batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from lxml import etree

from qbwc_server.company_settings import kind_choice
from qbwc_server.models import LogEvent, QueueAction, QueueItem, Record, RecordKind
from qbwc_server.qbxml.parse import Answer
from qbwc_server.sync import builders, naming, policy, totals
from qbwc_server.sync.builders import invoices
from qbwc_server.sync.eligibility import before_start_date
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
    Result,
    Transition,
    identity,
    need,
)
from qbwc_server.sync.steps.common import answer_part, changes_references, failed

GROUP_SIZE = 50


def is_grouped(item: Queued, record: Renderable) -> bool:
    """Tell whether an item is a first-sync invoice lookup, which shares one InvoiceQuery with others."""
    return item.action is QueueAction.LOOKUP and not item.unknown_outcome and record.kind is RecordKind.INVOICE


class LookupStep(RecordStep):
    """Look a record up by name (lists) or by number, party, date and amount (transactions)."""

    action: ClassVar[QueueAction] = QueueAction.LOOKUP

    def render(self, ctx: Drafting, item: Queued, record: Renderable | None) -> Outgoing | None:
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
            # The shared query names each invoice by its number alone: its references are not needed.
            inputs = [request_input(ctx.db, ctx.company, record, references=False) for _, record in group]
            built = invoices.build_lookup_many(inputs, request_id)
            outgoing.extend(Outgoing(item, record, built, is_add=False, group=request_id) for item, record in group)
        return outgoing

    def references_read(self, record: Record, answer: Answer | None) -> ReferencesRead:
        """Tell what the answer's filing reads of the references: a payment's or credit memo's records (its lost Add
        found settles its invoices or queues its credit's application); any other's rows, and only when QuickBooks
        found entries, which are read against them (see `handle`): nothing found, the usual answer for a new
        record, reads none."""
        if changes_references(record):
            return ReferencesRead.RECORDS
        return ReferencesRead.ROWS if _found(answer) else ReferencesRead.NONE

    def handle(self, ctx: Answering, item: QueueItem, record: Record | None, rs: Answer) -> Transition:
        """Link what QuickBooks has, or send the record when QuickBooks has nothing."""
        record = need(record)
        kind = record.kind.value
        found = policy.meaning(rs.status_code, Request.LOOKUP)
        # Only entries QuickBooks found are read against the record (its references and identity): an answer of
        # nothing found, the usual one for a new record, needs neither.
        inp = request_input(ctx.db, ctx.company, record) if found is Action.SUCCEED else None
        match = builders.pick_match(inp, rs.rets) if inp is not None else None
        if match is None and inp is not None and record.kind is RecordKind.INVOICE and not item.unknown_outcome:
            # First sync of an invoice: one entered in QuickBooks with our number for this customer is ours to update.
            match = next((ret for ret in rs.rets if invoices.same_number(inp, ret)), None)
        if match is not None and _other_item_type(record, match):
            kind_found = match.tag.removeprefix("Item").removesuffix("Ret")
            message = (
                f'The name "{display_name(record)}" of the list element is already in use by a {kind_found} item in '
                f"QuickBooks, and an item cannot change its type there. To use QuickBooks' item as it is, make this "
                f'item "link_only": true with "type" naming its QuickBooks type.'
            )
            return _failed(3100, message, kind, rs)
        sent = item.sent_info
        settings = naming.settings_of(ctx.company)
        if match is not None:
            assert inp is not None  # a match is one of the entries found
            linked = identity(builders.identity_from_ret(inp, match))
            other = naming.holder(ctx.db, ctx.company, record, linked.id)
            if other is not None and record.kind.is_transaction:
                # The transaction found (same number, party, date, amount) is another record's: this one is new.
                line = LogLine(
                    LogEvent.RETRIED,
                    f"QuickBooks' matching {kind} is {other.kind.value} {other.external_id}'s; adding this one.",
                    rs.status_code,
                )
                return Transition(Result.AGAIN, next_action=QueueAction.SEND, unknown_outcome=False, log=(line,))
            if other is not None:
                return _distinct_name(ctx, record, other, linked.full_name or linked.id, rs)
            add_version = sent.add_version if sent is not None else None
            found_line = f"Found in QuickBooks as {linked.full_name or linked.id}"
            if add_version is not None and add_version == record.version:
                # It was our own Add whose answer was lost, and nothing changed since: it is in QuickBooks as it is.
                line = LogLine(
                    LogEvent.LINKED,
                    f"{found_line}; linked to it instead of adding it again.",
                    rs.status_code,
                    response_xml=answer_part(rs),
                )
                figures = totals.from_answer(inp, match)
                return Transition(
                    Result.DONE, identity=linked, synced_version=add_version, log=(line,), figures=figures
                )
            if link_only(record) or keeps_quickbooks(settings, record):
                why = (
                    "it is a link-only item, never changed by the server"
                    if link_only(record)
                    else "link policy keep_quickbooks; later only the fields the app changes are sent"
                )
                line = LogLine(
                    LogEvent.LINKED,
                    f"{found_line}; linked to it instead of adding it again. QuickBooks keeps its own values: "
                    f"nothing was sent ({why}).",
                    rs.status_code,
                    response_xml=answer_part(rs),
                )
                figures = totals.from_answer(inp, match)
                return Transition(
                    Result.DONE,
                    identity=linked,
                    synced_version=record.version,
                    linked=True,
                    log=(line,),
                    figures=figures,
                )
            # link policy update_quickbooks: send our current data once as a Mod so QuickBooks matches the app.
            line = LogLine(
                LogEvent.LINKED,
                f"{found_line}; linked to it instead of adding it again, and sending the app's data to it "
                "(link policy update_quickbooks).",
                rs.status_code,
                response_xml=answer_part(rs),
            )
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
            return _failed(rs.status_code, rs.message, kind, rs, f"QuickBooks answered {rs.status_code}: {rs.message}")
        if link_only(record):
            message = (
                f"QuickBooks has no item named '{display_name(record)}'. This item is link-only: the server never "
                "adds it. Create it in QuickBooks or correct its name here, then reprocess."
            )
            return _failed(None, message, kind, rs)
        if before_start_date(record, settings) and settings.get("start_date_prerequisites") == "find_only":
            message = (
                f"QuickBooks has no {kind} named '{display_name(record)}'. It was created before the sync start date, "
                "so it is only looked for, never added (setting start_date_prerequisites: find_only). Link it to "
                "the QuickBooks entry on its page, or set start_date_prerequisites to find_or_add."
            )
            return _failed(None, message, kind, rs)
        if sent is not None and sent.refused_with == 3100:
            # QuickBooks refused the Add because the name is in use, yet no record of this kind has it: another
            # list (vendor, employee, other name) holds the name.
            suffix = naming.other_list_suffix(record) if naming.suffixes_on(settings) else None
            if suffix is None:
                held = f"Another QuickBooks list (vendors, employees, other names) has '{display_name(record)}'."
                return _failed(3100, item.last_error or held, kind, rs)
            line = LogLine(
                LogEvent.RETRIED,
                f"Another QuickBooks list (customers, vendors, employees or other names share names) already has "
                f"'{display_name(record)}'; this {kind} goes to QuickBooks with the suffix '{suffix.strip()}' "
                "(setting duplicate_names: suffix).",
                rs.status_code,
            )
            return Transition(
                Result.AGAIN, next_action=QueueAction.SEND, unknown_outcome=False, name_suffix=suffix, log=(line,)
            )
        line = LogLine(LogEvent.RETRIED, "Not in QuickBooks yet; sending it.", rs.status_code)
        return Transition(Result.AGAIN, next_action=QueueAction.SEND, unknown_outcome=False, log=(line,))


def _failed(status_code: int | None, message: str, kind: str, rs: Answer, logged: str | None = None) -> Transition:
    """Fail the record with `message`, and say so on its log (as a sent request's refusal is), where the failed
    syncs are counted."""
    return failed(status_code, message, kind, log=(LogLine(LogEvent.FAILED, logged or message, rs.status_code),))


def _distinct_name(ctx: Answering, record: Record, other: Record, entry: str, rs: Answer) -> Transition:
    """Give a record whose name QuickBooks has for another of our records a distinct name, or fail it."""
    kind = record.kind.value
    settings = naming.settings_of(ctx.company)
    # A link-only item is QuickBooks' own under its own name: a second record for it is an error, never a rename.
    may_rename = naming.suffixes_on(settings) and not link_only(record)
    suffix = naming.next_number_suffix(ctx.db, ctx.company, record) if may_rename else None
    if suffix is None:
        message = naming.clash_message(record, other, entry)
        return _failed(3100, message, kind, rs)
    inp = request_input(ctx.db, ctx.company, record)
    new_name = builders.full_name(replace(inp, name_suffix=suffix)) or suffix
    line = LogLine(
        LogEvent.RETRIED,
        f"QuickBooks' '{entry}' is already linked to {other.kind.value} '{display_name(other)}' "
        f"({other.external_id}); this {kind} goes to QuickBooks as '{new_name}' (setting duplicate_names: suffix).",
        rs.status_code,
    )
    return Transition(
        Result.AGAIN, next_action=QueueAction.SEND, unknown_outcome=False, name_suffix=suffix, log=(line,)
    )


def link_only(record: Record) -> bool:
    """Tell whether a record is an item QuickBooks already has, which we find by name and never add or change."""
    return record.kind is RecordKind.ITEM and bool((record.data or {}).get("link_only"))


def keeps_quickbooks(settings: Mapping[str, Any], record: Record) -> bool:
    """Tell whether QuickBooks keeps its own values when the record is linked (link policy keep_quickbooks)."""
    return record.kind.is_list and kind_choice(settings, "link_policy", record.kind.value) == "keep_quickbooks"


_ITEM_RETS = {
    "service": "ItemServiceRet",
    "non_inventory": "ItemNonInventoryRet",
    "other_charge": "ItemOtherChargeRet",
    "inventory": "ItemInventoryRet",
    "inventory_assembly": "ItemInventoryAssemblyRet",
    "discount": "ItemDiscountRet",
    "sales_tax": "ItemSalesTaxRet",
    "group": "ItemGroupRet",
    "payment": "ItemPaymentRet",
}


def _other_item_type(record: Record, ret: etree._Element) -> bool:
    """Tell whether QuickBooks' item with our item's name is of another type than the record says."""
    if record.kind is not RecordKind.ITEM:
        return False
    tag = str(ret.tag)
    return tag != _ITEM_RETS.get(str((record.data or {}).get("type")), tag)


def _found(answer: Answer | None) -> bool:
    """Tell whether QuickBooks found entries for a lookup."""
    return answer is not None and policy.meaning(answer.status_code, Request.LOOKUP) is Action.SUCCEED
