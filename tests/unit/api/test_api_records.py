"""The records part of the REST API, as a host app uses it: PUT, GET, lists, and asking for a sync."""

from __future__ import annotations

from sqlalchemy import func, select

from qbwc_server.models import OPEN_STATUSES, Company, QueueItem, Record, RecordKind
from tests.factories import refuse

CUSTOMER = {"first_name": "Ann", "last_name": "Lee", "billing_address": {"line1": "1 Main St", "city": "Springfield"}}


def rows(runtime, model=Record, *where) -> int:
    with runtime.transaction() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def test_put_then_get_shows_the_record_queued_with_its_log(client, auth):
    created = client.put("/api/v1/customers/c-1", json=CUSTOMER, headers=auth)
    assert created.status_code == 201
    shown = client.get("/api/v1/customers/c-1", headers=auth)
    assert shown.status_code == 200
    body = shown.get_json()
    assert body["external_id"] == "c-1"
    assert body["billing_address"] == {"line1": "1 Main St", "city": "Springfield"}
    assert body["quickbooks"] == {"id": None, "edit_sequence": None, "full_name": None}
    assert body["sync"]["state"] == "queued"
    assert body["sync"]["last_error"] is None
    assert [entry["event"] for entry in body["sync"]["log"]] == ["stored", "queued"]
    assert body["sync"]["log"][0]["message"] == "Received from the app."
    assert created.get_json() == body
    # Fields read in the order the API documents them, on every database.
    assert list(body) == ["external_id", "first_name", "last_name", "billing_address", "quickbooks", "sync"]


def test_a_second_put_updates_with_200(client, auth, runtime):
    client.put("/api/v1/customers/c-1", json=CUSTOMER, headers=auth)
    updated = client.put("/api/v1/customers/c-1", json={**CUSTOMER, "phone": "555-0100"}, headers=auth)
    assert updated.status_code == 200
    assert updated.get_json()["phone"] == "555-0100"
    assert rows(runtime) == 1


def test_invalid_input_gets_422_with_field_paths_and_stores_nothing(client, auth, runtime):
    response = client.put(
        "/api/v1/invoices/inv-1",
        json={"customer": "c-1", "status": "open", "lines": [{"item": "svc", "quantity": "two", "amount": 12.345}]},
        headers=auth,
    )
    assert response.status_code == 422
    assert response.get_json() == {
        "errors": {
            "status": "must be one of: draft, sent, finished, paid",
            "lines.0.quantity": "must be a number",
            "lines.0.amount": "must have at most 2 decimal places",
        }
    }
    assert rows(runtime) == 0
    assert rows(runtime, QueueItem) == 0


def test_json_numbers_are_read_exactly(client, auth):
    body = client.put(
        "/api/v1/payments/p-1",
        json={
            "customer": "c-1",
            "amount": 0.3,
            "applied_to": [{"invoice": "i-1", "amount": 0.1}, {"invoice": "i-2", "amount": 0.2}],
        },
        headers=auth,
    ).get_json()
    assert body["amount"] == "0.30"
    assert [entry["amount"] for entry in body["applied_to"]] == ["0.10", "0.20"]


def test_a_body_that_is_not_json_gets_400_with_the_reason(client, auth, runtime):
    response = client.put(
        "/api/v1/customers/c-1", data="{first_name: Ann", headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("the body is not valid JSON")
    assert client.put("/api/v1/customers/c-1", data='{"amount": NaN}', headers=auth).status_code == 400
    assert rows(runtime) == 0


def test_a_body_that_is_not_an_object_gets_422(client, auth):
    response = client.put("/api/v1/customers/c-1", json=["Ann"], headers=auth)
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"body": "must be a JSON object with the customer's fields"}}


def test_unknown_resources_and_records_are_404_in_json(client, auth):
    unknown = client.put("/api/v1/estimates/e-1", json={}, headers=auth)
    assert unknown.status_code == 404
    assert "the resources are customers, jobs, items, invoices, payments, vendors, bills" in unknown.get_json()["error"]
    missing = client.get("/api/v1/customers/nobody", headers=auth)
    assert missing.status_code == 404
    assert missing.get_json() == {"error": "no customer with external_id 'nobody'"}
    assert client.get("/api/v1/customers/a/b/c", headers=auth).get_json()["error"]
    assert client.delete("/api/v1/customers/nobody", headers=auth).status_code == 404
    wrong_method = client.patch("/api/v1/customers/c-1", headers=auth)
    assert wrong_method.status_code == 405
    assert "error" in wrong_method.get_json()
    # Outside the API, errors stay ordinary pages.
    elsewhere = client.get("/no-such-page")
    assert elsewhere.status_code == 404
    assert elsewhere.mimetype == "text/html"


