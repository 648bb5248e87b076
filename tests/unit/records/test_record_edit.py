"""One PUT's edit of a stored record: its writes go in together, and a clash with another request queueing the same
record is handled (PostgreSQL, where two processes' transactions can interleave)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qbwc_server import tokens
from qbwc_server.models import OPEN_STATUSES, Company, LogEvent, QueueItem, Record, RecordKind, SyncState
from qbwc_server.records import lookup, store
from qbwc_server.sync import queue
from tests import factories
from tests.unit.records.test_record_bulk import Statements, customer, log_of, save_many, synced


def put(runtime, company_id, external_id, payload):
    with runtime.transaction() as db:
        body, outcome = store.put_shown(db, db.get(Company, company_id), RecordKind.CUSTOMER, external_id, payload)
        return body, outcome


def test_an_edit_of_a_synced_record_queues_it_in_one_update_and_one_log_insert(runtime, make_company):
    company_id = make_company()
    save_many(runtime, company_id, [customer(1)])
    synced(runtime, ["c1"])
    edited = {**customer(1), "first_name": "Bea"}
    del edited["external_id"]
    with Statements(runtime.engine) as statements:
        body, outcome = put(runtime, company_id, "c1", edited)
    assert outcome is store.Outcome.UPDATED
    assert body["first_name"] == "Bea"
    assert body["sync"]["state"] == "queued"
    assert [line["event"] for line in body["sync"]["log"][-2:]] == ["stored", "queued"]
    assert body["sync"]["log"][-2]["message"] == "Updated by the app (version 2): first_name."
    # The record's data and its state in one UPDATE; its two log lines in one INSERT. On PostgreSQL the queue item's
    # INSERT and the record's UPDATE are one statement (a WITH), which writes the record only when the item went in.
    if runtime.engine.dialect.name == "postgresql":
        assert [word for word in statements.seen if word in ("WITH", "INSERT", "UPDATE")] == ["WITH", "INSERT"]
    else:
        assert statements.seen.count("UPDATE") == 1
        assert statements.seen.count("INSERT") == 2  # the queue item and the log lines
    # No savepoint, even where another process could queue the record meanwhile: the item's INSERT says so.
    assert statements.seen.count("SAVEPOINT") == 0


@pytest.mark.postgres
def test_an_edit_clashing_with_another_request_that_queued_the_record_is_stored_again(pg_runtime, monkeypatch, caplog):
    # PostgreSQL only: a SQLite transaction holds the write lock from its start, so no request comes between.
    runtime = pg_runtime
    with runtime.transaction() as db:
        company_id = factories.make_company(db, "acme", qbwc_username="acme-qbwc").id
    save_many(runtime, company_id, [customer(1)])
    synced(runtime, ["c1"])
    with runtime.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == "c1"))
        queue.enqueue(db, db.get(Company, company_id), record)  # another request queued it
    # This PUT read the record before that request committed: it believes the record has no open item.
    found = lookup.find_with_item
    monkeypatch.setattr(lookup, "find_with_item", lambda *args: (found(*args)[0], None))
    edited = {**customer(1), "first_name": "Bea"}
    del edited["external_id"]
    with caplog.at_level("INFO", logger="qbwc_server.records.store"):
        body, outcome = put(runtime, company_id, "c1", edited)
    assert "was queued by another request meanwhile" in caplog.text
    assert outcome is store.Outcome.UPDATED
    assert (body["first_name"], body["sync"]["state"]) == ("Bea", "queued")
    stored_once_joining_their_item(runtime)


def stored_once_joining_their_item(runtime):
    """Assert that c1's edit went in once, joining the open item another request gave it."""
    with runtime.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == "c1"))
        items = db.scalar(
            select(func.count()).where(QueueItem.record_id == record.id, QueueItem.status.in_(OPEN_STATUSES))
        )
        assert (record.version, record.sync_state, record.data["first_name"], items) == (2, SyncState.QUEUED, "Bea", 1)
    # Their QUEUED line, then this edit's STORED once: nothing of the undone attempt is left.
    assert log_of(runtime, "c1")[-2:] == [LogEvent.QUEUED, LogEvent.STORED]
    assert log_of(runtime, "c1").count(LogEvent.STORED) == 2


