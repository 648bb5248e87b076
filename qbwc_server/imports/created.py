"""Records an import chunk creates: held as column values until the chunk's one multi-row INSERT, which gives them
their ids. Later entries of the chunk (a customer's jobs, an invoice's customer) read them meanwhile.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from qbwc_server.models import Origin, Record, RecordKind


class Created:
    """A record this chunk creates, until its multi-row INSERT: what later entries of the chunk read of it."""

    __slots__ = ("id", "kind", "external_id", "data", "origin", "qb_id", "qb_edit_sequence", "row")

    def __init__(self, row: dict[str, Any]) -> None:
        self.id: int | None = None
        self.kind: RecordKind = row["kind"]
        self.external_id: str = row["external_id"]
        self.data: dict[str, Any] = row["data"]
        self.origin = Origin.QUICKBOOKS
        self.qb_id: str = row["qb_id"]
        self.qb_edit_sequence: str | None = row["qb_edit_sequence"]
        self.row = row


def insert_all(db: Session, new: list[Created]) -> None:
    """Insert these records in one multi-row INSERT per set of columns, and give each its id."""
    if not new:
        return
    table = Record.metadata.tables[Record.__tablename__]
    statement = insert(table).returning(table.c.id, table.c.kind, table.c.external_id)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for created in new:  # one statement's rows share their columns (a list record has no figures)
        by_columns.setdefault(tuple(created.row), []).append(created.row)
    ids: dict[tuple[RecordKind, str], int] = {}
    for rows in by_columns.values():
        ids.update({(kind, external_id): id_ for id_, kind, external_id in db.execute(statement, rows)})
    for created in new:
        created.id = ids[(created.kind, created.external_id)]
        created.row = {}
