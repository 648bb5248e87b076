"""The company's side of the API: connection status with queue counts, and sync settings."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from qbwc_server import clock
from qbwc_server.company_settings import DEFAULTS
from qbwc_server.models import Company, Record, SessionState, WcSession
from tests.factories import refuse


def set_company(runtime, slug: str, **values) -> None:
    with runtime.transaction() as db:
        company = db.scalar(select(Company).where(Company.slug == slug))
        for key, value in values.items():
            setattr(company, key, value)


def status(client, auth) -> dict:
    response = client.get("/api/v1/status", headers=auth)
    assert response.status_code == 200
    return response.get_json()


def test_status_walks_through_the_states_a_bookkeeper_sees(client, auth, runtime):
    first = status(client, auth)
    assert first["state"] == "never_connected"
    assert first["last_checkin_at"] is None
    assert first["company"] == {"slug": "acme", "name": "Acme"}

    checked_in = clock.now() - timedelta(minutes=5)
    set_company(runtime, "acme", last_checkin_at=checked_in)
    connected = status(client, auth)
    assert connected["state"] == "connected"
    assert connected["last_checkin_at"] == checked_in.isoformat()

    with runtime.transaction() as db:
        company = db.scalar(select(Company))
        db.add(WcSession(ticket="t" * 36, company_id=company.id, state=SessionState.OPEN, last_seen_at=clock.now()))
    assert status(client, auth)["state"] == "syncing"

    with runtime.transaction() as db:
        session = db.scalar(select(WcSession))
        session.state, session.last_error = SessionState.FAILED, "QuickBooks is not running"
    failed = status(client, auth)
    assert (failed["state"], failed["message"]) == (
        "error",
        "The last Web Connector session failed: QuickBooks is not running",
    )

    set_company(runtime, "acme", paused=True)
    paused = status(client, auth)
    assert paused["state"] == "paused"
    assert paused["paused"] is True


def test_a_session_abandoned_long_ago_is_not_syncing(client, auth, runtime):
    with runtime.transaction() as db:
        company = db.scalar(select(Company))
        company.last_checkin_at = clock.now() - timedelta(hours=3)
        # A schedule of two hours: three hours of quiet is not yet an alarm.
        company.run_every_minutes = 120
        db.add(
            WcSession(
                ticket="t" * 36,
                company_id=company.id,
                state=SessionState.OPEN,
                last_seen_at=clock.now() - timedelta(hours=3),
            )
        )
    assert status(client, auth)["state"] == "connected"


def test_status_raises_the_alarm_when_the_web_connector_stops_checking_in(client, auth, runtime):
    with runtime.transaction() as db:
        company = db.scalar(select(Company))
        company.last_checkin_at = clock.now() - timedelta(hours=2)
        started = clock.now().replace(microsecond=0) - timedelta(hours=2)
        db.add(WcSession(ticket="t" * 36, company_id=company.id, state=SessionState.CLOSED, created_at=started))
    body = status(client, auth)
    assert (body["state"], body["label"]) == ("not_checking_in", "Not checking in")
    assert body["stale"] is True
    assert (
        body["message"] == "The Web Connector has not started a session for 2 hours though it should every 15 minutes."
    )
    assert body["last_good_session_at"] == started.isoformat()
    assert any("Windows computer" in check for check in body["checks"])
    assert body["checks"][-1] == f"Last good session: {started:%Y-%m-%d %H:%M} UTC."


def test_status_counts_records_by_state_and_flags_errors(client, auth, runtime):
    set_company(runtime, "acme", last_checkin_at=clock.now())
    client.put("/api/v1/customers/c-1", json={"last_name": "Lee"}, headers=auth)
    client.put("/api/v1/customers/c-2", json={"last_name": "Ng"}, headers=auth)
    client.put("/api/v1/invoices/inv-1", json={"customer": "c-1", "status": "draft"}, headers=auth)
    counts = status(client, auth)["queue"]
    assert (counts["queued"], counts["pending"], counts["error"], counts["synced"]) == (2, 1, 0, 0)
    with runtime.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == "c-2"))
        refuse(db, record, 3100, "The name is already in use")
    body = status(client, auth)
    assert body["state"] == "error"
    assert body["message"].startswith("1 record did not sync")
    assert body["queue"]["error"] == 1


def test_settings_show_defaults_and_change_with_validation(client, auth, runtime):
    shown = client.get("/api/v1/settings", headers=auth).get_json()["settings"]
    assert shown == DEFAULTS

    changed = client.patch("/api/v1/settings", json={"batch_size": 50, "auto_sync": False}, headers=auth)
    assert changed.status_code == 200
    assert changed.get_json()["settings"]["batch_size"] == 50

    refused = client.patch(
        "/api/v1/settings",
        json={"batch_size": 0, "sync_kinds": ["customer", "estimate"], "colour": "blue", "auto_sync": True},
        headers=auth,
    )
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert set(errors) == {"batch_size", "sync_kinds", "colour"}
    assert errors["batch_size"] == "must be between 1 and 500"
    # Nothing of a refused change is kept, not even its valid part.
    with runtime.transaction() as db:
        assert db.scalar(select(Company)).settings == {"batch_size": 50, "auto_sync": False}

    assert client.patch("/api/v1/settings", json=[1], headers=auth).status_code == 422
    assert client.patch("/api/v1/settings", data="nope", headers=auth).status_code == 400
