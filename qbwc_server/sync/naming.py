"""Same names never collapse: one QuickBooks entry belongs to one record, and a clash gets a distinct name.

QuickBooks keeps names unique per list (customers and their jobs by full name; items; and customers, vendors,
employees and other names together). When the name a record would have is already an entry linked to another of
our records, or belongs to another list, the record gets a suffix (setting duplicate_names: suffix) or waits for a
person (duplicate_names: error):

- "Smith, John" taken by another of our customers: "Smith, John (2)", then "(3)" and so on, the first free one;
- a vendor named like a customer, employee or other name: "Ferguson Supply (V)"; a customer named like a vendor:
  "Ferguson Supply (C)".
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server.company_settings import effective
from qbwc_server.models import Company, Record, RecordKind
from qbwc_server.sync import builders
from qbwc_server.sync.builders.types import RequestInput
from qbwc_server.sync.outgoing import request_input
from qbwc_server.sync.planner import display_name

MAX_NUMBER = 99
OTHER_LIST_SUFFIX = {RecordKind.VENDOR: " (V)", RecordKind.CUSTOMER: " (C)"}


def same_list(kind: RecordKind) -> tuple[RecordKind, ...]:
    """Return the kinds of record that share a QuickBooks list (customers and jobs share the customer list)."""
    return (RecordKind.CUSTOMER, RecordKind.JOB) if kind in (RecordKind.CUSTOMER, RecordKind.JOB) else (kind,)


def holder(db: Session, company: Company, record: Record, qb_id: str) -> Record | None:
    """Return the other record of ours already linked to a QuickBooks entry, if any."""
    return db.scalar(
        select(Record).where(
            Record.company_id == company.id,
            Record.kind.in_(same_list(record.kind)),
            Record.qb_id == qb_id,
            Record.id != record.id,
        )
    )


def suffixes_on(settings: dict[str, object]) -> bool:
    """Tell whether clashing names get a suffix (else they wait for a person)."""
    return settings.get("duplicate_names", "suffix") == "suffix"


def next_number_suffix(db: Session, company: Company, record: Record) -> str | None:
    """Return the first " (n)" that gives the record a full name none of our other records has or is about to get."""
    inp = request_input(db, company, record)
    taken = _names_in_use(db, company, record)
    for number in range(2, MAX_NUMBER + 1):
        suffix = f" ({number})"
        name = _full_name(replace(inp, name_suffix=suffix))
        if name is not None and name.casefold() not in taken:
            return suffix
    return None


def other_list_suffix(record: Record) -> str | None:
    """Return the suffix for a name another list (vendors, customers, employees, other names) holds, or None."""
    suffix = OTHER_LIST_SUFFIX.get(record.kind)
    return None if suffix is None or record.name_suffix == suffix else suffix


def clash_message(record: Record, other: Record, entry: str) -> str:
    """Return the words for a name another record of ours already has in QuickBooks."""
    kind = record.kind.value
    return (
        f"QuickBooks' {kind} '{entry}' is already linked to {other.kind.value} '{display_name(other)}' "
        f"({other.external_id}); one QuickBooks entry is never shared by two records. Link this {kind} to another "
        "QuickBooks entry on its page, give it another name, or set duplicate_names to suffix."
    )


def _names_in_use(db: Session, company: Company, record: Record) -> set[str]:
    """Return the full names (casefolded) other records of the list hold or are about to get with a suffix."""
    kinds = same_list(record.kind)
    rows = db.execute(
        select(Record.qb_full_name).where(
            Record.company_id == company.id,
            Record.kind.in_(kinds),
            Record.id != record.id,
            Record.qb_full_name.is_not(None),
        )
    ).all()
    names = {str(name).casefold() for (name,) in rows}
    suffixed = db.scalars(
        select(Record).where(
            Record.company_id == company.id,
            Record.kind.in_(kinds),
            Record.id != record.id,
            Record.name_suffix.is_not(None),
            Record.qb_id.is_(None),
        )
    ).all()
    for other in suffixed:
        name = _full_name(request_input(db, company, other))
        if name is not None:
            names.add(name.casefold())
    return names


def _full_name(inp: RequestInput) -> str | None:
    try:
        return builders.full_name(inp)
    except builders.RecordProblem:
        return None


def settings_of(company: Company) -> dict[str, object]:
    """Return the company's effective settings."""
    return effective(company.settings)
