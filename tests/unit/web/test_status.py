"""The status light: one function decides it for the page and the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qbwc_server import clock
from qbwc_server.models import Company, Record, RecordKind, SessionState, SyncState, WcSession
from qbwc_server.status import company_status


def _company(db, **columns):
    company = Company(
        slug="acme",
        name="Acme",
        qbwc_username="acme",
        password_hash="x",
        owner_id="{00000000-0000-0000-0000-000000000001}",
        file_id="{00000000-0000-0000-0000-000000000002}",
        **columns,
    )
    db.add(company)
    db.flush()
    return company


def _records(db, company, *states):
    for number, state in enumerate(states):
        db.add(Record(company_id=company.id, kind=RecordKind.CUSTOMER, external_id=f"c{number}", sync_state=state))
    db.flush()


def test_a_new_company_has_never_connected(runtime):
    with runtime.transaction() as db:
        status = company_status(db, _company(db))
    assert (status.state, status.label) == ("never_connected", "Never connected")
    assert "has not checked in yet" in status.explanation
    assert status.last_checkin_at is None and not status.stale


def test_connected_when_it_checked_in_and_nothing_waits(runtime):
    now = clock.now()
    with runtime.transaction() as db:
        company = _company(db, last_checkin_at=now - timedelta(minutes=5), qb_product="QuickBooks Pro 2024")
        _records(db, company, SyncState.SYNCED, SyncState.EXCLUDED)
        status = company_status(db, company, now=now)
    assert status.state == "connected"
    assert status.qb_product == "QuickBooks Pro 2024"
    assert status.counts["synced"] == 1 and status.counts["excluded"] == 1


def test_syncing_while_records_are_queued_or_sent(runtime):
    now = clock.now()
    with runtime.transaction() as db:
        company = _company(db, last_checkin_at=now)
        _records(db, company, SyncState.SYNCED, SyncState.QUEUED, SyncState.SENT)
        status = company_status(db, company, now=now)
    assert status.state == "syncing"
    assert "2 records are waiting" in status.explanation


def test_error_when_a_record_failed_even_while_others_sync(runtime):
    now = clock.now()
    with runtime.transaction() as db:
        company = _company(db, last_checkin_at=now)
        _records(db, company, SyncState.QUEUED, SyncState.ERROR, SyncState.BLOCKED)
        status = company_status(db, company, now=now)
    assert (status.state, status.label) == ("error", "Error")
    assert status.needs_attention == 2
    assert "2 records did not sync" in status.explanation


def test_error_when_the_last_session_failed(runtime):
    now = clock.now()
    with runtime.transaction() as db:
        company = _company(db, last_checkin_at=now)
        db.add(
            WcSession(
                ticket="t1",
                company_id=company.id,
                state=SessionState.FAILED,
                last_error="QuickBooks could not open the company file",
                created_at=now - timedelta(minutes=1),
            )
        )
        earlier = now - timedelta(hours=1)
        db.add(WcSession(ticket="t0", company_id=company.id, state=SessionState.CLOSED, created_at=earlier))
        status = company_status(db, company, now=now)
    assert status.state == "error"
    assert "could not open the company file" in status.explanation
    assert [s.state for s in status.sessions] == ["failed", "closed"]


def test_paused_wins_over_everything(runtime):
    with runtime.transaction() as db:
        company = _company(db, paused=True)
        _records(db, company, SyncState.ERROR)
        status = company_status(db, company)
    assert (status.state, status.label) == ("paused", "Paused")


@pytest.mark.parametrize(("minutes_ago", "state"), [(44, "connected"), (46, "not_checking_in")])
def test_not_checking_in_after_three_missed_runs(runtime, minutes_ago, state):
    now = clock.now()
    with runtime.transaction() as db:
        company = _company(db, last_checkin_at=now - timedelta(minutes=minutes_ago), run_every_minutes=15)
        status = company_status(db, company, now=now)
    assert status.state == state
    assert status.stale is (state == "not_checking_in")
    assert status.stale_after_minutes == 45


def test_not_checking_in_says_what_to_check_and_when_the_last_good_session_was(runtime):
    now = clock.now()
    with runtime.transaction() as db:
        company = _company(db, last_checkin_at=now - timedelta(hours=5), run_every_minutes=30)
        good = now.replace(microsecond=0) - timedelta(hours=6)
        db.add(WcSession(ticket="good", company_id=company.id, state=SessionState.CLOSED, created_at=good))
        db.add(
            WcSession(
                ticket="bad", company_id=company.id, state=SessionState.FAILED, created_at=now - timedelta(hours=5)
            )
        )
        _records(db, company, SyncState.ERROR)
        status = company_status(db, company, now=now)
    assert (status.state, status.label) == ("not_checking_in", "Not checking in")
    assert (
        status.explanation
        == "The Web Connector has not started a session for 5 hours though it should every 30 minutes."
    )
    assert status.last_good_session_at == good
    checks = " ".join(status.checks)
    assert "Windows computer with QuickBooks on" in checks
    assert "QuickBooks open" in checks
    assert "password for this company saved" in checks
    assert f"Last good session: {good:%Y-%m-%d %H:%M} UTC." in checks


def test_a_paused_company_is_paused_even_when_its_web_connector_is_quiet(runtime):
    now = clock.now()
    with runtime.transaction() as db:
        company = _company(db, last_checkin_at=now - timedelta(days=3), paused=True)
        status = company_status(db, company, now=now)
    assert status.state == "paused"
    assert status.stale and not status.checks


def test_the_session_list_shows_the_latest_five_with_a_summary(runtime):
    now = clock.now()
    with runtime.transaction() as db:
        company = _company(db, last_checkin_at=now)
        for number in range(7):
            db.add(
                WcSession(
                    ticket=f"t{number}",
                    company_id=company.id,
                    state=SessionState.CLOSED,
                    requests_sent=number,
                    succeeded=number,
                    created_at=now - timedelta(minutes=60 - number),
                )
            )
        status = company_status(db, company, now=now)
    assert len(status.sessions) == 5
    assert status.sessions[0].summary == "6 requests sent, 6 synced, 0 failed"
    assert status.as_dict()["sessions"][0]["requests_sent"] == 6


def test_syncing_while_a_session_is_running_even_with_nothing_queued(runtime):
    now = clock.now()
    with runtime.transaction() as db:
        # Scheduled every hour, so two hours later the Web Connector is late but not yet missing.
        company = _company(db, last_checkin_at=now, run_every_minutes=60)
        db.add(WcSession(ticket="live", company_id=company.id, state=SessionState.OPEN, last_seen_at=now))
        running = company_status(db, company, now=now)
        later = company_status(db, company, now=now + timedelta(hours=2))
    assert running.state == "syncing"
    assert "working with QuickBooks right now" in running.explanation
    # A session that went quiet long ago is not "syncing" any more
    assert later.state == "connected"
