"""Filing a message set's answers as a few grouped UPDATEs instead of the ORM's per-row unit of work (part of the
lifecycle).

While a `filing` block is open, the lifecycle's writers of states, statuses, identities and figures (`move`,
`move_item`, `store_identity`, `store_figures`) hand their values to `stage` instead of setting attributes: the
values go on the loaded object as its stored ones (as `set_committed_value` puts them, so no flush writes them
again) and are held per row. They are written as one `multirow.update` per table and set of columns before anything
else reaches the database: any statement of the session (but a `no_autoflush` one, as for the ORM's pending
changes), any flush, any savepoint, and the end of the block. So every query sees them as it would see the ORM's
pending changes, a value set afterwards through the ORM is written after them, and a savepoint rolled back never
holds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table, event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from qbwc_server import multirow

_KEY = "lifecycle.staged"  # the Session.info key of the values a `filing` block holds back
Staged = dict[tuple[Table, int], dict[str, Any]]


@contextmanager
def filing(db: Session) -> Iterator[None]:
    """Hold back the lifecycle's writes of the block and write them as grouped UPDATEs (see the module's text)."""
    if _KEY in db.info:
        yield  # an outer block writes them
        return
    staged: Staged = {}
    connection = db.connection()
    inserts = multirow.holding(db)  # PostgreSQL: the log lines written meanwhile go in with the UPDATEs

    def write(*_: Any) -> None:
        _write(connection, staged, inserts)

    def before_query(*_: Any) -> None:
        # As the ORM's own pending changes: a `no_autoflush` query does not need them, but held log lines go first.
        if db.autoflush or inserts:
            _write(connection, staged, inserts)

    listeners = [(db, "do_orm_execute", before_query), (db, "before_flush", write), (connection, "savepoint", write)]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    db.info[_KEY] = staged
    try:
        yield
        write()
    finally:
        del db.info[_KEY]
        multirow.release(db, inserts)
        for target, name, listener in listeners:
            event.remove(target, name, listener)


def stage(obj: Any, values: dict[str, Any]) -> bool:
    """Hold a stored object's new column values for the open `filing` block; False (nothing done) outside one."""
    state = instance_state(obj)  # (`inspect` finds the same state through three Python calls)
    db = state.session
    staged: Staged | None = db.info.get(_KEY) if db is not None else None
    if staged is None:
        return False
    if state.key is None or state._deleted:
        return False  # a new object goes in with the ORM's INSERT (`persistent`, known attached: it has a session)
    # A value the object already holds as stored (no ORM change pending on it) is not put on it again: most moves
    # leave the note and the error empty, and a Mod's answer repeats the id and the full name, so the ORM's four
    # calls that put a value on the object as stored are left out for those.
    loaded, changed = state.dict, state.committed_state
    fresh = []
    for key, value in values.items():
        current = loaded.get(key, _ABSENT)
        if current is value and key not in changed:
            continue
        if type(current) is type(value) and type(value) in _SAME_BY_VALUE and current == value and key not in changed:
            continue
        loaded[key] = value
        fresh.append(key)
    if fresh:
        # What `set_committed_value` does for each column (put the value in the object's dict, then mark it stored:
        # no change pending, not expired, no loader left for it), done once for the object's staged columns.
        state._commit(loaded, fresh)
    identity = state.identity
    assert identity is not None  # a persistent object has one
    staged.setdefault((obj.__table__, identity[0]), {}).update(values)
    return True


_ABSENT = object()  # an attribute the object has not loaded
_SAME_BY_VALUE = (str, int, bool)  # a loaded value of these types equal to the new one is the same value


def write(obj: Any, values: dict[str, Any]) -> None:
    """Give a stored object new column values: held for the open `filing` block, else set for the ORM to write."""
    if not stage(obj, values):
        for key, value in values.items():
            setattr(obj, key, value)


def _write(connection: Connection, staged: Staged, inserts: list[tuple[Table, Any]] | None) -> None:
    if not staged and not inserts:
        return
    groups: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for (table, row_id), values in staged.items():
        ordered = dict(sorted(values.items()))  # the columns in one order: one statement per set of them
        groups.setdefault((table, tuple(ordered)), []).append({"id": row_id, **ordered})
    staged.clear()  # before executing: the statements below must not write them again
    added = list(inserts or ())
    if inserts:
        inserts.clear()
    multirow.update_all(connection, [(table, rows) for (table, _), rows in groups.items()], added)
