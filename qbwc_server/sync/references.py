"""Finding the records a record references (an invoice's customer and items, a payment's invoices) by kind and
external id, and remembering them for one SOAP call so that a message set looks each one up once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, load_only

from qbwc_server.models import CompanyRef, Record, RecordKind
from qbwc_server.sync.dependencies import prerequisites


def referenced_records(db: Session, company: CompanyRef, record: Record) -> list[Record]:
    """Return the stored records this record references (missing ones are simply absent)."""
    refs = prerequisites(record.kind, record.data or {})
    if not refs:
        return []
    found = find_records(db, company.id, refs)
    return [found[ref] for ref in refs if ref in found]


def find_records(
    db: Session, company_id: int, refs: Iterable[tuple[RecordKind, str]]
) -> dict[tuple[RecordKind, str], Record]:
    """Look up records by (kind, external_id) in one query (none inside `remembering` when all were found before)."""
    refs = list(refs)
    if not refs:
        return {}
    known: dict[tuple[int, RecordKind, str], Record] | None = db.info.get(_KNOWN)
    found: dict[tuple[RecordKind, str], Record] = {}
    missing = refs
    if known is not None:
        # Only the records not found before are asked for: the batch's shared items (and the customers planning
        # found) were loaded again, and decoded again, by every later look-up of the same SOAP call.
        missing = []
        for ref in refs:
            record = known.get((company_id, *ref))
            if record is None:
                missing.append(ref)
            else:
                found[ref] = record
        if not missing:
            return found
    ids = {external_id for _, external_id in missing}
    kinds = {kind for kind, _ in missing}
    # The kind too, so the unique (company, kind, external_id) index finds each one; without it the query read
    # every record of the company (a 200,000-record company paid that for each invoice and payment it synced).
    rows = db.scalars(_FIND, {"company_id": company_id, "kinds": list(kinds), "ids": list(ids)}).all()
    wanted = set(missing)
    loaded = {(r.kind, r.external_id): r for r in rows if (r.kind, r.external_id) in wanted}
    if known is not None:
        known.update({(company_id, *ref): r for ref, r in loaded.items()})
    found.update(loaded)
    return found


# Built once (planning, rendering and filing each ask it per message set): building the select cost a third of it.
# A referenced record is read for its identity, state and data (a settled invoice for its totals); its other JSON
# and date columns are left to load if ever read (decoding them was most of loading each batch's customers and
# items). A record loaded in full before, or later (the batch's own records), is not changed by this.
_FIND = (
    select(Record)
    .where(
        Record.company_id == bindparam("company_id"),
        Record.kind.in_(bindparam("kinds", expanding=True)),
        Record.external_id.in_(bindparam("ids", expanding=True)),
    )
    .options(
        load_only(
            Record.company_id,
            Record.kind,
            Record.external_id,
            Record.data,
            Record.origin,
            Record.version,
            Record.qb_id,
            Record.qb_edit_sequence,
            Record.qb_full_name,
            Record.name_suffix,
            Record.qb_totals,
            Record.sync_state,
            Record.last_error,
            Record.removal,
        )
    )
)

_KNOWN = "sync.known_records"  # the Session.info key of the records `remembering` keeps


@contextmanager
def remembering(db: Session) -> Iterator[None]:
    """Inside the block, a record found by kind and external id once is not looked up again.

    Rendering, planning and filing a message set look up each record's references (an invoice's customer and
    items) again and again, one query per record each time, and each query flushed the changes of the record
    before it one by one. The records kept are the session's own objects, so they show every change made since;
    a reference not found is asked again (it may have been added since). The block is one SOAP call's work.
    """
    if _KNOWN in db.info:
        yield
        return
    db.info[_KNOWN] = {}
    try:
        yield
    finally:
        del db.info[_KNOWN]


def remembered(db: Session, company_id: int, kind: RecordKind, qb_id: str) -> Record | None:
    """Inside `remembering`, return a record found before that has this QuickBooks id, or None."""
    known: dict[tuple[int, RecordKind, str], Record] = db.info.get(_KNOWN, {})
    for (known_company, known_kind, _), record in known.items():
        if known_company == company_id and known_kind is kind and record.qb_id == qb_id:
            return record
    return None


def find_references(db: Session, company_id: int, records: Iterable[Record]) -> None:
    """Inside `remembering`, look up the references of several records in one query, ahead of their use."""
    if _KNOWN not in db.info:
        return
    refs = {ref for record in records for ref in prerequisites(record.kind, record.data or {})}
    if refs:
        find_records(db, company_id, refs)
