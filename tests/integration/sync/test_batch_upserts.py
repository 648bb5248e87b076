"""Batch upserts over real HTTP: a host app loads its records a thousand at a time and learns each one's fate."""

from __future__ import annotations

from sqlalchemy import func, select

from qbwc_server.models import OPEN_STATUSES, QueueItem, Record


def _customers(count: int) -> list[dict]:
    return [
        {"external_id": f"c{n}", "first_name": f"Ann{n}", "last_name": "Lee", "billing_address": {"line1": f"{n} Oak"}}
        for n in range(count)
    ]


def _count(harness, model, *where) -> int:
    with harness.runtime.transaction() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def test_a_thousand_with_three_bad_stores_the_rest_and_names_the_bad(harness):
    h = harness()
    # Given 1,000 customers, three of them wrong in different ways
    batch = _customers(1000)
    batch[10]["email"] = "not an address"
    batch[500] = {"first_name": "No", "last_name": "Id"}
    batch[999]["billing_address"] = {"line1": "1 Oak", "zip": "12345"}
    # When they are sent in one request
    status, answer = h.call("PUT", "/api/v1/customers", batch)
    # Then 997 are stored and queued, and each bad one is reported with its field
    assert status == 200
    assert answer["counts"] == {"created": 997, "updated": 0, "unchanged": 0, "invalid": 3}
    bad = {r["index"]: r for r in answer["results"] if r["status"] == "invalid"}
    assert bad[10]["errors"] == {"email": "must be an email address"}
    assert bad[500]["errors"] == {"external_id": "must not be empty"}
    assert bad[999]["errors"] == {"billing_address.zip": "is not a known field"}
    assert _count(h, Record) == 997
    assert answer["results"][0] == {"index": 0, "external_id": "c0", "status": "created", "sync_state": "queued"}
    status, _ = h.call("GET", "/api/v1/customers/c999")
    assert status == 404


def test_unchanged_records_are_not_queued_again(harness):
    h = harness()
    batch = _customers(5)
    h.call("PUT", "/api/v1/customers", batch)
    h.sync()
    assert _count(h, QueueItem, QueueItem.status.in_(OPEN_STATUSES)) == 0
    # When the same batch comes again with one record changed
    batch[2]["phone"] = "555-0102"
    status, answer = h.call("PUT", "/api/v1/customers", batch)
    # Then only that one is updated and queued; the others are unchanged and stay synced
    assert status == 200
    assert answer["counts"] == {"created": 0, "updated": 1, "unchanged": 4, "invalid": 0}
    assert [r["sync_state"] for r in answer["results"]] == ["synced", "synced", "queued", "synced", "synced"]
    assert _count(h, QueueItem, QueueItem.status.in_(OPEN_STATUSES)) == 1


def test_a_batch_must_be_a_list_of_at_most_a_thousand(harness):
    h = harness()
    status, answer = h.call("PUT", "/api/v1/customers", _customers(1001))
    assert status == 422
    assert answer["errors"]["body"].startswith("must have at most 1000 records")
    status, answer = h.call("PUT", "/api/v1/customers", {"external_id": "c1"})
    assert status == 422
    assert _count(h, Record) == 0


def test_a_record_with_text_no_database_can_hold_is_refused_alone(harness):
    h = harness()
    # Given a batch whose second record carries a lone surrogate and a NUL, written as JSON escapes
    raw = (
        '[{"external_id": "c1", "first_name": "Ann", "last_name": "Lee"},'
        ' {"external_id": "c2", "first_name": "\\ud800", "last_name": "Lee\\u0000"},'
        ' {"external_id": "c3", "first_name": "Bo", "last_name": "Lee"}]'
    )
    status, answer = h.call_raw("PUT", "/api/v1/customers", raw.encode())
    # Then the other two are stored, and the bad one is refused with its fields
    assert status == 200, answer
    assert answer["counts"]["created"] == 2 and answer["counts"]["invalid"] == 1
    [bad] = [r for r in answer["results"] if r["status"] == "invalid"]
    assert bad["index"] == 1 and set(bad["errors"]) == {"first_name", "last_name"}
    assert _count(h, Record) == 2
