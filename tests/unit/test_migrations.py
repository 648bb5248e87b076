"""The schema the migrations build is the one the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from qbwc_server import db as database
from qbwc_server.imports.entry import Entry
from qbwc_server.imports.frontier import Tracker, restart_point
from qbwc_server.models import Base, ImportFrontierId, ImportRun

AT = "2026-03-02T04:00:00-05:00"


def test_migrated_database_matches_the_models(runtime):
    # Given a database migrated to head
    with runtime.engine.connect() as connection:
        # When Alembic compares it with the ORM tables
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # Then a newcomer's `db upgrade` gives exactly the tables the code uses
    assert diff == []
    assert database.current_revision(runtime.engine) == "0013_queue_record_indexes"


def test_the_queue_record_indexes_go_and_come_back(tmp_path):
    # Given a database at head
    url = f"sqlite:///{tmp_path / 'down.db'}"
    database.upgrade(url)
    engine = create_engine(url)

    def indexes() -> set[str]:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT name FROM sqlite_master WHERE tbl_name = 'queue_items'")).all()
        return {row[0] for row in rows}

    wanted = {"ix_queue_items_record", "ix_queue_items_waiting_on"}
    assert wanted <= indexes()
    # When it is downgraded one step, then upgraded again
    command.downgrade(database.alembic_config(url), "0012_import_frontier")
    assert not wanted & indexes()
    database.upgrade(url)
    # Then the indexes are back and removing a record's items uses them
    assert wanted <= indexes()
    with engine.connect() as connection:
        plan = connection.execute(text("EXPLAIN QUERY PLAN SELECT id FROM queue_items WHERE waiting_on = 1")).all()
    engine.dispose()
    assert any("ix_queue_items_waiting_on" in str(row) for row in plan), plan


def test_an_interrupted_imports_frontier_survives_a_downgrade_and_upgrade(tmp_path):
    # Given a database at head with an import in progress: its cursor, and the ids it filed at its newest time and
    # at the start of the iterator it skips over
    url = f"sqlite:///{tmp_path / 'frontier.db'}"
    database.upgrade(url)
    engine = create_engine(url)
    earlier = "2026-03-01T09:00:00-05:00"
    cursor = {"frontier": AT, "iter_from": earlier, "skipping": True}
    rows = [(AT, "80000001-1"), (AT, "80000002-1"), (earlier, "80000003-1")]
    with engine.begin() as connection:
        _add_company(connection)
        connection.execute(
            text(
                "INSERT INTO import_runs (id, company_id, kind, status, seen, created, updated, deleted, scheduled, "
                "cursor, created_at) VALUES (1, 1, 'customers', 'running', 0, 0, 0, 0, false, :cursor, "
                "CURRENT_TIMESTAMP)"
            ),
            {"cursor": json.dumps(cursor)},
        )
        for at, qb_id in rows:
            connection.execute(
                text("INSERT INTO import_frontier (run_id, at, qb_id) VALUES (1, :at, :qb_id)"),
                {"at": at, "qb_id": qb_id},
            )
    # When it is downgraded to the revision before the frontier table
    command.downgrade(database.alembic_config(url), "0011_speed_sessions")
    with engine.connect() as connection:
        old = json.loads(connection.execute(text("SELECT cursor FROM import_runs")).scalar_one())
    # Then the cursor carries the ids as that revision's code reads them
    assert old["frontier_ids"] == ["80000001-1", "80000002-1"] and old["skip"] == ["80000003-1"]
    # And upgraded again, the table holds the same ids and the cursor is as it was
    database.upgrade(url)
    with engine.connect() as connection:
        back = connection.execute(text("SELECT at, qb_id FROM import_frontier ORDER BY qb_id")).all()
        again = json.loads(connection.execute(text("SELECT cursor FROM import_runs")).scalar_one())
    engine.dispose()
    assert [tuple(row) for row in back] == rows
    assert again == cursor


def test_an_import_queued_before_import_pages_were_queue_items_gets_its_item(tmp_path):
    # Given a database at the revision before, with one import queued and one finished
    url = f"sqlite:///{tmp_path / 'old.db'}"
    database.upgrade(url, "0004_harden")
    engine = create_engine(url)
    with engine.begin() as connection:
        _add_company(connection)
        for run_id, status in ((1, "queued"), (2, "done")):
            connection.execute(
                text(
                    "INSERT INTO import_runs (id, company_id, kind, status, seen, created, updated, created_at) "
                    "VALUES (:id, 1, 'customers', :status, 0, 0, 0, CURRENT_TIMESTAMP)"
                ),
                {"id": run_id, "status": status},
            )
    # When it is upgraded
    database.upgrade(url)
    # Then the queued import has its one ready import item, ahead of the records, and the finished one none
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT import_id, action, status, priority FROM queue_items")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [(1, "import", "ready", -70)]


def _add_company(connection) -> None:  # type: ignore[no-untyped-def]
    connection.execute(
        text(
            "INSERT INTO companies (id, slug, name, qbwc_username, password_hash, owner_id, file_id, company_file, "
            "run_every_minutes, qbxml_version_cap, paused, settings, created_at, updated_at) VALUES (1, 'acme', "
            "'Acme', 'acme', 'x', '{o}', '{f}', '', 5, '13.0', false, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )


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
        _add_company(connection)
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
