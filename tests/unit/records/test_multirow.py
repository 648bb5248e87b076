"""Many rows in one INSERT (`multirow.insert`): the same rows, in their order, however many there are — on
PostgreSQL a few go as before and more as one array per column. Many rows' UPDATEs by id (`multirow.update`,
`update_where`) likewise."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from qbwc_server import clock, multirow
from qbwc_server.models import LogEvent, Origin, Record, RecordKind, SyncLogEntry, SyncState
from tests import factories

RECORDS = Record.__table__
SYNC_LOG = SyncLogEntry.__table__
# Text that an array's text form must quote or escape, and JSON full of quotes.
AWKWARD = 'a "quoted", {braced} back\\slash, NULL, ünïcode, \t tab'


def record_row(company_id: int, n: int) -> dict:
    now = clock.now()
    return {
        "company_id": company_id,
        "kind": RecordKind.CUSTOMER,
        "external_id": f"r{n}",
        "data": {"first_name": f"Ann {n}", "notes": AWKWARD, "tags": ["x", {"y": None}]},
        "origin": Origin.APP,
        "version": 1,
        "warning_count": 0,
        "sync_state": SyncState.QUEUED,
        "last_error": None,
        "created_at": now,
        "updated_at": now,
    }


@pytest.mark.parametrize("count", [1, 3, multirow.ARRAYS_FROM, 60])
def test_rows_go_in_whole_and_in_order_and_an_existing_one_is_left_out(runtime, make_company, count):
    company_id = make_company()
    returning = (RECORDS.c.id, RECORDS.c.external_id)
    with runtime.transaction() as db:
        multirow.insert(db, RECORDS, [record_row(company_id, 0)])
    with runtime.transaction() as db:
        rows = [record_row(company_id, n) for n in range(count + 1)]  # r0 exists already
        returned = multirow.insert(db, RECORDS, rows, skip_existing=True, returning=returning)
        ids = {row.external_id: row.id for row in returned}
        assert sorted(ids) == sorted(f"r{n}" for n in range(1, count + 1))
        lines = [
            {"company_id": company_id, "record_id": ids[f"r{n}"], "event": event, "message": f"{n} {AWKWARD}"}
            | {"at": clock.now()}
            for n in range(1, count + 1)
            for event in (LogEvent.STORED, LogEvent.QUEUED)
        ]
        assert multirow.insert(db, SYNC_LOG, lines) == []
    with runtime.transaction() as db:
        stored = db.execute(select(SYNC_LOG.c.record_id, SYNC_LOG.c.event, SYNC_LOG.c.message).order_by(SYNC_LOG.c.id))
        assert [tuple(row) for row in stored] == [(line["record_id"], line["event"], line["message"]) for line in lines]
        record = db.scalar(select(Record).where(Record.external_id == f"r{count}"))
        assert record is not None
        assert record.data == record_row(company_id, count)["data"]
        assert (record.kind, record.sync_state, record.origin, record.last_error) == (
            RecordKind.CUSTOMER,
            SyncState.QUEUED,
            Origin.APP,
            None,
        )


@pytest.mark.parametrize("count", [1, multirow.ARRAYS_FROM, 60])
def test_each_row_gets_its_own_values_by_id_and_no_other_row_changes(runtime, make_company, count):
    company_id = make_company()
    with runtime.transaction() as db:
        returned = multirow.insert(
            db, RECORDS, [record_row(company_id, n) for n in range(count + 1)], returning=(RECORDS.c.id,)
        )
        ids = [row.id for row in returned]
    changed, untouched = ids[:count], ids[count]
    with runtime.transaction() as db:
        rows = [
            {"id": i, "sync_state": SyncState.SYNCED, "qb_id": f"80000{n}-1", "qb_data": {"n": n, "text": AWKWARD}}
            for n, i in enumerate(reversed(changed))
        ]
        multirow.update(db.connection(), RECORDS, rows)
    with runtime.transaction() as db:
        stored = {row.id: row for row in db.execute(select(RECORDS).where(RECORDS.c.id.in_(ids)))}
        for row in rows:
            assert (stored[row["id"]].sync_state, stored[row["id"]].qb_id) == (SyncState.SYNCED, row["qb_id"])
            assert stored[row["id"]].qb_data == row["qb_data"]
        assert (stored[untouched].sync_state, stored[untouched].qb_id) == (SyncState.QUEUED, None)


@pytest.mark.postgres
def test_a_compare_and_set_changes_only_the_rows_that_hold_the_expected_value(pg_runtime):
    runtime = pg_runtime
    with runtime.transaction() as db:
        company_id = factories.make_company(db, "acme", qbwc_username="acme-qbwc").id
    with runtime.transaction() as db:
        returned = multirow.insert(
            db, RECORDS, [record_row(company_id, n) for n in range(6)], returning=(RECORDS.c.id,)
        )
        ids = [row.id for row in returned]
        multirow.update(db.connection(), RECORDS, [{"id": ids[0], "sync_state": SyncState.SYNCED}])
    now = clock.now()
    with runtime.transaction() as db:
        rows = [{"id": i, "qb_id": f"id-{i}"} for i in ids[:5]]
        got = multirow.update_where(
            db.connection(), RECORDS, rows, expected={"sync_state": SyncState.QUEUED}, same={"updated_at": now}
        )
    assert got == set(ids[1:5])
    with runtime.transaction() as db:
        stored = {row.id: row for row in db.execute(select(RECORDS).where(RECORDS.c.id.in_(ids)))}
    assert [stored[i].qb_id for i in ids] == [None, *(f"id-{i}" for i in ids[1:5]), None]
    assert all(stored[i].updated_at == now for i in ids[1:5]) and stored[ids[0]].updated_at != now


def stored_records(runtime, company_id: int, count: int) -> list[int]:
    with runtime.transaction() as db:
        returned = multirow.insert(
            db, RECORDS, [record_row(company_id, n) for n in range(count)], returning=(RECORDS.c.id,)
        )
        return [row.id for row in returned]


def test_several_groups_of_updates_write_each_row_its_values_and_go_as_one_statement_on_postgres(runtime, make_company):
    company_id = make_company()
    ids = stored_records(runtime, company_id, 30)
    synced, failed, few, untouched = ids[:12], ids[12:24], ids[24:26], ids[26:]
    groups = [
        (RECORDS, [{"id": i, "sync_state": SyncState.SYNCED, "qb_id": f"8000{i}-1"} for i in synced]),
        (RECORDS, [{"id": i, "sync_state": SyncState.ERROR, "qb_data": {"text": AWKWARD}} for i in failed]),
        (RECORDS, [{"id": i, "qb_full_name": f"Ann {i}"} for i in few]),  # too few for arrays: on its own
    ]
    executed: list[str] = []
    with runtime.transaction() as db:
        connection = db.connection()
        event.listen(connection, "before_cursor_execute", lambda *args: executed.append(args[2]))
        multirow.update_all(connection, groups)
    postgres = runtime.engine.dialect.name == "postgresql"
    assert len(executed) == (2 if postgres else 3)
    if postgres:
        assert " ".join(executed[1].split()).startswith("WITH written_0 AS (UPDATE records")
    with runtime.transaction() as db:
        stored = {row.id: row for row in db.execute(select(RECORDS).where(RECORDS.c.id.in_(ids)))}
    assert all(
        (stored[i].sync_state, stored[i].qb_id, stored[i].last_error) == (SyncState.SYNCED, f"8000{i}-1", None)
        for i in synced
    )
    assert all((stored[i].sync_state, stored[i].qb_id) == (SyncState.ERROR, None) for i in failed)
    assert all(stored[i].qb_data == {"text": AWKWARD} for i in failed)
    assert all((stored[i].sync_state, stored[i].qb_full_name) == (SyncState.QUEUED, f"Ann {i}") for i in few)
    assert all(
        (stored[i].sync_state, stored[i].qb_id, stored[i].qb_data) == (SyncState.QUEUED, None, None) for i in untouched
    )


def test_log_lines_held_in_a_block_go_in_whole_and_in_order_with_the_updates(runtime, make_company):
    company_id = make_company()
    ids = stored_records(runtime, company_id, 8)
    lines = [
        {"company_id": company_id, "record_id": i, "event": event, "message": f"{i} {AWKWARD}", "at": clock.now()}
        for i in ids
        for event in (LogEvent.SENT, LogEvent.SYNCED)
    ]
    few = lines[: multirow.ARRAYS_FROM - 1]
    executed: list[str] = []
    with runtime.transaction() as db:
        connection = db.connection()
        event.listen(connection, "before_cursor_execute", lambda *args: executed.append(" ".join(args[2].split())))
        held = multirow.holding(db)
        try:
            assert not multirow.hold(db, SYNC_LOG, few)  # too few: the caller inserts them itself
            multirow.insert(db, SYNC_LOG, few)
            assert multirow.hold(db, SYNC_LOG, lines) == (held is not None)
            if held is None:
                multirow.insert(db, SYNC_LOG, lines)
            groups = [(RECORDS, [{"id": i, "sync_state": SyncState.SYNCED} for i in ids])]
            multirow.update_all(connection, groups, list(held or ()))
        finally:
            multirow.release(db, held)
        assert not multirow.hold(db, SYNC_LOG, lines)  # the block is over
    postgres = runtime.engine.dialect.name == "postgresql"
    assert (held is not None) == postgres
    if postgres:
        assert len(executed) == 2
        assert executed[1].startswith("WITH written_0 AS (INSERT INTO sync_log")
    with runtime.transaction() as db:
        stored = db.execute(select(SYNC_LOG.c.record_id, SYNC_LOG.c.event, SYNC_LOG.c.message).order_by(SYNC_LOG.c.id))
        assert [tuple(row) for row in stored] == [(r["record_id"], r["event"], r["message"]) for r in [*few, *lines]]
        states = db.execute(select(RECORDS.c.sync_state).where(RECORDS.c.id.in_(ids))).scalars().all()
        assert states == [SyncState.SYNCED] * len(ids)
