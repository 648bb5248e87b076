"""Small factories for tests: companies and records inserted directly, without going through the API."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from qbwc_server.models import Company, Record, RecordKind

_numbers = itertools.count(1)


def make_company(db: Session, slug: str | None = None, **settings: Any) -> Company:
    """Insert a company with fixed GUIDs and the given sync settings."""
    n = next(_numbers)
    slug = slug or f"company-{n}"
    company = Company(
        slug=slug,
        name=slug.title(),
        qbwc_username=f"user-{slug}",
        password_hash="not-a-real-hash",
        owner_id=f"{{00000000-0000-4000-8000-{n:012d}}}",
        file_id=f"{{00000000-0000-4000-9000-{n:012d}}}",
        settings=dict(settings),
    )
    db.add(company)
    db.flush()
    return company


def make_record(db: Session, company: Company, kind: RecordKind, external_id: str, **data: Any) -> Record:
    """Insert a record with the given data, not yet queued."""
    record = Record(company_id=company.id, kind=kind, external_id=external_id, data=data)
    db.add(record)
    db.flush()
    return record
