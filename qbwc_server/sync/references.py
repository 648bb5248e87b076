"""Finding the records a record references (an invoice's customer and items, a payment's invoices) by kind and
external id, and remembering them for one SOAP call so that a message set looks each one up once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import and_, bindparam, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session, load_only

from qbwc_server.models import CompanyRef, Note, Record, RecordKind, SyncState
from qbwc_server.sync.dependencies import prerequisites

_T = TypeVar("_T")


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
        missing = _not_known(known, company_id, refs, found)
    if missing:
        records = db.scalars(_FIND, _params(company_id, missing)).all()
        wanted = set(missing)
        loaded = {(r.kind, r.external_id): r for r in records if (r.kind, r.external_id) in wanted}
        if known is not None:
            known.update({(company_id, *ref): r for ref, r in loaded.items()})
        found.update(loaded)
    rows: dict[tuple[int, RecordKind, str], Referenced] | None = db.info.get(_ROWS)
    if rows is not None:  # inside `sending`, what is read of them from now on is the records, which may change
        rows.update({(company_id, *ref): r for ref, r in found.items()})
    return found


def _not_known(
    known: Mapping[tuple[int, RecordKind, str], _T],
    company_id: int,
    refs: Iterable[tuple[RecordKind, str]],
    found: dict[tuple[RecordKind, str], _T],
) -> list[tuple[RecordKind, str]]:
    """Put in `found` the references `known` holds; return the others."""
    missing = []
    for ref in refs:
        seen = known.get((company_id, *ref))
        if seen is None:
            missing.append(ref)
        else:
            found[ref] = seen
    return missing


def _params(company_id: int, refs: list[tuple[RecordKind, str]]) -> dict[str, Any]:
    # The kind too, so the unique (company, kind, external_id) index finds each one; without it the query read
    # every record of the company (a 200,000-record company paid that for each invoice and payment it synced).
    kinds = {kind for kind, _ in refs}
    return {"company_id": company_id, "kinds": list(kinds), "ids": list({external_id for _, external_id in refs})}


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
_BY_QB_ID = "sync.known_by_qb_id"  # and of those of them with a QuickBooks id, by it (see `remembered`)


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
        db.info.pop(_BY_QB_ID, None)


def remembered(db: Session, company_id: int, kind: RecordKind, qb_id: str) -> Record | None:
    """Inside `remembering`, return a record found before that has this QuickBooks id, or None."""
    known: dict[tuple[int, RecordKind, str], Record] = db.info.get(_KNOWN, {})
    if not known:
        return None
    # The records found so far by QuickBooks id, indexed again when more were found: a message set of payments
    # settles an invoice each, and looking through every record found for each was quadratic in the set's size.
    indexed: tuple[int, dict[tuple[int, RecordKind, str], Record]] = db.info.get(_BY_QB_ID) or (-1, {})
    size, index = indexed
    if size != len(known):
        index = {}
        for (known_company, known_kind, _), record in known.items():
            if record.qb_id is not None:
                index.setdefault((known_company, known_kind, record.qb_id), record)
        db.info[_BY_QB_ID] = (len(known), index)
    hit = index.get((company_id, kind, qb_id))
    if hit is not None and hit.qb_id == qb_id:
        return hit
    # Not indexed, or its QuickBooks id changed since (an answer filed meanwhile): look through them all.
    for (known_company, known_kind, _), record in known.items():
        if known_company == company_id and known_kind is kind and record.qb_id == qb_id:
            return record
    return None


def find_references(db: Session, company_id: int, records: Iterable[Referenced]) -> None:
    """Inside `remembering` or `sending`, look up the references of several records in one query, ahead of use."""
    if _KNOWN not in db.info and _ROWS not in db.info:
        return
    refs = {ref for record in records for ref in prerequisites_of(db, record)}
    if refs:
        find_referenced(db, company_id, refs)


class Referenced(Protocol):
    """What planning and rendering read of a referenced record: a `Record`, or the `Reference` row of one."""

    @property
    def id(self) -> int: ...  # noqa: D102 - the fields are the record's own
    @property
    def kind(self) -> RecordKind: ...  # noqa: D102
    @property
    def external_id(self) -> str: ...  # noqa: D102
    @property
    def data(self) -> Mapping[str, Any] | None: ...  # noqa: D102
    @property
    def qb_id(self) -> str | None: ...  # noqa: D102
    @property
    def qb_full_name(self) -> str | None: ...  # noqa: D102
    @property
    def sync_state(self) -> SyncState: ...  # noqa: D102
    @property
    def last_error(self) -> Note | None: ...  # noqa: D102


class Reference(NamedTuple):
    """A referenced record as one plain row: what planning and rendering a message set read of it.

    Its `data` is read only where it may be read: an item's (whether it is a group) and, for a record QuickBooks
    knows by no full name, while it is not there or was deleted there (its name in a waiting reason); else None.
    Its `last_error` only when it failed (the reason a dependant waits). A payment's invoice and an invoice's
    customer, read again for each set, were decoded in full for neither.
    """

    id: int
    kind: RecordKind
    external_id: str
    data: Mapping[str, Any] | None
    qb_id: str | None
    qb_full_name: str | None
    sync_state: SyncState
    last_error: Note | None


_SHOWN_BY_DATA = or_(
    Record.kind == RecordKind.ITEM,
    and_(
        func.coalesce(Record.qb_full_name, "") == "",
        or_(func.coalesce(Record.qb_id, "") == "", Record.sync_state == SyncState.QB_DELETED),
    ),
)
_REFERENCE_COLUMNS = {
    "data": type_coerce(case((_SHOWN_BY_DATA, Record.data)), Record.data.type).label("data"),
    "last_error": type_coerce(
        case((Record.sync_state == SyncState.ERROR, Record.last_error)), Record.last_error.type
    ).label("last_error"),
}
_REFERENCE_ROWS = select(*(_REFERENCE_COLUMNS.get(name, getattr(Record, name)) for name in Reference._fields)).where(
    Record.company_id == bindparam("company_id"),
    Record.kind.in_(bindparam("kinds", expanding=True)),
    Record.external_id.in_(bindparam("ids", expanding=True)),
)

_ROWS = "sync.reference_rows"  # the Session.info key of the rows `sending` keeps
_PREREQUISITES = "sync.prerequisites"  # and of each record's prerequisites


@contextmanager
def sending(db: Session) -> Iterator[None]:
    """Inside the block (planning and rendering one message set), references are read as rows, each once.

    Planning and rendering read of a referenced customer or item only its identity, state and data; loading each
    one as an entity (a dozen columns decoded, an object built and tracked) was most of planning a set of invoices.
    A record that planning changes is kept as itself from then on (`changed`), so what is read after shows it.
    """
    if _ROWS in db.info:
        yield
        return
    db.info[_ROWS] = {}
    db.info[_PREREQUISITES] = {}
    try:
        yield
    finally:
        del db.info[_ROWS]
        del db.info[_PREREQUISITES]


def prerequisites_of(db: Session, record: Referenced) -> list[tuple[RecordKind, str]]:
    """Return `prerequisites` of a record; inside `sending`, worked out once per record (planning asks it thrice)."""
    data = record.data or {}
    known: dict[int, tuple[Mapping[str, Any], list[tuple[RecordKind, str]]]] | None = db.info.get(_PREREQUISITES)
    if known is None:
        return prerequisites(record.kind, data)
    seen = known.get(record.id)
    if seen is not None and seen[0] is data:  # the same data: a record's data is replaced, not changed in place
        return seen[1]
    refs = prerequisites(record.kind, data)
    known[record.id] = (data, refs)
    return refs


def find_referenced(
    db: Session, company_id: int, refs: Iterable[tuple[RecordKind, str]]
) -> Mapping[tuple[RecordKind, str], Referenced]:
    """Look up referenced records by (kind, external_id): rows inside `sending` (one query for those not read
    before), else the records themselves (`find_records`)."""
    rows: dict[tuple[int, RecordKind, str], Referenced] | None = db.info.get(_ROWS)
    if rows is None:
        return find_records(db, company_id, refs)
    found: dict[tuple[RecordKind, str], Referenced] = {}
    missing = _not_known(rows, company_id, refs, found)
    known: dict[tuple[int, RecordKind, str], Record] = db.info.get(_KNOWN) or {}
    if missing and known:
        # Records the call found before (filing the last answer, when `has_sendable` plans after it) are used as
        # they are: the same records, read again as rows, cost a query.
        missing = _not_known(known, company_id, missing, found)
    if missing:
        wanted = set(missing)
        for values in db.execute(_REFERENCE_ROWS, _params(company_id, missing)):
            row = Reference(*values)
            ref = (row.kind, row.external_id)
            if ref in wanted:
                found[ref] = rows[(company_id, *ref)] = row
    return found


def changed(db: Session, record: Record) -> None:
    """Inside `sending`, note that planning changed a record: what is read of it from now on is the record itself."""
    rows: dict[tuple[int, RecordKind, str], Referenced] | None = db.info.get(_ROWS)
    if rows is not None:
        rows[(record.company_id, record.kind, record.external_id)] = record


def entity(db: Session, referenced: Referenced) -> Record:
    """Return the record itself of a referenced row (to write to it, or to read what the row does not hold)."""
    if isinstance(referenced, Record):
        return referenced
    record = db.get(Record, referenced.id)
    assert record is not None, "a referenced record read in this transaction is there"
    changed(db, record)
    return record
