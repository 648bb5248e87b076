"""Many rows of one table in one INSERT or UPDATE whose text does not grow with the rows: what a batch writes on
PostgreSQL.

On PostgreSQL the rows go as one array per column (`INSERT … SELECT … FROM unnest(…) WITH ORDINALITY`, in the order
given). The statement's text is the same for a row or a thousand, so SQLAlchemy and psycopg keep it compiled and
parsed, PostgreSQL plans it once (and psycopg prepares it on a connection that runs it often), and the server runs
one insert instead of one per row. The other ways cost more per row: a multi-row `VALUES` is a new text each time,
which psycopg parses and PostgreSQL plans anew (eleven thousand placeholders for a thousand records), and
`executemany` (psycopg's pipeline) sends and runs one statement per row. SQLite keeps `executemany`, which its
driver runs in-process.

`update` does the same for UPDATEs of many rows by id, each row with its own values (`UPDATE … FROM unnest(…)`).
Through `executemany`, a whole sync of 300 customers was 1,500 single-row statements on PostgreSQL (five per
record: the log lines, the record's identity, the queue item's status, the sent information), each parsed, bound,
run and answered on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Column, Connection, Insert, Row, Table, Update, bindparam, column, func, select, sql
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


def update(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Give rows new column values by id: each of `rows` holds a row's `id` and its values (all with the same keys).

    Each id once. On PostgreSQL, from `ARRAYS_FROM` rows on, one statement whose text is the same for any number of
    rows; else one `executemany` of the single-row UPDATE.
    """
    if not rows:
        return
    dialect = connection.dialect.name
    columns = tuple(name for name in rows[0] if name != "id")
    arrays = dialect == "postgresql" and len(rows) >= ARRAYS_FROM
    statement = _update(arrays, table, columns)
    if arrays:
        connection.execute(statement, {f"b_{name}": [row[name] for row in rows] for name in ("id", *columns)})
    else:
        connection.execute(statement, [{f"b_{name}": value for name, value in row.items()} for row in rows])


def update_all(
    connection: Connection,
    groups: Sequence[tuple[Table, Sequence[dict[str, Any]]]],
    inserts: Sequence[tuple[Table, Sequence[dict[str, Any]]]] = (),
) -> None:
    """Write several `update`s (each a table and its rows, the rows of one group with the same keys, each row in
    one group only), after the `inserts` (rows `hold` left, inserted in their order).

    On PostgreSQL the inserts and the groups of `ARRAYS_FROM` rows or more go as one statement, each but the last a
    data-modifying `WITH` before it: one round trip and one execution instead of one per group (a message set's
    filed answers add its log lines and change its records and its queue items). The parts touch different rows
    (the inserted rows are new and no UPDATE reads them), so running them as one statement (one snapshot, no part
    seeing another's changes) writes what running them one after the other writes.
    """
    postgres = connection.dialect.name == "postgresql"
    together = [(table, rows) for table, rows in groups if postgres and len(rows) >= ARRAYS_FROM]
    if len(inserts) + len(together) < 2:
        together = []
    for table, rows in groups:
        if not any(rows is joined for _, joined in together):
            update(connection, table, rows)
    parts: list[tuple[bool, Table, tuple[str, ...]]] = []
    params: dict[str, Any] = {}
    for n, (table, rows) in enumerate([*inserts, *together]):
        adding = n < len(inserts)
        names = tuple(rows[0]) if adding else ("id", *(name for name in rows[0] if name != "id"))
        parts.append((adding, table, names))
        params.update({f"g{n}_{name}": [row[name] for row in rows] for name in names})
    if parts:
        connection.execute(_together(tuple(parts)), params)


@cache
def _together(parts: tuple[tuple[bool, Table, tuple[str, ...]], ...]) -> Any:
    """Build the INSERTs and UPDATEs of `update_all` as one statement, once per shape (`g<n>_` names)."""
    statements: list[Any] = []
    for n, (adding, table, names) in enumerate(parts):
        prefix = f"g{n}_"
        if adding:
            given = _given(table, names, prefix=prefix, numbered=True)
            source = select(*(given.c[name] for name in names)).order_by(given.c.position)
            statements.append(postgresql.insert(table).from_select(list(names), source))
        else:
            given = _given(table, names, prefix=prefix)
            values = {name: given.c[name] for name in names if name != "id"}
            statements.append(sql.update(table).where(table.c.id == given.c.id).values(values))
    *first, last = statements
    return last.add_cte(*(statement.cte(f"written_{n}") for n, statement in enumerate(first))) if first else last


