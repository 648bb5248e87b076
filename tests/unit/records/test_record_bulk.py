"""Storing many records at once: a few statements for the whole batch, the same states, logs and queue items as
one by one, and the rare clash with another request handled as before."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from qbwc_server.models import (
    OPEN_STATUSES,
    Company,
    LogEvent,
    QueueAction,
    QueueItem,
    Record,
    RecordKind,
    SyncLogEntry,
    SyncState,
)
from qbwc_server.records import batch, store
from qbwc_server.sync import lifecycle, queue
from qbwc_server.sync.lifecycle import Event, IllegalMove
from qbwc_server.sync.quickbooks_identity import Identity
from tests import factories


def customer(n: int) -> dict:
    return {"external_id": f"c{n}", "first_name": f"Ann{n}", "last_name": "Lee", "email": f"ann{n}@example.com"}


class Statements:
    """Count the statements an engine runs (an executemany counts once)."""

    def __init__(self, engine) -> None:
        self.engine, self.seen = engine, []

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._note)

    def _note(self, conn, cursor, statement, *args) -> None:
        self.seen.append(statement.split(None, 1)[0].upper())


def save_many(runtime, company_id, items):
    with runtime.transaction() as db:
        result = batch.save_many(db, db.get(Company, company_id), RecordKind.CUSTOMER, items)
        return result.as_dict()


def open_items(runtime) -> dict[str, QueueAction]:
    with runtime.transaction() as db:
        rows = db.execute(
            select(Record.external_id, QueueItem.action)
            .join(QueueItem, QueueItem.record_id == Record.id)
            .where(QueueItem.status.in_(OPEN_STATUSES))
        ).all()
    return dict(rows)


def log_of(runtime, external_id: str) -> list[LogEvent]:
    with runtime.transaction() as db:
        return list(
            db.scalars(
                select(SyncLogEntry.event)
                .join(Record, Record.id == SyncLogEntry.record_id)
                .where(Record.external_id == external_id)
                .order_by(SyncLogEntry.id)
            )
        )


def synced(runtime, external_ids) -> None:
    """Make records look as QuickBooks has them in their current version (no open item)."""
    with runtime.transaction() as db:
        for external_id in external_ids:
            record = db.scalar(select(Record).where(Record.external_id == external_id))
            item = queue.open_item(db, record)
            lifecycle.move_item(item, lifecycle.ItemEvent.CANCEL)
            lifecycle.store_identity(record, Identity(f"80-{external_id}", "1"), record.version)
            lifecycle.move(db, record, Event.CONFIRM)


def test_a_batch_of_new_records_costs_the_same_few_statements_whatever_its_size(runtime, make_company):
    company_id = make_company()
    with Statements(runtime.engine) as small:
        save_many(runtime, company_id, [customer(n) for n in range(5)])
    with Statements(runtime.engine) as large:
        answer = save_many(runtime, company_id, [customer(n) for n in range(5, 205)])
    assert answer["counts"] == {"created": 200, "updated": 0, "unchanged": 0, "invalid": 0}
    assert len(large.seen) == len(small.seen) <= 8
    # The state goes in with the INSERT: no UPDATE of the new records follows it.
    assert "UPDATE" not in large.seen
    assert open_items(runtime) == {f"c{n}": QueueAction.SEND for n in range(205)}
    assert log_of(runtime, "c17") == [LogEvent.STORED, LogEvent.QUEUED]


def test_edits_of_synced_records_are_queued_as_one_step(runtime, make_company):
    company_id = make_company()
    save_many(runtime, company_id, [customer(n) for n in range(30)])
    synced(runtime, [f"c{n}" for n in range(30)])
    edited = [{**customer(n), "first_name": "Bea"} for n in range(30)]
    with Statements(runtime.engine) as statements:
        answer = save_many(runtime, company_id, edited)
    assert answer["counts"]["updated"] == 30
    assert {result["sync_state"] for result in answer["results"]} == {"queued"}
    assert open_items(runtime) == {f"c{n}": QueueAction.SEND for n in range(30)}
    assert log_of(runtime, "c3")[-2:] == [LogEvent.STORED, LogEvent.QUEUED]
    # One savepoint for the batch, not one per record.
    assert statements.seen.count("SAVEPOINT") == 1


def test_a_record_queued_by_another_request_meanwhile_is_stored_again_one_by_one(
    runtime, make_company, monkeypatch, caplog
):
    company_id = make_company()
    save_many(runtime, company_id, [customer(n) for n in range(3)])
    synced(runtime, ["c0", "c1", "c2"])
    with runtime.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == "c1"))
        queue.enqueue(db, db.get(Company, company_id), record)  # another request queued it
    # The batch read the open items before that request committed: it believes none has one.
    monkeypatch.setattr(queue, "open_items", lambda db, records: {record.id: None for record in records})
    with caplog.at_level("INFO", logger="qbwc_server.records.batch"):
        answer = save_many(runtime, company_id, [{**customer(n), "first_name": "Bea"} for n in range(3)])
    assert "storing the updates one by one" in caplog.text
    assert answer["counts"]["updated"] == 3
    with runtime.transaction() as db:
        per_record = dict(
            db.execute(
                select(QueueItem.record_id, func.count())
                .where(QueueItem.status.in_(OPEN_STATUSES))
                .group_by(QueueItem.record_id)
            ).all()
        )
        names = {r.external_id: r.data["first_name"] for r in db.scalars(select(Record))}
    assert sorted(per_record.values()) == [1, 1, 1]
    assert names == {"c0": "Bea", "c1": "Bea", "c2": "Bea"}
    # Nothing written twice by the undone first attempt.
    assert log_of(runtime, "c0").count(LogEvent.STORED) == 2


def test_a_record_created_by_another_request_meanwhile_becomes_an_update(runtime, make_company, monkeypatch):
    company_id = make_company()
    save_many(runtime, company_id, [customer(1)])
    # The batch looked before the other request's record was there.
    monkeypatch.setattr(store, "find_many", lambda db, company, kind, external_ids: {})
    answer = save_many(runtime, company_id, [customer(0), {**customer(1), "first_name": "Bea"}])
    assert [result["status"] for result in answer["results"]] == ["created", "updated"]
    with runtime.transaction() as db:
        assert db.scalar(select(func.count()).select_from(Record)) == 2
        assert db.scalar(select(Record.data).where(Record.external_id == "c1"))["first_name"] == "Bea"


def test_a_record_sent_twice_in_a_batch_is_created_then_updated(runtime, make_company):
    company_id = make_company()
    answer = save_many(runtime, company_id, [customer(1), customer(2), {**customer(1), "first_name": "Bea"}])
    assert [result["status"] for result in answer["results"]] == ["created", "created", "updated"]
    assert log_of(runtime, "c1") == [LogEvent.STORED, LogEvent.QUEUED, LogEvent.STORED]
    with runtime.transaction() as db:
        assert db.scalar(select(Record.version).where(Record.external_id == "c1")) == 2


def test_new_records_start_held_or_excluded_as_the_settings_say(runtime, make_company):
    company_id = make_company(settings={"auto_sync": False, "sync_start_date": "2024-01-01"})
    answer = save_many(runtime, company_id, [customer(1), {**customer(2), "created_at": "2023-05-01"}])
    assert [result["sync_state"] for result in answer["results"]] == ["pending", "excluded"]
    assert log_of(runtime, "c1") == [LogEvent.STORED]
    assert log_of(runtime, "c2") == [LogEvent.STORED, LogEvent.EXCLUDED]
    assert open_items(runtime) == {}
    with runtime.transaction() as db:
        notes = {r.external_id: r.last_error.message for r in db.scalars(select(Record))}
    assert notes["c1"].startswith("Not sent yet: automatic sync is off")
    assert notes["c2"] == "Not synced: dated 2023-05-01, before the sync start date 2024-01-01."


def test_a_first_state_a_webhook_announces_is_refused():
    assert lifecycle.first_state(Event.QUEUE) == {"sync_state": SyncState.QUEUED, "last_error": None}
    with pytest.raises(IllegalMove):
        lifecycle.first_state(Event.CONFIRM)


def test_a_new_invoice_queues_its_waiting_customer_first_and_looks_itself_up_when_the_customer_is_synced(
    runtime, make_company
):
    company_id = make_company()
    with runtime.transaction() as db:
        company = db.get(Company, company_id)
        factories.make_record(db, company, RecordKind.CUSTOMER, "waiting", name="Waiting Ltd")
        synced_customer = factories.make_record(db, company, RecordKind.CUSTOMER, "known", name="Known Ltd")
        lifecycle.store_identity(synced_customer, Identity("80-known", "1"), synced_customer.version)
        lifecycle.move(db, synced_customer, Event.CONFIRM)

    def invoice(number: str, customer_id: str) -> dict:
        return {"customer": customer_id, "number": number, "status": "sent", "lines": [{"description": "Work"}]}

    with runtime.transaction() as db:
        company = db.get(Company, company_id)
        store.upsert(db, company, RecordKind.INVOICE, "i1", invoice("1001", "waiting"))
        result = batch.save_many(db, company, RecordKind.INVOICE, [{"external_id": "i2", **invoice("1002", "known")}])
    assert result.counts["created"] == 1
    assert open_items(runtime) == {"waiting": QueueAction.SEND, "i1": QueueAction.SEND, "i2": QueueAction.LOOKUP}
    assert log_of(runtime, "waiting") == [LogEvent.QUEUED]
    with runtime.transaction() as db:
        states = dict(db.execute(select(Record.external_id, Record.sync_state)).all())
    assert states == {
        "waiting": SyncState.QUEUED,
        "known": SyncState.SYNCED,
        "i1": SyncState.QUEUED,
        "i2": SyncState.QUEUED,
    }
