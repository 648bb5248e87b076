"""Many rows of one table in one INSERT whose text does not grow with the rows: what a batch writes on PostgreSQL.

On PostgreSQL the rows go as one array per column (`INSERT … SELECT … FROM unnest(…) WITH ORDINALITY`, in the order
given). The statement's text is the same for a row or a thousand, so SQLAlchemy and psycopg keep it compiled and
parsed, PostgreSQL plans it once (and psycopg prepares it on a connection that runs it often), and the server runs
one insert instead of one per row. The other ways cost more per row: a multi-row `VALUES` is a new text each time,
which psycopg parses and PostgreSQL plans anew (eleven thousand placeholders for a thousand records), and
`executemany` (psycopg's pipeline) sends and runs one statement per row. SQLite keeps `executemany`, which its
driver runs in-process.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Column, Insert, Row, Table, bindparam, column, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

ARRAYS_FROM = 4  # rows; measured: a single PUT's two log lines as arrays cost it 190 Python calls more (of 3,000)


def insert(
    db: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    skip_existing: bool = False,
    returning: tuple[Column[Any], ...] = (),
) -> Sequence[Row[Any]]:
    """Insert `rows` (column values, all with the same keys) in their order; return the `returning` columns' rows.

    `skip_existing`: a row that clashes with a unique key is left out (ON CONFLICT DO NOTHING), not an error.
    The statement runs on the session's connection, as the session's own execute would add its ORM bookkeeping
    (and it does not flush the session: what the caller holds must be flushed first).
    """
    if not rows:
        return []
    dialect = db.get_bind().dialect.name
    columns = tuple(rows[0])
    # A few rows (a single PUT's record, queue item and two log lines) cost fewer Python calls as before: one row as
    # a one-row VALUES, whose text is as fixed, two or three through psycopg's pipeline.
    arrays = dialect == "postgresql" and len(rows) >= ARRAYS_FROM
    statement = _statement(dialect, arrays, table, columns, skip_existing, returning)
    if arrays:
        result = db.connection().execute(statement, {name: [row[name] for row in rows] for name in columns})
    else:
        result = db.connection().execute(statement, list(rows) if len(rows) > 1 else rows[0])
    return result.all() if returning else []


@cache
def _statement(
    dialect: str,
    arrays: bool,
    table: Table,
    columns: tuple[str, ...],
    skip_existing: bool,
    returning: tuple[Column[Any], ...],
) -> Insert:
    """Build the INSERT once per table, columns and options (the statement, not any data, is kept)."""
    statement: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    if arrays:
        given = (
            func.unnest(*(bindparam(name, type_=postgresql.ARRAY(table.c[name].type)) for name in columns))
            .table_valued(*(column(name, table.c[name].type) for name in columns), with_ordinality="position")
            .render_derived(name="given")
        )
        source = select(*(given.c[name] for name in columns)).order_by(given.c.position)
        statement = statement.from_select(list(columns), source)
    if skip_existing:
        statement = statement.on_conflict_do_nothing()
    if returning:
        statement = statement.returning(*returning)
    return statement
