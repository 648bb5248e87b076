"""What the steps render from: a record's request input, and the rendered request with its queue item."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from qbwc_server.company_settings import effective, kind_choice
from qbwc_server.models import Company, RecordKind
from qbwc_server.sync import builders
from qbwc_server.sync.planned import Queued, Renderable
from qbwc_server.sync.references import find_referenced, prerequisites_of


@dataclass
class Outgoing:
    """One rendered request and what is needed to file its answer."""

    item: Queued
    record: Renderable | None  # None for an item about no record (a page of an import)
    built: builders.Built
    is_add: bool
    group: str | None = None  # the requestID of a query shared with other items
    edit_sequence: str | None = None  # the EditSequence a Mod carries


Predicted = dict[tuple[str, str], builders.QbRef]


def request_input(
    db: Session,
    company: Company,
    record: Renderable,
    predicted: Predicted | None = None,
    *,
    references: bool = True,
) -> builders.RequestInput:
    """Gather what the builders need: data, settings, the record's QuickBooks identity and its references.

    `predicted` holds the full names of list records added earlier in the same message set (no ListID yet).
    Without `references`, the input names none (for a request that reads only the record's own fields).
    """
    refs = prerequisites_of(db, record) if references else []
    found = find_referenced(db, company.id, refs)
    qb_refs = dict(predicted or {})
    qb_refs.update(
        {
            (kind.value, external_id): builders.QbRef(
                id=r.qb_id,
                full_name=r.qb_full_name,
                group=kind is RecordKind.ITEM and (r.data or {}).get("type") == "group",
            )
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
    settings = effective(company.settings)
    keeps = record.kind.is_list and kind_choice(settings, "link_policy", record.kind.value) == "keep_quickbooks"
    return builders.RequestInput(
        kind=record.kind.value,
        external_id=record.external_id,
        data=record.data or {},
        settings=settings,
        qb=identity,
        refs=qb_refs,
        name_suffix=record.name_suffix or "",
        linked=record.linked_data if keeps and record.qb_id and record.linked_data is not None else None,
    )
