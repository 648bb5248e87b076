"""A single new record, its queue item and its log lines written by one PostgreSQL statement.

A PUT of a new record wrote three INSERTs on PostgreSQL (the record returning its id, then its queue item and its
log lines, which need that id), each a round trip of its own and each bound, sent and answered through SQLAlchemy
and psycopg. Here the record's INSERT is a data-modifying `WITH` whose returned id the queue item's and the log's
INSERTs take (`INSERT … SELECT … FROM new_record`), so the three go as one statement. A record another request
inserted meanwhile is skipped as before (`ON CONFLICT DO NOTHING`): nothing is returned, so neither its queue item
nor its log lines go in, and the caller stores the PUT as an update of theirs.

The statement is built once per shape (which columns, a queue item or none, how many log lines), so its text is
fixed and psycopg prepares it on a connection that runs it often. The log lines keep their order (`ORDER BY` their
position): their ids are the order a record's log is shown in.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, Table, bindparam, literal_column, select, true, union_all
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from qbwc_server.models import QueueItem, Record, SyncLogEntry

RECORDS: Table = Record.__table__  # type: ignore[assignment]
QUEUE_ITEMS: Table = QueueItem.__table__  # type: ignore[assignment]
SYNC_LOG: Table = SyncLogEntry.__table__  # type: ignore[assignment]


def insert(
    db: Session, record: dict[str, Any], item: dict[str, Any] | None, log: Sequence[dict[str, Any]]
) -> int | None:
    """Insert a record (its column values), its queue item (or None) and its log lines (at least one) in one
    statement; return the record's id, or None when the company has a record with its external_id already.

    The item's and the lines' `record_id`, if given, is not used: the record's new id is. The statement runs on the
    session's connection and does not flush the session (the caller flushes what it holds first).
    """
    statement = _statement(tuple(record), tuple(item) if item is not None else None, tuple(log[0]), len(log))
    params = {f"r_{name}": value for name, value in record.items()}
    if item is not None:
        params.update({f"q_{name}": value for name, value in item.items()})
    for position, line in enumerate(log):
        params.update({f"l{position}_{name}": value for name, value in line.items()})
    return db.connection().execute(statement, params).scalar()


@cache
def _statement(record: tuple[str, ...], item: tuple[str, ...] | None, line: tuple[str, ...], lines: int) -> Select[Any]:
    """Build the statement once per shape: the record's INSERT as `new_record`, the others reading its id."""
    new_record = inserted_id(RECORDS, record, "r_", "new_record")
    written = []
    if item is not None:
        names = [name for name in item if name != "record_id"]
        source = select(
            *(bindparam(f"q_{name}", type_=QUEUE_ITEMS.c[name].type) for name in names), new_record.c.id
        ).select_from(new_record)
        written.append(QUEUE_ITEMS.insert().from_select([*names, "record_id"], source).cte("new_item"))
    names = [name for name in line if name != "record_id"]
    # The lines as a UNION ALL of one-row SELECTs, each with its position (SQLAlchemy does not cache a VALUES).
    given = union_all(
        *(
            select(
                literal_column(str(position), Integer).label("position"),
                *(bindparam(f"l{position}_{name}", type_=SYNC_LOG.c[name].type).label(name) for name in names),
            )
            for position in range(lines)
        )
    ).subquery("given")
    source = (
        select(*(given.c[name] for name in names), new_record.c.id)
        .select_from(new_record)
        .join(given, true())
        .order_by(given.c.position)
    )
    written.append(SYNC_LOG.insert().from_select([*names, "record_id"], source).cte("new_log"))
    return select(new_record.c.id).add_cte(*written)


def inserted_id(table: Table, names: Sequence[str], prefix: str, name: str) -> Any:
    """A one-row INSERT of `table`'s columns `names` (bound as `prefix` + name) that skips a clash with a unique key
    (ON CONFLICT DO NOTHING) and returns the new row's id, as a `WITH` named `name` for a statement to read."""
    return (
        postgresql.insert(table)
        .values({column: bindparam(f"{prefix}{column}", type_=table.c[column].type) for column in names})
        .on_conflict_do_nothing()
        .returning(table.c.id)
        .cte(name)
    )
