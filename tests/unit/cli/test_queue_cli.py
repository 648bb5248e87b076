"""`qbwc-server queue …` as an admin uses it: see what waits, retry what failed, cancel what should not go."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from qbwc_server.cli import main
from qbwc_server.imports.deletions import Deletions
from qbwc_server.imports.mapping import Entry
from qbwc_server.models import OPEN_STATUSES, Company, QueueItem, Record, RecordKind, SyncState
from qbwc_server.records import store
from qbwc_server.sync import queue
from tests.factories import claim, refuse


@pytest.fixture
def company(sqlite_runtime, monkeypatch):
    """A company 'acme' with a queued customer and job, a draft invoice, and a customer QuickBooks refused."""
    monkeypatch.setenv("QBWC_DATABASE_URL", sqlite_runtime.settings.database_url)
    monkeypatch.setenv("QBWC_SECRET_KEY", "test-secret-key")
    with sqlite_runtime.transaction() as db:
        acme = Company(
            slug="acme",
            name="Acme",
            qbwc_username="acme-qbwc",
            password_hash="x",
            owner_id="{00000000-0000-0000-0000-000000000001}",
            file_id="{00000000-0000-0000-0000-000000000002}",
        )
        db.add(acme)
        db.flush()
        store.upsert(db, acme, RecordKind.CUSTOMER, "c-1", {"last_name": "Lee"})
        job, _ = store.upsert(db, acme, RecordKind.JOB, "j-1", {"customer": "c-1", "number": "J-1"})
        store.upsert(db, acme, RecordKind.INVOICE, "inv-1", {"customer": "c-1", "status": "draft"})
        refused, _ = store.upsert(db, acme, RecordKind.CUSTOMER, "c-2", {"last_name": "Ng"})
        refuse(db, refused, 3100, 'The name "Ng" of the list element is already in use.')
        customer = store.get(db, acme, RecordKind.CUSTOMER, "c-1")
        queue.open_item(db, job).waiting_on = customer.id
    return sqlite_runtime


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def state_of(runtime, external_id: str) -> SyncState:
    with runtime.transaction() as db:
        return db.scalar(select(Record.sync_state).where(Record.external_id == external_id))


def test_list_shows_what_is_not_in_quickbooks_yet_and_why(company):
    code, out, _ = run("queue", "list", "acme")
    assert code == 0
    lines = {line.split()[1]: line for line in out.splitlines()}
    assert set(lines) == {"c-1", "j-1", "inv-1", "c-2"}
    assert "queued" in lines["c-1"]
    assert "waiting for customer c-1" in lines["j-1"]
    assert "draft invoices never go to QuickBooks" in lines["inv-1"]
    assert "already in use" in lines["c-2"]


def test_list_filters_by_state_and_kind_and_speaks_json(company):
    code, out, _ = run("queue", "list", "acme", "--state", "error", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["kind"], r["external_id"], r["state"]) for r in rows] == [("customer", "c-2", "error")]
    assert rows[0]["queue"] is None
    rows = json.loads(run("queue", "list", "acme", "--kind", "jobs", "--json")[1])
    assert rows[0]["queue"]["waiting_on"] == "customer/c-1"
    assert rows[0]["queue"]["status"] == "ready"
    assert run("queue", "list", "acme", "--kind", "estimate")[0] == 2


def test_retry_sends_a_record_in_error_again(company):
    code, out, _ = run("queue", "retry", "acme", "customer", "c-2")
    assert code == 0
    assert out.strip() == "customer c-2 is now queued."
    assert state_of(company, "c-2") is SyncState.QUEUED


def test_retry_all_errors(company):
    code, out, _ = run("queue", "retry", "acme", "--all-errors")
    assert (code, out.strip()) == (0, "Retrying 1 record(s) that were in error.")
    assert state_of(company, "c-2") is SyncState.QUEUED
    code, _, err = run("queue", "retry", "acme")
    assert code == 2
    assert "give KIND and EXTERNAL_ID, or --all-errors" in err


def test_cancel_takes_a_record_off_the_queue(company):
    code, out, _ = run("queue", "cancel", "acme", "customers", "c-1")
    assert code == 0
    assert "pending" in out
    assert state_of(company, "c-1") is SyncState.PENDING
    with company.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == "c-1"))
        assert (
            db.scalar(select(QueueItem).where(QueueItem.record_id == record.id, QueueItem.status.in_(OPEN_STATUSES)))
            is None
        )


def test_cancel_refuses_a_record_in_flight_and_unknown_records(company):
    with company.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == "c-1"))
        assert claim(db, record, "ticket-1")
    code, _, err = run("queue", "cancel", "acme", "customer", "c-1")
    assert code == 1
    assert "is being sent to QuickBooks right now" in err
    code, _, err = run("queue", "cancel", "acme", "customer", "c-404")
    assert (code, err.strip()) == (1, "Error: no customer with external_id 'c-404'")


def test_readd_adds_a_record_deleted_in_quickbooks_again_and_refuses_others(company):
    with company.transaction() as db:
        acme = db.scalar(select(Company).where(Company.slug == "acme"))
        record = db.scalar(select(Record).where(Record.external_id == "c-2"))
        record.qb_id, record.qb_edit_sequence, record.synced_version = "80000001-1", "1", record.version
        gone = Entry("ListDeletedRet", "80000001-1", None, "2026-11-20T09:12:00-05:00", "Ng", "Ng")
        gone.qb_data = {"del_type": "Customer", "time_deleted": gone.time_modified}
        assert Deletions(db, acme).apply([gone]).updated == 1
    assert state_of(company, "c-2") is SyncState.QB_DELETED
    code, out, _ = run("queue", "list", "acme", "--state", "deleted_in_quickbooks")
    assert code == 0 and "Deleted in QuickBooks on 2026-11-20 at 09:12" in out

    code, out, _ = run("queue", "readd", "acme", "customer", "c-2")

    assert (code, out.strip()) == (0, "customer c-2 is now queued; it goes to QuickBooks as a new entry.")
    with company.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == "c-2"))
        assert record.qb_id is None and record.synced_version is None
    code, _, err = run("queue", "readd", "acme", "customer", "c-2")
    assert code == 1 and "was not deleted in QuickBooks" in err
