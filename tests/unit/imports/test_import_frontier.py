"""Where an import's data stopped, when thousands of objects share one TimeModified (a bulk change in QuickBooks)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from qbwc_server import db as database
from qbwc_server.imports import runs
from qbwc_server.imports.entry import Entry
from qbwc_server.imports.frontier import Tracker, restart_point
from qbwc_server.models import Company, ImportFrontierId, ImportRun, ImportStatus, Record, WcSession
from qbwc_server.simulator import FakeCompany, set_clock
from tests.factories import make_company
from tests.unit.imports.driving import Driver, Ticker, qbxml

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
AT = "2026-03-02T04:00:00-05:00"


@pytest.fixture
def ticker():
    clock = Ticker(START)
    set_clock(clock)
    yield clock
    set_clock(None)


def _frontier_rows(db, run_id):  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(ImportFrontierId).where(ImportFrontierId.run_id == run_id))


def test_two_thousand_customers_of_one_time_resume_after_a_lost_answer_and_an_abandoned_session(
    runtime, ticker, schema_path
):
    # Given a QuickBooks company whose 2,000 customers were all changed at once (one TimeModified)
    fake = FakeCompany.generate(2000, jobs_per=0, inactive_share=0.0, items=0, vendors=0, seed=11)
    fake.schema_dir = schema_path
    for customer in fake.state.lists["Customer"].values():
        customer["TimeModified"] = AT
    with runtime.transaction() as db:
        company = make_company(db, import_max_returned=300)
        run_id = runs.start(db, company, ["customers"])[0].id
    driver = Driver(runtime, company.id, fake.process)

    # When a session files three pages and QuickBooks' answer to the fourth is lost
    fake.begin_session()
    first = driver.session(max_trips=3)
    with runtime.transaction() as db:
        wc = db.scalar(select(WcSession).where(WcSession.ticket == first.ticket))
        lost = driver.ext.next_requests(db, db.get(Company, company.id), wc)
        assert _frontier_rows(db, run_id) == db.get(ImportRun, run_id).seen == 900
    fake.process(qbxml(lost[0]))
    # … and the next session is abandoned after two more pages
    fake.begin_session()
    second = driver.session(max_trips=2)
    fake.begin_session()
    third = driver.session()

    # Then each new iterator starts at that one time, and every customer is filed exactly once
    for session in (second, third):
        assert 'iterator="Start"' in session.trips[0].request
        assert "<FromModifiedDate>2026-03-02T04:00:00-05:00</FromModifiedDate>" in session.trips[0].request
    assert third.trips[-1].progress == 100
    with runtime.transaction() as db:
        run = db.get(ImportRun, run_id)
        assert run.status is ImportStatus.DONE
        assert run.seen == run.created == 2000
        qb_ids = db.scalars(select(Record.qb_id).where(Record.company_id == company.id)).all()
        assert sorted(qb_ids) == sorted(fake.state.lists["Customer"])
        assert _frontier_rows(db, run_id) == 0  # a finished run keeps no frontier


def _entry(qb_id: str) -> Entry:
    return Entry("CustomerRet", qb_id, "1", AT, qb_id, qb_id)


def test_an_import_in_progress_keeps_where_its_data_stopped_across_the_migration(tmp_path):
    # Given a database at the revision before, with an import whose iterator restarted at a time it had filed 3 ids
    # of (2 of them before the restart), and a finished import
    url = f"sqlite:///{tmp_path / 'old.db'}"
    database.upgrade(url, "0011_speed_sessions")
    engine = create_engine(url)
    running = {"n": 7, "iter_from": AT, "skip": ["A", "B"], "last": AT, "frontier": AT, "frontier_ids": ["A", "B", "C"]}
    finished = {"n": 3, "frontier": AT, "frontier_ids": ["X"], "skip": []}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO companies (id, slug, name, qbwc_username, password_hash, owner_id, file_id, company_file, "
                "run_every_minutes, qbxml_version_cap, paused, settings, created_at, updated_at) VALUES (1, 'acme', "
                "'Acme', 'acme', 'x', '{o}', '{f}', '', 5, '13.0', false, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        for run_id, status, cursor in ((1, "running", running), (2, "done", finished)):
            connection.execute(
                text(
                    "INSERT INTO import_runs (id, company_id, kind, status, cursor, seen, created, updated, deleted, "
                    "scheduled, created_at) VALUES (:id, 1, 'customers', :status, :cursor, 3, 3, 0, 0, false, "
                    "CURRENT_TIMESTAMP)"
                ),
                {"id": run_id, "status": status, "cursor": json.dumps(cursor)},
            )

    # When it is upgraded
    database.upgrade(url)

    # Then the running import's ids are rows of its frontier, and its iterator still skips the two filed before it
    with Session(engine) as db:
        rows = db.execute(select(ImportFrontierId.run_id, ImportFrontierId.at, ImportFrontierId.qb_id)).all()
        assert sorted(tuple(row) for row in rows) == [(1, AT, "A"), (1, AT, "B"), (1, AT, "C")]
        run = db.get(ImportRun, 1)
        assert run.cursor.skipping and run.cursor.iter_from == AT and run.cursor.frontier == AT
        taken = Tracker(db, 1, run.cursor).take_all([_entry("A"), _entry("C"), _entry("D")])
        assert [entry.qb_id for entry in taken] == ["D"]  # C was filed since the restart: not filed twice either
        # … and a new iterator skips all three
        cursor = run.cursor.copy()
        restart_point(db, run, cursor)
        assert [entry.qb_id for entry in Tracker(db, 1, cursor).take_all([_entry("B"), _entry("C"), _entry("E")])] == [
            "E"
        ]
    engine.dispose()
