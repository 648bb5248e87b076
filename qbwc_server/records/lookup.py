"""Find the record a single PUT names, with its open queue item, as plain columns made into the session's objects.

A PUT's lookup is read through the connection (a new record, the common case, costs a lookup and nothing more).
Through the API it rides along in the token check's SELECT (`with_token`): the token, its company, the record and
its open item in one statement, so a PUT costs one lookup fewer.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, and_, bindparam, inspect, select, text
from sqlalchemy.orm import Session, make_transient_to_detached

from qbwc_server import tokens
from qbwc_server.db import held
from qbwc_server.models import Company, CompanyRef, QueueItem, Record, RecordKind, is_open


def find_with_item(
    db: Session, company: CompanyRef, kind: RecordKind, external_id: str
) -> tuple[Record | None, QueueItem | None]:
    """Return a record by external_id and its open queue item, read in one query (None, None when it is new).

    Read through the connection as plain columns (a new record, the common case, costs a Core lookup and nothing
    more); a stored one and its item become the session's objects as loaded, without reading them again.
    """
    db.flush()  # a Core statement does not flush the session: what it holds is written first, as a query would
    row = db.connection().execute(_FIND_WITH_ITEM, {"company_id": company.id, "kind": kind, "external_id": external_id})
    return from_row(db, row.first(), 0)


def with_token(kind: RecordKind, external_id: str) -> tuple[Select[Any], dict[str, Any]]:
    """Return the token check's query with this record and its open item joined, and its parameters
    (for `tokens.check_joined`; `found` reads the record from its row)."""
    return _WITH_TOKEN, {"kind": kind, "external_id": external_id}


class Columns(SimpleNamespace):
    """A stored record's (or queue item's) columns as attributes, read and not made into the session's object: what
    showing it and an edit through Core statements (`records/edit.py`) read of it. `loaded` makes it one."""


def found(db: Session, row: Any) -> tuple[Any, Any]:
    """Return the record and open item of a row of `with_token`'s query (None, None when it is new), as `Columns`.

    When the session holds either already, both are the session's objects, as `find_with_item` returns them.
    """
    start, item_start = _TOKEN_WIDTH, _TOKEN_WIDTH + len(_RECORD_COLUMNS)
    if row is None or row[start] is None:
        return None, None
    if held(db, Record, row[start]) is not None or (
        row[item_start] is not None and held(db, QueueItem, row[item_start]) is not None
    ):
        return from_row(db, row, start)
    record = Columns(**dict(zip(_RECORD_COLUMNS, row[start:item_start], strict=True)))
    if row[item_start] is None:
        return record, None
    return record, Columns(**dict(zip(_ITEM_COLUMNS, row[item_start : item_start + len(_ITEM_COLUMNS)], strict=True)))


def loaded(db: Session, record: Any, item: Any) -> tuple[Record, QueueItem | None]:
    """Return the session's objects of a record and its item (or None) given as `Columns`, as they were read; the
    same objects when they are the session's already."""
    if not isinstance(record, Columns):
        return record, item
    columns = vars(record)
    as_record = _as_loaded(db, Record, _RECORD_COLUMNS, [columns[key] for key in _RECORD_COLUMNS], 0)
    if item is None:
        return as_record, None
    columns = vars(item)
    return as_record, _as_loaded(db, QueueItem, _ITEM_COLUMNS, [columns[key] for key in _ITEM_COLUMNS], 0)


def from_row(db: Session, row: Any, start: int) -> tuple[Record | None, QueueItem | None]:
    """Return the record and its item read as columns from `start` of a row (None, None for no row or no record)."""
    if row is None or row[start] is None:
        return None, None
    record = _as_loaded(db, Record, _RECORD_COLUMNS, row, start)
    item_start = start + len(_RECORD_COLUMNS)
    item = None if row[item_start] is None else _as_loaded(db, QueueItem, _ITEM_COLUMNS, row, item_start)
    return record, item


def _as_loaded(db: Session, model: Any, keys: tuple[str, ...], row: Any, start: int) -> Any:
    """Return the session's object of a row read as columns: the one it holds already, else one made as loaded."""
    known = held(db, model, row[start])
    if known is not None:
        return known  # as a query would: what the session holds is not overwritten
    # Its columns go in as a query's would, with no change events: the object is as loaded, nothing to write.
    loaded = inspect(model).class_manager.new_instance()
    vars(loaded).update(zip(keys, row[start : start + len(keys)], strict=True))
    make_transient_to_detached(loaded)
    db.add(loaded)
    return loaded


def _columns(model: Any) -> tuple[str, ...]:
    """The attribute names of a model's columns, its primary key first."""
    keys = [attribute.key for attribute in inspect(model).column_attrs]
    keys.remove("id")
    return ("id", *keys)


_RECORD_COLUMNS = _columns(Record)
_ITEM_COLUMNS = _columns(QueueItem)
_FOUND = (*(getattr(Record, key) for key in _RECORD_COLUMNS), *(getattr(QueueItem, key) for key in _ITEM_COLUMNS))
# At most one open item: the queue keeps one open item per record, so an edit knows whether it is queued. The open
# statuses are written into the statement's text as `is_open` writes them, once here rather than at every execution.
_OPEN = text(str(is_open().compile(compile_kwargs={"literal_binds": True})))
_ITEM_OPEN = and_(QueueItem.record_id == Record.id, _OPEN)
# Built once: the record and its open queue item, on the unique (company, kind, external_id) index.
_FIND_WITH_ITEM = (
    select(*_FOUND)
    .outerjoin(QueueItem, _ITEM_OPEN)
    .where(
        Record.company_id == bindparam("company_id"),
        Record.kind == bindparam("kind"),
        Record.external_id == bindparam("external_id"),
    )
)
# … and the same joined to the token check's one row (the token's company is the record's).
_TOKEN_WIDTH = len(tokens.BY_DIGEST.selected_columns)
_WITH_TOKEN = (
    tokens.BY_DIGEST.add_columns(*_FOUND)
    .outerjoin(
        Record,
        and_(
            Record.company_id == Company.id,
            Record.kind == bindparam("kind"),
            Record.external_id == bindparam("external_id"),
        ),
    )
    .outerjoin(QueueItem, _ITEM_OPEN)
)
