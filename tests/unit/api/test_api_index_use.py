"""An edit through the API finds the record's open queue item by an index, in a company of any size.

SQLite uses the partial index of open items (`uq_queue_items_open_record`) only when the statement's own text says
the status is open; a bound list of statuses makes it read every queue item the company ever had, at every edit.
"""

from __future__ import annotations

from sqlalchemy import event, update

from qbwc_server import tokens
from qbwc_server.models import QueueItem, QueueStatus, Record, SyncState
from qbwc_server.web import create_app
from tests import factories

CUSTOMER = {"first_name": "Ann", "last_name": "Lee"}


def _plans(runtime, statements):
    """Return SQLite's plan of each statement that reads or writes the queue, with the statement."""
    plans = []
    with runtime.engine.connect() as conn:
        for statement, parameters in statements:
            if "queue_items" not in statement or statement.lstrip().upper().startswith("INSERT"):
                continue
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append((statement, [row[-1] for row in rows]))
    return plans


def test_an_edit_and_a_mod_find_the_open_queue_item_by_index_not_by_a_scan(sqlite_runtime):
    runtime = sqlite_runtime
    with runtime.transaction() as db:
        company = factories.make_company(db, "acme", name="Acme", qbwc_username="acme-qbwc")
        _, plain = tokens.create(db, company, "tests")
    client = create_app(runtime, {"TESTING": True}).test_client()
    auth = {"Authorization": f"Bearer {plain}"}
    assert client.put("/api/v1/customers/c-1", json=CUSTOMER, headers=auth).status_code == 201

    statements: list[tuple[str, tuple]] = []

    def note(_conn, _cursor, statement, parameters, *_rest):
        statements.append((statement, tuple(parameters) if isinstance(parameters, (list, tuple)) else parameters))

    def put(phone: str) -> int:
        event.listen(runtime.engine, "before_cursor_execute", note)
        try:
            body = {**CUSTOMER, "phone": phone}
            return client.put("/api/v1/customers/c-1", json=body, headers=auth).status_code
        finally:
            event.remove(runtime.engine, "before_cursor_execute", note)

    assert put("1") == 200  # an edit while it is queued
    with runtime.transaction() as db:  # as if synced: the next edit queues a Mod
        db.execute(update(QueueItem).values(status=QueueStatus.DONE))
        db.execute(update(Record).values(sync_state=SyncState.SYNCED, qb_id="80000001-1", synced_version=2))
    assert put("2") == 200

    plans = _plans(runtime, statements)
    assert plans, "the edits read the queue"
    scans = [
        (statement, plan) for statement, plan in plans if any(step.startswith("SCAN queue_items") for step in plan)
    ]
    assert scans == []