@pytest.mark.postgres
def test_an_api_edit_read_with_the_token_before_another_request_queued_the_record_is_stored_again(pg_runtime):
    # The API's PUT reads the record in the token check's SELECT, as columns; another transaction queues the record
    # and commits before this one writes: its queue item INSERT clashes, and the edit is stored again joining theirs.
    runtime = pg_runtime
    with runtime.transaction() as db:
        company = factories.make_company(db, "acme", qbwc_username="acme-qbwc")
        company_id = company.id
        _, plain = tokens.create(db, company, "tests")
    save_many(runtime, company_id, [customer(1)])
    synced(runtime, ["c1"])
    edited = {**customer(1), "first_name": "Bea"}
    del edited["external_id"]
    db = runtime.sessions()
    try:
        caller, row = tokens.check_joined(db, plain, *lookup.with_token(RecordKind.CUSTOMER, "c1"))
        with runtime.transaction() as other:
            record = other.scalar(select(Record).where(Record.external_id == "c1"))
            queue.enqueue(other, other.get(Company, company_id), record)
        with Statements(runtime.engine) as statements:
            body, outcome = store.put_shown(db, caller, RecordKind.CUSTOMER, "c1", edited, found=row)
        db.commit()
    finally:
        db.close()
    # Their item was found by the INSERT that skipped it: no savepoint to undo, nothing written twice.
    assert "SAVEPOINT" not in statements.seen
    assert outcome is store.Outcome.UPDATED
    assert (body["first_name"], body["sync"]["state"], body["sync"]["log"][-1]["event"]) == ("Bea", "queued", "stored")
    stored_once_joining_their_item(runtime)


def test_an_api_edit_of_a_synced_record_makes_no_session_object(runtime, make_company):
    company_id = make_company()
    with runtime.transaction() as db:
        _, plain = tokens.create(db, db.get(Company, company_id), "tests")
    save_many(runtime, company_id, [customer(1)])
    synced(runtime, ["c1"])
    edited = {**customer(1), "first_name": "Bea"}
    del edited["external_id"]
    with runtime.transaction() as db:
        caller, row = tokens.check_joined(db, plain, *lookup.with_token(RecordKind.CUSTOMER, "c1"))
        with Statements(runtime.engine) as statements:
            body, outcome = store.put_shown(db, caller, RecordKind.CUSTOMER, "c1", edited, found=row)
        assert len(db.identity_map) == 0  # shown and stored from its columns
    assert outcome is store.Outcome.UPDATED
    assert (body["first_name"], body["sync"]["state"]) == ("Bea", "queued")
    assert [line["event"] for line in body["sync"]["log"][-2:]] == ["stored", "queued"]
    # No lookup of its own: the record's UPDATE, its queue item and log lines, then its log read for the answer
    # (on PostgreSQL the item's INSERT and the record's UPDATE are one statement).
    written = [word for word in statements.seen if word in ("SELECT", "INSERT", "UPDATE", "WITH")]
    if runtime.engine.dialect.name == "postgresql":
        assert written == ["WITH", "INSERT", "SELECT"]
    else:
        assert written == ["INSERT", "UPDATE", "INSERT", "SELECT"]
    with runtime.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == "c1"))
        assert (record.version, record.sync_state, record.data["first_name"]) == (2, SyncState.QUEUED, "Bea")


