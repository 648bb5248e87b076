"""The schema the migrations build is the one the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from qbwc_server import db as database
from qbwc_server.models import Base


def test_migrated_database_matches_the_models(runtime):
    # Given a database migrated to head
    with runtime.engine.connect() as connection:
        # When Alembic compares it with the ORM tables
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # Then a newcomer's `db upgrade` gives exactly the tables the code uses
    assert diff == []
    assert database.current_revision(runtime.engine) == "0012_import_frontier"


def test_an_import_queued_before_import_pages_were_queue_items_gets_its_item(tmp_path):
    # Given a database at the revision before, with one import queued and one finished
    url = f"sqlite:///{tmp_path / 'old.db'}"
    database.upgrade(url, "0004_harden")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO companies (id, slug, name, qbwc_username, password_hash, owner_id, file_id, company_file, "
                "run_every_minutes, qbxml_version_cap, paused, settings, created_at, updated_at) VALUES (1, 'acme', "
                "'Acme', 'acme', 'x', '{o}', '{f}', '', 5, '13.0', false, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
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
