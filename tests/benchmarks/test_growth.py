"""The growth benchmark names a statement that reads a whole big table, from the database's own plan."""

from __future__ import annotations

from sqlalchemy import text

from benchmarks.growth import capture, full_scans
from qbwc_server import db as database


def test_a_statement_without_an_index_is_named_and_an_indexed_one_is_not(tmp_path):
    url = f"sqlite:///{tmp_path / 'plans.sqlite3'}"
    database.upgrade(url)
    engine = database.make_engine(url)
    try:
        with capture(engine) as seen, engine.connect() as connection:
            connection.execute(text("SELECT id FROM records WHERE id = :id"), {"id": 1})
            connection.execute(text("SELECT id FROM sync_log WHERE message = :m"), {"m": "x"})
            connection.execute(text("SELECT id FROM companies WHERE name = :n"), {"n": "x"})
            # Bounded by the company alone: every record of the company is read to find one external id.
            connection.execute(text("SELECT id FROM records WHERE company_id = 1 AND external_id IN ('a')"))
            # The same with its kind: the unique index finds it directly.
            connection.execute(
                text("SELECT id FROM records WHERE company_id = 1 AND kind IN ('customer') AND external_id IN ('a')")
            )
        scans = full_scans(engine, seen.statements)
    finally:
        engine.dispose()
    # Only the big tables count: a small table read whole (companies) is not a cliff.
    assert scans == [
        "sqlite records: SELECT … FROM records WHERE company_id = 1 AND external_id IN ('a')",
        "sqlite sync_log: SELECT … FROM sync_log WHERE message = ?",
    ]
    assert seen.seconds and all(seconds >= 0 for seconds in seen.seconds.values())
