"""Turn a queue item into the qbXML request for it, from the record's current state."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from qbwc_server.company_settings import effective
from qbwc_server.models import Company, Origin, QueueAction, QueueItem, Record
from qbwc_server.queue import find_records
from qbwc_server.sync import builders
from qbwc_server.sync.builders import invoices
from qbwc_server.sync.dependencies import prerequisites


@dataclass
class Outgoing:
    """One rendered request and what is needed to file its answer."""

    item: QueueItem
    record: Record
    built: builders.Built
    is_add: bool
    group: str | None = None  # the requestID of a query shared with other items


Predicted = dict[tuple[str, str], builders.QbRef]


def request_input(
    db: Session, company: Company, record: Record, predicted: Predicted | None = None
) -> builders.RequestInput:
    """Gather what the builders need: data, settings, the record's QuickBooks identity and its references.

    `predicted` holds the full names of list records added earlier in the same message set (no ListID yet).
    """
    refs = prerequisites(record.kind, record.data or {})
    found = find_records(db, company.id, refs)
    qb_refs = dict(predicted or {})
    qb_refs.update(
        {
            (kind.value, external_id): builders.QbRef(id=r.qb_id, full_name=r.qb_full_name)
            for (kind, external_id), r in found.items()
            if r.qb_id
        }
    )
    identity = None
    if record.qb_id:
        identity = builders.QbIdentity(
            id=record.qb_id,
            edit_sequence=record.qb_edit_sequence or "",
            full_name=record.qb_full_name,
            line_ids=dict(record.qb_line_ids or {}),
        )
    return builders.RequestInput(
        kind=record.kind.value,
        external_id=record.external_id,
        data=record.data or {},
        settings=effective(company.settings),
        qb=identity,
        refs=qb_refs,
    )


def render(
    db: Session, company: Company, item: QueueItem, record: Record, predicted: Predicted | None = None
) -> Outgoing:
    """Render the request for an item; raises builders.RecordProblem when the record cannot be sent as it is."""
    inp = request_input(db, company, record, predicted)
    request_id = str(item.id)
    if item.action is QueueAction.LOOKUP:
        built = builders.build_lookup(inp, request_id)
        return Outgoing(item, record, built, is_add=False)
    if item.action is QueueAction.REFRESH and record.qb_id:
        built = builders.build_refresh(record.kind.value, record.qb_id, request_id)
        return Outgoing(item, record, built, is_add=False)
    if inp.qb is None and record.origin is Origin.QUICKBOOKS:
        # It came from QuickBooks and QuickBooks no longer has it: someone deleted it there on purpose.
        raise builders.RecordProblem(
            "quickbooks",
            "This record was imported from QuickBooks and is no longer there, so it is not added back. "
            "Import again, or exclude it.",
        )
    built = builders.build(inp, request_id)
    if predicted is not None and inp.qb is None and record.kind.value in ("customer", "job", "item", "vendor"):
        name = builders.full_name(inp)
        if name:
            predicted[(record.kind.value, record.external_id)] = builders.QbRef(id="", full_name=name)
    return Outgoing(item, record, built, is_add=inp.qb is None)


GROUP_SIZE = 50


def render_grouped_lookups(db: Session, company: Company, pairs: list[tuple[QueueItem, Record]]) -> list[Outgoing]:
    """Render first-sync invoice lookups as shared InvoiceQuery requests of up to GROUP_SIZE numbers each."""
    outgoing: list[Outgoing] = []
    for start in range(0, len(pairs), GROUP_SIZE):
        group = pairs[start : start + GROUP_SIZE]
        request_id = f"lookup-{group[0][0].id}"
        inputs = [request_input(db, company, record) for _, record in group]
        built = invoices.build_lookup_many(inputs, request_id)
        outgoing.extend(Outgoing(item, record, built, is_add=False, group=request_id) for item, record in group)
    return outgoing
