"""Small factories for tests: companies and records inserted directly, without going through the API."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from qbwc_server import companies
from qbwc_server.models import Company, Record, RecordKind, SentInfo
from qbwc_server.sync import lifecycle, queue
from qbwc_server.sync.lifecycle import Event, ItemEvent
from qbwc_server.sync.policy import quickbooks_error

_numbers = itertools.count(1)


def make_company(
    db: Session,
    slug: str | None = None,
    *,
    name: str | None = None,
    qbwc_username: str | None = None,
    password: str | None = None,
    columns: dict[str, Any] | None = None,
    **settings: Any,
) -> Company:
    """Insert a company with unique GUIDs and the given sync settings; every conftest's company comes from here.

    With a password the company is created as the CLI creates it (a real Web Connector password hash); other
    columns (paused, owner_id, …) go in `columns`.
    """
    n = next(_numbers)
    slug = slug or f"company-{n}"
    name = name or slug.replace("-", " ").title()
    username = qbwc_username or f"user-{slug}"
    if password is not None:
        company = companies.create_company(db, slug, name, username, password)
    else:
        company = Company(
            slug=slug,
            name=name,
            qbwc_username=username,
            password_hash="not-a-real-hash",
            owner_id=f"{{00000000-0000-4000-8000-{n:012d}}}",
            file_id=f"{{00000000-0000-4000-9000-{n:012d}}}",
        )
        db.add(company)
    if settings:
        company.settings = {**(company.settings or {}), **settings}
    for key, value in (columns or {}).items():
        setattr(company, key, value)
    db.flush()
    return company


def make_record(db: Session, company: Company, kind: RecordKind, external_id: str, **data: Any) -> Record:
    """Insert a record with the given data, not yet queued."""
    record = Record(company_id=company.id, kind=kind, external_id=external_id, data=data)
    db.add(record)
    db.flush()
    return record


def refuse(db: Session, record: Record, status_code: int, message: str) -> None:
    """Fail a queued record as QuickBooks' refusal would: its open item ends and the record shows the error."""
    item = queue.open_item(db, record)
    error = quickbooks_error(status_code, message, record.kind.value)
    if item is not None:
        lifecycle.move_item(item, ItemEvent.FAIL, error=error.message)
    lifecycle.move(db, record, Event.FAIL, error)


def claim(db: Session, record: Record, ticket: str) -> bool:
    """Hand a record's open item to a session, as sendRequestXML does."""
    item = queue.open_item(db, record)
    assert item is not None
    info = SentInfo(rq_type=f"{record.kind.value.title()}AddRq", add=record.qb_id is None, version=record.version)
    return lifecycle.claim(db, item, ticket, info)
