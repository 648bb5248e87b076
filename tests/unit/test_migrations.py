"""The schema the migrations build is the one the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from qbwc_server import db as database
from qbwc_server.models import Base


def test_migrated_database_matches_the_models(runtime):
    # Given a database migrated to head
    with runtime.engine.connect() as connection:
        # When Alembic compares it with the ORM tables
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # Then a newcomer's `db upgrade` gives exactly the tables the code uses
    assert diff == []
    assert database.current_revision(runtime.engine) == "0004_harden"
