"""Webhooks over real HTTP: a host app hears about each record's outcome, signed, once, however its endpoint fails."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from qbwc_server.models import DeliveryStatus, WebhookDelivery
from qbwc_server.simulator.webconnector import Faults
from tests.conftest import wait_for

CUSTOMER = {"first_name": "Ann", "last_name": "Lee", "billing_address": {"line1": "12 Oak St", "city": "Springfield"}}
INVOICE = {
    "customer": "c1",
    "number": "1001",
    "date": "2026-11-02",
    "status": "sent",
    "lines": [{"description": "Repair", "quantity": 1, "rate": "120.00", "amount": "120.00"}],
}


def _add_endpoint(harness, url: str, events: list[str] | None = None) -> dict:
    status, endpoint = harness.call("POST", "/api/v1/webhooks", {"url": url, "events": events or []})
    assert status == 201, endpoint
    assert endpoint["secret"].startswith("whsec_")
    return endpoint


def _all_settled(harness) -> bool:
    with harness.runtime.transaction() as db:
        statuses = db.scalars(select(WebhookDelivery.status)).all()
    return bool(statuses) and all(s in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED) for s in statuses)


def test_each_event_arrives_once_signed_after_two_refusals(harness, receiver, deliverer):
    # Given an endpoint that answers 500 twice to every message before it takes it
    hooks = receiver(failures=2)
    endpoint = _add_endpoint(harness, hooks.url)
    deliverer(harness.runtime)
    # When a customer and an invoice sync to QuickBooks
    harness.put("customers", "c1", CUSTOMER)
    harness.put("invoices", "i1", INVOICE)
    harness.sync()
    assert wait_for(lambda: _all_settled(harness), timeout=30)

    # Then each event was taken exactly once, after two refused attempts, with a signature the library accepts
    accepted = hooks.accepted()
    ids = Counter(headers["webhook-id"] for headers, _ in accepted)
    assert ids and set(ids.values()) == {1}
    tries = Counter(headers["webhook-id"] for headers, _, _ in hooks.requests)
    assert set(tries.values()) == {3}
    verifier = Webhook(endpoint["secret"])
    events = [verifier.verify(body, headers) for headers, body in accepted]
    synced = {e["record"]["external_id"]: e for e in events if e["type"] == "record.synced"}
    assert set(synced) == {"c1", "i1"}
    assert synced["i1"]["record"]["quickbooks"]["id"] == harness.get("invoices", "i1")["quickbooks"]["id"]
    assert synced["c1"]["company"]["slug"] == "acme"
    assert all(headers["content-type"] == "application/json" for headers, _ in accepted)

    # And the endpoint's deliveries show every attempt with what the endpoint answered
    status, deliveries = harness.call("GET", f"/api/v1/webhooks/{endpoint['id']}/deliveries")
    assert status == 200
    assert {d["status"] for d in deliveries["data"]} == {"delivered"}
    assert all([a["status_code"] for a in d["history"]] == [500, 500, 200] for d in deliveries["data"])


def test_a_silent_endpoint_does_not_hold_up_the_web_connector(harness, receiver, deliverer):
    # Given an endpoint that takes requests and does not answer until the test lets it, holding a test event now
    release = threading.Event()
    hooks = receiver(hold=release)
    endpoint = _add_endpoint(harness, hooks.url)
    deliverer(harness.runtime, timeout_seconds=60.0)
    harness.call("POST", f"/api/v1/webhooks/{endpoint['id']}/test")
    assert wait_for(lambda: bool(hooks.requests), timeout=10)
    # When two customers are stored and the Web Connector syncs
    harness.put("customers", "c1", CUSTOMER)
    harness.put("customers", "c2", {**CUSTOMER, "first_name": "Bo"})
    reports = harness.sync()
    # Then the session finished and the records are in QuickBooks while the endpoint has still answered nothing
    assert reports[0].outcome != "no_work"
    assert harness.get("customers", "c1")["sync"]["state"] == "synced"
    assert harness.get("customers", "c2")["sync"]["state"] == "synced"
    assert hooks.answered == 0
    # And once the endpoint answers, the events reach it
    release.set()
    assert wait_for(lambda: _all_settled(harness), timeout=30)
    types = Counter(json.loads(body)["type"] for _, body in hooks.accepted())
    assert types["record.synced"] == 2
    assert types["webhook.test"] == 1


def test_a_lost_answer_is_announced_and_then_resolved(harness, receiver, deliverer):
    # Given an endpoint for record outcomes
    hooks = receiver()
    _add_endpoint(harness, hooks.url)
    deliverer(harness.runtime)
    harness.put("customers", "c1", CUSTOMER)
    # When QuickBooks adds the customer but the Web Connector loses its answer, and the next session checks
    harness.session(Faults(drop_response_at=1))
    harness.sync()
    assert wait_for(lambda: _all_settled(harness) and len(hooks.accepted()) >= 3, timeout=30)
    # Then the host app heard that the outcome was unknown, then that it was found, then that it is synced
    events = [json.loads(body) for _, body in hooks.accepted()]
    types = [e["type"] for e in events if e["record"] and e["record"]["external_id"] == "c1"]
    assert types == ["record.outcome_unknown", "record.outcome_resolved", "record.synced"]
    resolved = next(e for e in events if e["type"] == "record.outcome_resolved")
    assert resolved["data"]["found_in_quickbooks"] is True
    assert len(harness.qb_named("Customer", "Lee, Ann")) == 1


def test_an_error_event_carries_quickbooks_message_and_the_hint(harness, receiver, deliverer):
    # Given an endpoint that wants only errors
    hooks = receiver()
    _add_endpoint(harness, hooks.url, events=["record.error"])
    deliverer(harness.runtime)
    # When an invoice names a tax rate the settings do not map, and syncs
    harness.put("customers", "c1", CUSTOMER)
    harness.put("invoices", "i1", {**INVOICE, "tax_rate": "Nowhere 9%"})
    harness.sync()
    assert wait_for(lambda: _all_settled(harness) and hooks.accepted(), timeout=30)
    # Then only the error arrived, with what went wrong and what to do
    events = [json.loads(body) for _, body in hooks.accepted()]
    assert [e["type"] for e in events] == ["record.error"]
    error = events[0]["data"]["error"]
    assert error["message"] and error["hint"]
    assert events[0]["record"]["external_id"] == "i1"


def test_an_import_and_the_connection_state_are_announced(harness, receiver, deliverer):
    # Given an endpoint for imports and the connection state
    hooks = receiver()
    _add_endpoint(harness, hooks.url, events=["import.finished", "connection.state_changed"])
    deliverer(harness.runtime)
    # When an import of customers is queued and the Web Connector runs it
    status, _ = harness.call("POST", "/api/v1/imports", {"kinds": ["customers"]})
    assert status == 202
    harness.sync()
    assert wait_for(lambda: _all_settled(harness) and len(hooks.accepted()) >= 3, timeout=30)
    # Then the host app heard the import finish with its counts, and the connection go syncing, then connected
    events = [json.loads(body) for _, body in hooks.accepted()]
    finished = [e["data"]["import"] for e in events if e["type"] == "import.finished"]
    assert [(run["kind"], run["status"]) for run in finished] == [("customers", "done")]
    assert finished[0]["created"] > 0
    states = [e["data"]["state"] for e in events if e["type"] == "connection.state_changed"]
    assert states[0] == "syncing" and states[-1] == "connected"
    assert all(a != b for a, b in zip(states, states[1:], strict=False))


def test_a_removal_and_a_deletion_in_quickbooks_are_announced(harness, receiver, deliverer):
    # Given an endpoint for removals and deletions in QuickBooks, and two synced invoices
    hooks = receiver()
    _add_endpoint(harness, hooks.url, events=["record.removed", "record.deleted_in_quickbooks"])
    deliverer(harness.runtime)
    harness.put("customers", "c1", CUSTOMER)
    harness.put("invoices", "i1", INVOICE)
    harness.put("invoices", "i2", {**INVOICE, "number": "1002"})
    harness.sync()
    status, _ = harness.call("POST", "/api/v1/imports", {"kinds": ["invoices"]})
    assert status == 202
    harness.sync()
    # When the app removes one (it is voided in QuickBooks) and a bookkeeper deletes the other in QuickBooks
    status, removed = harness.call("DELETE", "/api/v1/invoices/i1")
    assert status == 200, removed
    harness.qb.delete(harness.get("invoices", "i2")["quickbooks"]["id"])
    status, _ = harness.call("POST", "/api/v1/imports", {"kinds": ["invoices"]})
    assert status == 202
    harness.sync()
    assert wait_for(lambda: _all_settled(harness) and len(hooks.accepted()) == 2, timeout=30)

    # Then each was announced once, saying what happened in words
    events = {e["record"]["external_id"]: e for e in (json.loads(body) for _, body in hooks.accepted())}
    assert events["i1"]["type"] == "record.removed" and events["i1"]["data"]["removal"] == "voided"
    assert "voided" in events["i1"]["data"]["message"]
    assert events["i2"]["type"] == "record.deleted_in_quickbooks"
    assert events["i2"]["data"]["message"].startswith("Deleted in QuickBooks on ")


def test_a_web_connector_that_stops_checking_in_is_announced_once(harness, receiver, deliverer, monkeypatch):
    from datetime import timedelta

    from qbwc_server import clock, status
    from qbwc_server.checkins import CheckinWatch, announce_quiet
    from qbwc_server.models import Company

    # Given an endpoint for the connection state, and a Web Connector that checked in once
    hooks = receiver()
    _add_endpoint(harness, hooks.url, events=["connection.state_changed"])
    deliverer(harness.runtime)
    harness.put("customers", "c1", CUSTOMER)
    harness.sync()
    assert wait_for(lambda: _all_settled(harness) and len(hooks.accepted()) >= 2, timeout=30)

    def states() -> list[str]:
        events = [json.loads(body) for _, body in hooks.accepted()]
        return [e["data"]["state"] for e in events if e["type"] == "connection.state_changed"]

    # When it stays away for more than three of its 15-minute runs, with no session to say so
    with harness.runtime.transaction() as db:
        db.scalar(select(Company)).last_checkin_at = clock.now() - timedelta(hours=2)
    watch = CheckinWatch(harness.runtime, every_seconds=0.05).start()
    try:
        # Then the server's own watcher announces it, with what to check
        assert wait_for(lambda: states()[-1:] == ["not_checking_in"], timeout=30)
    finally:
        watch.stop()
    # and once: watching again while it is still quiet says nothing new, without working out its status again
    with monkeypatch.context() as patched:
        patched.setattr(status, "company_status", lambda *a, **k: pytest.fail("status worked out again"))
        assert announce_quiet(harness.runtime) == 1
    assert wait_for(lambda: _all_settled(harness), timeout=30)
    events = [json.loads(body) for _, body in hooks.accepted()]
    quiet = [e["data"] for e in events if e["data"].get("state") == "not_checking_in"]
    assert len(quiet) == 1
    assert quiet[0]["label"] == "Not checking in" and quiet[0]["previous_state"] == "connected"
    assert "Web Connector" in quiet[0]["message"]
    assert any("QuickBooks open" in check for check in quiet[0]["checks"])
    # When it checks in again, the host app hears that it is back
    harness.sync()
    assert wait_for(lambda: states()[-1:] == ["connected"], timeout=30)
    assert states().count("not_checking_in") == 1


def test_a_quiet_company_paused_after_the_alarm_is_announced_as_paused(harness, receiver, deliverer):
    from datetime import timedelta

    from qbwc_server import clock
    from qbwc_server.checkins import announce_quiet
    from qbwc_server.models import Company, WebhookEvent

    _add_endpoint(harness, receiver().url, events=["connection.state_changed"])
    with harness.runtime.transaction() as db:
        db.scalar(select(Company)).last_checkin_at = clock.now() - timedelta(hours=2)
    announce_quiet(harness.runtime)
    with harness.runtime.transaction() as db:
        db.scalar(select(Company)).paused = True
    announce_quiet(harness.runtime)
    announce_quiet(harness.runtime)
    with harness.runtime.transaction() as db:
        events = db.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
        assert [e.payload["data"]["state"] for e in events] == ["not_checking_in", "paused"]


def test_nobody_is_watched_for_check_ins_without_an_endpoint_for_the_connection_state(harness, receiver):
    from datetime import timedelta

    from qbwc_server import clock
    from qbwc_server.checkins import announce_quiet
    from qbwc_server.models import Company, WebhookEvent

    _add_endpoint(harness, receiver().url, events=["record.synced"])
    with harness.runtime.transaction() as db:
        db.scalar(select(Company)).last_checkin_at = clock.now() - timedelta(hours=2)
    assert announce_quiet(harness.runtime) == 0
    with harness.runtime.transaction() as db:
        assert db.scalars(select(WebhookEvent)).all() == []


def test_an_endpoint_added_while_a_session_runs_hears_what_the_session_syncs(harness, receiver, deliverer):
    # Given a company with no endpoint when its Web Connector checks in (each call reads that with the company)
    hooks = receiver()
    deliverer(harness.runtime)
    harness.put("customers", "c1", CUSTOMER)
    process = harness.qb.process_detailed
    added: list[dict] = []

    def adding_an_endpoint(request_xml: str):  # type: ignore[no-untyped-def]
        # When the host app adds one while QuickBooks works on the session's request
        if not added and "<CustomerAddRq" in request_xml:
            added.append(_add_endpoint(harness, hooks.url, events=["record.synced"]))
        return process(request_xml)

    harness.qb.process_detailed = adding_an_endpoint
    harness.sync()
    assert added and wait_for(lambda: _all_settled(harness), timeout=30)

    # Then the answer's call, after the endpoint was added, announces the customer it synced
    events = [json.loads(body) for _, body in hooks.accepted()]
    assert [(e["type"], e["record"]["external_id"]) for e in events] == [("record.synced", "c1")]