_HELD = "multirow.held"  # the Session.info key of the inserts `hold` left for a `holding` block (PostgreSQL)


def holding(db: Session) -> list[tuple[Table, Sequence[dict[str, Any]]]] | None:
    """Open a block (PostgreSQL) whose writer takes the inserts `hold` leaves: return the list they go in, else None.

    Its writer passes them to `update_all` with its UPDATEs, and must do so before anything else reaches the
    database that could read them (as `sync.staging` writes its held values); `release` ends the block.
    """
    if db.get_bind().dialect.name != "postgresql" or _HELD in db.info:
        return None
    held: list[tuple[Table, Sequence[dict[str, Any]]]] = []
    db.info[_HELD] = held
    return held


def release(db: Session, held: list[tuple[Table, Sequence[dict[str, Any]]]] | None) -> None:
    """End the block `holding` opened (a no-op for its None); inserts still held are dropped with it."""
    if held is not None and db.info.get(_HELD) is held:
        del db.info[_HELD]


def hold(db: Session, table: Table, rows: Sequence[dict[str, Any]]) -> bool:
    """Leave rows (a batch of `ARRAYS_FROM` or more) to the session's open `holding` block, to go in with its
    writes; False (nothing done) when there is none: the caller inserts them itself."""
    held: list[tuple[Table, Sequence[dict[str, Any]]]] | None = db.info.get(_HELD)
    if held is None or len(rows) < ARRAYS_FROM:
        return False
    held.append((table, rows))
    return True


def update_where(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    expected: dict[str, Any],
    same: dict[str, Any],
) -> set[int]:
    """PostgreSQL: give each row whose columns hold `expected` its values in `rows` and the values in `same`, in one
    statement whose text is the same for any number of rows; return the ids of the rows it changed.

    A compare-and-set per row: a row another transaction changed first is compared again as it now is.
    """
    if not rows:
        return set()
    columns = tuple(name for name in rows[0] if name != "id")
    statement = _update_where(table, columns, tuple(expected), tuple(same))
    params = {f"b_{name}": [row[name] for row in rows] for name in ("id", *columns)}
    params.update({f"e_{name}": value for name, value in expected.items()})
    params.update({f"s_{name}": value for name, value in same.items()})
    return set(connection.execute(statement, params).scalars())


@cache
def _update(arrays: bool, table: Table, columns: tuple[str, ...]) -> Update:
    """Build the UPDATE once per table and set of columns (`b_` names: a column's own name is SQLAlchemy's)."""
    if not arrays:
        values = {name: bindparam(f"b_{name}", type_=table.c[name].type) for name in columns}
        return sql.update(table).where(table.c.id == bindparam("b_id")).values(values)
    given = _given(table, ("id", *columns))
    return sql.update(table).where(table.c.id == given.c.id).values({name: given.c[name] for name in columns})


@cache
def _update_where(table: Table, columns: tuple[str, ...], expected: tuple[str, ...], same: tuple[str, ...]) -> Update:
    """Build the compare-and-set UPDATE once per table and sets of columns (`e_`: compared, `s_`: one value)."""
    given = _given(table, ("id", *columns))
    compared = [table.c[name] == bindparam(f"e_{name}", type_=table.c[name].type) for name in expected]
    values: dict[str, Any] = {name: given.c[name] for name in columns}
    values.update({name: bindparam(f"s_{name}", type_=table.c[name].type) for name in same})
    return sql.update(table).where(table.c.id == given.c.id, *compared).values(values).returning(table.c.id)


def _given(table: Table, names: tuple[str, ...], prefix: str = "b_", numbered: bool = False) -> Any:
    """The rows given as one array per column, as a table named `given` (`numbered`: with their `position`)."""
    return (
        func.unnest(*(bindparam(f"{prefix}{name}", type_=postgresql.ARRAY(table.c[name].type)) for name in names))
        .table_valued(
            *(column(name, table.c[name].type) for name in names), with_ordinality="position" if numbered else None
        )
        .render_derived(name="given")
    )