def test_a_new_record_goes_in_with_its_queue_item_and_log_in_few_statements(runtime, make_company):
    company_id = make_company()
    payload = {key: value for key, value in customer(1).items() if key != "external_id"}
    with runtime.transaction() as db:
        company = db.get(Company, company_id)
        with Statements(runtime.engine) as statements:
            body, outcome = store.put_shown(db, company, RecordKind.CUSTOMER, "c1", payload)
    assert outcome is store.Outcome.CREATED
    assert body["sync"]["state"] == "queued"
    assert [line["message"] for line in body["sync"]["log"]] == ["Received from the app.", "Queued for QuickBooks."]
    assert log_of(runtime, "c1") == [LogEvent.STORED, LogEvent.QUEUED]
    with runtime.transaction() as db:
        assert db.scalar(select(func.count()).select_from(QueueItem)) == 1
    # The lookup, then one INSERT each for the record, its queue item and its log lines: nothing read back. On
    # PostgreSQL the three are one statement (the record's INSERT in a WITH whose id the other two take).
    writes = [word for word in statements.seen if word in ("SELECT", "INSERT", "WITH", "UPDATE")]
    if runtime.engine.dialect.name == "postgresql":
        assert writes == ["SELECT", "WITH"]
    else:
        assert writes == ["SELECT", "INSERT", "INSERT", "INSERT"]


def test_an_edit_of_a_queued_record_joins_its_item_in_one_update(runtime, make_company):
    company_id = make_company()
    save_many(runtime, company_id, [customer(1)])
    edited = {**customer(1), "first_name": "Bea"}
    del edited["external_id"]
    with Statements(runtime.engine) as statements:
        body, outcome = put(runtime, company_id, "c1", edited)
    assert outcome is store.Outcome.UPDATED
    assert (body["first_name"], body["sync"]["state"]) == ("Bea", "queued")
    assert log_of(runtime, "c1") == [LogEvent.STORED, LogEvent.QUEUED, LogEvent.STORED]
    assert (statements.seen.count("UPDATE"), statements.seen.count("INSERT")) == (1, 1)  # the record; its log line
    with runtime.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == "c1"))
        assert (record.version, record.data["first_name"]) == (2, "Bea")
        assert db.scalar(select(func.count()).select_from(QueueItem)) == 1


def test_an_edit_of_a_synced_record_the_settings_now_hold_moves_it_to_pending_unqueued(runtime, make_company):
    company_id = make_company()
    save_many(runtime, company_id, [customer(1)])
    synced(runtime, ["c1"])
    with runtime.transaction() as db:
        db.get(Company, company_id).settings = {"sync_kinds": ["invoice"]}
    edited = {**customer(1), "first_name": "Bea"}
    del edited["external_id"]
    body, outcome = put(runtime, company_id, "c1", edited)
    assert outcome is store.Outcome.UPDATED
    assert body["sync"]["state"] == "pending"
    assert body["sync"]["last_error"]["message"] == (
        "Not sent yet: customers do not sync for this company (setting sync_kinds)."
    )
    assert log_of(runtime, "c1")[-1] is LogEvent.STORED
    with runtime.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == "c1"))
        assert (record.version, record.sync_state, record.data["first_name"]) == (2, SyncState.PENDING, "Bea")
        items = db.scalar(select(func.count()).where(QueueItem.status.in_(OPEN_STATUSES)))
        assert items == 0


def test_an_api_put_of_the_same_data_writes_nothing_and_makes_no_session_object(runtime, make_company):
    company_id = make_company()
    with runtime.transaction() as db:
        _, plain = tokens.create(db, db.get(Company, company_id), "tests")
    save_many(runtime, company_id, [customer(1)])
    same = {key: value for key, value in customer(1).items() if key != "external_id"}
    with runtime.transaction() as db:
        caller, row = tokens.check_joined(db, plain, *lookup.with_token(RecordKind.CUSTOMER, "c1"))
        with Statements(runtime.engine) as statements:
            body, outcome = store.put_shown(db, caller, RecordKind.CUSTOMER, "c1", same, found=row)
        assert len(db.identity_map) == 0
    assert outcome is store.Outcome.UNCHANGED
    assert (body["first_name"], body["sync"]["state"]) == (customer(1)["first_name"], "queued")
    assert [line["event"] for line in body["sync"]["log"]] == ["stored", "queued"]
    assert [word for word in statements.seen if word in ("SELECT", "INSERT", "UPDATE")] == ["SELECT"]  # its log
