"""Many rows in one INSERT (`multirow.insert`): the same rows, in their order, however many there are — on
PostgreSQL a few go as before and more as one array per column."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qbwc_server import clock, multirow
from qbwc_server.models import LogEvent, Origin, Record, RecordKind, SyncLogEntry, SyncState

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