def test_a_draft_invoice_is_pending_and_says_why(client, auth):
    body = client.put("/api/v1/invoices/inv-1", json={"customer": "c-1", "status": "draft"}, headers=auth).get_json()
    assert body["sync"]["state"] == "pending"
    assert body["sync"]["last_error"]["message"] == "Not sent yet: draft invoices never go to QuickBooks."


def test_a_payment_by_a_filtered_method_is_excluded_with_the_reason(client, auth):
    client.patch("/api/v1/settings", json={"payment_methods": ["Check"]}, headers=auth)
    body = client.put(
        "/api/v1/payments/p-1", json={"customer": "c-1", "amount": "50", "method": "Visa"}, headers=auth
    ).get_json()
    assert body["sync"]["state"] == "excluded"
    assert body["sync"]["log"][-1]["event"] == "excluded"
    assert body["sync"]["log"][-1]["message"] == (
        "Not synced: payments by 'Visa' do not sync; the company syncs Check payments."
    )


def test_list_filters_by_sync_state_and_pages(client, auth, runtime, make_company):
    for number in range(3):
        client.put(f"/api/v1/customers/c-{number}", json=CUSTOMER, headers=auth)
    with runtime.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == "c-1"))
        refuse(db, record, 3140, "There is an invalid reference")
    errors = client.get("/api/v1/customers?sync_state=error", headers=auth).get_json()
    assert [r["external_id"] for r in errors["data"]] == ["c-1"]
    error = errors["data"][0]["sync"]["last_error"]
    assert (error["status_code"], error["quickbooks"]["code"], error["retryable"]) == (3140, 3140, True)
    assert error["who_must_act"] == "bookkeeper_in_quickbooks" and error["fix"] == "create_in_quickbooks"
    first = client.get("/api/v1/customers?limit=2", headers=auth).get_json()
    rest = client.get(f"/api/v1/customers?limit=2&cursor={first['next_cursor']}", headers=auth).get_json()
    assert [r["external_id"] for r in first["data"] + rest["data"]] == ["c-0", "c-1", "c-2"]
    assert rest["next_cursor"] is None
    bad = client.get("/api/v1/customers?sync_state=broken&limit=0", headers=auth)
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"sync_state"}
    assert client.get("/api/v1/customers?limit=0", headers=auth).get_json() == {
        "errors": {"limit": "must be a whole number from 1 to 500"}
    }


def test_sync_one_record_queues_it_when_automatic_sync_is_off(client, auth, runtime):
    client.patch("/api/v1/settings", json={"auto_sync": False}, headers=auth)
    stored = client.put(
        "/api/v1/items/svc", json={"name": "Service Call", "type": "service", "price": 95}, headers=auth
    )
    assert stored.get_json()["sync"]["state"] == "pending"
    synced = client.post("/api/v1/items/svc/sync", headers=auth)
    assert synced.status_code == 200
    assert synced.get_json()["sync"]["state"] == "queued"
    assert rows(runtime, QueueItem, QueueItem.status.in_(OPEN_STATUSES)) == 1
    assert client.post("/api/v1/items/nothing/sync", headers=auth).status_code == 404


def test_force_sync_queues_everything_unsynced(client, auth, runtime):
    client.patch("/api/v1/settings", json={"auto_sync": False}, headers=auth)
    client.put("/api/v1/customers/c-1", json=CUSTOMER, headers=auth)
    client.put("/api/v1/customers/c-2", json=CUSTOMER, headers=auth)
    client.put("/api/v1/jobs/j-1", json={"customer": "c-1", "number": "J-1"}, headers=auth)
    client.put("/api/v1/invoices/inv-1", json={"customer": "c-1", "status": "draft"}, headers=auth)
    assert rows(runtime, QueueItem) == 0
    response = client.post("/api/v1/sync", headers=auth)
    assert response.status_code == 200
    assert response.get_json() == {"queued": 3}
    states = {
        r["external_id"]: r["sync"]["state"]
        for resource in ("customers", "jobs", "invoices")
        for r in client.get(f"/api/v1/{resource}", headers=auth).get_json()["data"]
    }
    # The draft stays a draft: force sync never sends what must not go.
    assert states == {"c-1": "queued", "c-2": "queued", "j-1": "queued", "inv-1": "pending"}


def test_five_edits_through_the_api_leave_one_open_queue_item(client, auth, runtime):
    for number in range(5):
        client.put("/api/v1/customers/c-1", json={**CUSTOMER, "phone": f"555-010{number}"}, headers=auth)
    assert rows(runtime, QueueItem, QueueItem.status.in_(OPEN_STATUSES)) == 1
    with runtime.transaction() as db:
        record = db.scalar(select(Record).where(Record.kind == RecordKind.CUSTOMER))
        assert record.version == 5
        assert db.get(Company, record.company_id).slug == "acme"
