"""The dashboard and the company-wide actions: status light, check-in, counts, sessions, force sync, pause."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from qbwc_server import clock
from qbwc_server.models import Company, ImportRun, ImportStatus, Record, SessionState, SyncState, WcSession


@pytest.fixture
def signed_in(client, make_user, login):
    make_user("anna@example.com", "admin")
    login("anna@example.com")
    return client


def test_a_new_company_says_it_never_connected_and_how_to_connect(signed_in, make_company):
    make_company("acme")
    page = signed_in.get("/c/acme/").get_data(as_text=True)
    assert 'class="light light-never_connected"' in page
    assert ">Never connected<" in page
    assert "Add the .qwc file" in page


def test_a_connected_company_shows_the_check_in_quickbooks_and_sessions(rt, signed_in, make_company, make_record):
    now = clock.now()
    company = make_company(
        "acme",
        last_checkin_at=now - timedelta(minutes=3),
        qb_product="QuickBooks Pro 2024",
        qb_version="34.0",
        qb_company_name="Acme Plumbing LLC",
    )
    make_record(company, "customer", "c-1", state=SyncState.SYNCED)
    with rt.transaction() as db:
        db.add(
            WcSession(
                ticket="abc",
                company_id=company,
                state=SessionState.CLOSED,
                summary="3 records added, 1 updated",
                created_at=now - timedelta(minutes=3),
                closed_at=now - timedelta(minutes=2),
            )
        )
    page = signed_in.get("/c/acme/").get_data(as_text=True)
    assert ">Connected<" in page
    assert "3 minutes ago" in page
    assert "QuickBooks Pro 2024 (version 34.0)" in page
    assert "Acme Plumbing LLC" in page
    assert "3 records added, 1 updated" in page
    assert "Finished" in page
    assert "has not checked in" not in page


def test_a_silent_web_connector_is_called_out(signed_in, make_company):
    make_company("acme", last_checkin_at=clock.now() - timedelta(hours=2), run_every_minutes=15)
    page = signed_in.get("/c/acme/").get_data(as_text=True)
    assert ">Not checking in<" in page
    assert "The Web Connector has not checked in for more than 45 minutes" in page
    assert "Is the Windows computer with QuickBooks on" in page
    assert "Last good session: none yet." in page


def test_counts_by_state_link_to_the_filtered_list(signed_in, make_company, make_record):
    company = make_company("acme", last_checkin_at=clock.now())
    make_record(company, "customer", "c-1", state=SyncState.ERROR, error={"message": "x"})
    make_record(company, "customer", "c-2", state=SyncState.QUEUED)
    make_record(company, "customer", "c-3", state=SyncState.QUEUED)
    page = signed_in.get("/c/acme/").get_data(as_text=True)
    assert ">Error<" in page
    assert 'href="/c/acme/records?state=queued"' in page
    assert "See what did not sync (1)" in page


def test_import_progress_is_shown(rt, signed_in, make_company):
    company = make_company("acme")
    with rt.transaction() as db:
        db.add(ImportRun(company_id=company, kind="customers", status=ImportStatus.RUNNING, seen=500, remaining=1500))
    page = signed_in.get("/c/acme/").get_data(as_text=True)
    assert '<progress max="2000" value="500">' in page
    assert "1500 to go" in page


def test_force_sync_queues_everything_unsynced(rt, signed_in, make_company, make_record):
    company = make_company("acme")
    make_record(company, "customer", "c-1", state=SyncState.PENDING)
    make_record(company, "customer", "c-2", state=SyncState.ERROR, error={"message": "x"})
    make_record(company, "customer", "c-3", state=SyncState.EXCLUDED)
    response = signed_in.post("/c/acme/sync", follow_redirects=True)
    assert "2 records are queued for the next Web Connector session." in response.get_data(as_text=True)
    with rt.transaction() as db:
        states = dict(db.execute(select(Record.external_id, Record.sync_state)).all())
    assert states == {"c-1": SyncState.QUEUED, "c-2": SyncState.QUEUED, "c-3": SyncState.EXCLUDED}


def test_pause_and_resume(rt, signed_in, make_company):
    make_company("acme")
    page = signed_in.post("/c/acme/pause", follow_redirects=True).get_data(as_text=True)
    assert "Sync is paused" in page and ">Paused<" in page and "Resume sync" in page
    with rt.transaction() as db:
        assert db.scalars(select(Company.paused)).one() is True
    page = signed_in.post("/c/acme/resume", follow_redirects=True).get_data(as_text=True)
    assert "Sync is resumed" in page and "Pause sync" in page
    with rt.transaction() as db:
        assert db.scalars(select(Company.paused)).one() is False


def test_the_company_list_shows_each_light(signed_in, make_company, make_record):
    make_company("alpha", "Alpha", paused=True)
    beta = make_company("beta", "Beta", last_checkin_at=clock.now())
    make_record(beta, "customer", "c-1", state=SyncState.ERROR, error={"message": "x"})
    page = signed_in.get("/").get_data(as_text=True)
    assert "light-paused" in page and "light-error" in page
    assert "1 record</a>" in page


def test_an_import_started_from_the_page_is_queued_and_shown(rt, signed_in, make_company):
    make_company("acme")
    page = signed_in.get("/c/acme/").get_data(as_text=True)
    assert 'value="customers" checked' in page
    response = signed_in.post("/c/acme/import", data={"kinds": ["customers", "accounts"]}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Import of accounts, customers queued" in text
    with rt.transaction() as db:
        assert sorted(db.scalars(select(ImportRun.kind))) == ["accounts", "customers"]
    nothing = signed_in.post("/c/acme/import", data={}, follow_redirects=True).get_data(as_text=True)
    assert "Nothing imported" in nothing
