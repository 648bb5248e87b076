"""The bell: records in error grouped by cause, with QuickBooks' message, the hint, and reprocess."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qbwc_server.models import Record, SyncState
from qbwc_server.sync.policy import quickbooks_error

ZELLE = quickbooks_error(
    3140,
    'There is an invalid reference to QuickBooks PaymentMethod "Zelle" in the ReceivePayment.  '
    "QuickBooks error message: Invalid argument.  The specified record does not exist in the list.",
    "payment",
)
NAME_TAKEN = quickbooks_error(3100, 'The name "Smith, Jo" of the list element is already in use.', "customer")


@pytest.fixture
def company(make_company):
    return make_company("acme", "Acme Plumbing")


@pytest.fixture
def signed_in(client, company, make_user, login):
    make_user("anna@example.com", "bookkeeper", ("acme",))
    login("anna@example.com")
    return client


@pytest.fixture
def failures(company, make_record):
    ids = {}
    for number in (1, 2, 3):
        ids[f"pay-{number}"] = make_record(
            company,
            "payment",
            f"pay-{number}",
            {"customer": "c-1", "amount": "10.00", "method": "Zelle"},
            state=SyncState.ERROR,
            error=ZELLE,
        )
    ids["cust"] = make_record(
        company, "customer", "c-9", {"last_name": "Smith", "first_name": "Jo"}, state=SyncState.ERROR, error=NAME_TAKEN
    )
    ids["blocked"] = make_record(
        company,
        "invoice",
        "inv-9",
        {"number": "1009", "customer": "c-9"},
        state=SyncState.BLOCKED,
        error={"kind": "waiting", "message": "Waiting for customer 'Smith, Jo', which failed: QuickBooks error 3100."},
    )
    ids["fine"] = make_record(company, "customer", "c-1", {"name": "Fine"}, state=SyncState.SYNCED)
    return ids


def test_errors_are_grouped_by_cause_with_the_message_and_what_to_do(signed_in, failures):
    page = signed_in.get("/c/acme/errors").get_data(as_text=True)
    assert "5 records did not sync, for 3 reasons" in page
    # The biggest group first, with QuickBooks' words and plain advice
    zelle = page.index("QuickBooks error 3140")
    taken = page.index("QuickBooks error 3100 <")
    waiting = page.index("Waiting for a record in error")
    assert zelle < taken < waiting
    assert "· 3 records" in page
    assert "Create the payment method &#39;Zelle&#39; in QuickBooks, or stop syncing &#39;Zelle&#39; payments" in page
    assert "A vendor, employee or other name in QuickBooks already uses this name" in page
    assert "Fix and reprocess that one; these follow by themselves." in page
    # Each affected record links to its page; a synced one is not listed
    assert f'/c/acme/records/{failures["pay-2"]}"' in page
    assert "Fine" not in page


def test_the_bell_in_the_navigation_counts_what_needs_a_look(signed_in, failures):
    page = signed_in.get("/c/acme/").get_data(as_text=True)
    assert '<span class="count">5</span>' in page


def test_an_empty_errors_page_says_all_is_well(signed_in):
    page = signed_in.get("/c/acme/errors").get_data(as_text=True)
    assert "Nothing needs a look" in page


def test_reprocess_all_queues_every_record_in_error_but_leaves_blocked_ones(rt, signed_in, failures):
    response = signed_in.post("/c/acme/errors/reprocess", follow_redirects=True)
    assert "4 records are queued again" in response.get_data(as_text=True)
    with rt.transaction() as db:
        states = dict(db.execute(select(Record.external_id, Record.sync_state)).all())
    assert states["pay-1"] is states["pay-3"] is states["c-9"] is SyncState.QUEUED
    assert states["inv-9"] is SyncState.BLOCKED


def test_reprocess_one_cause_leaves_the_others(rt, signed_in, failures):
    page = signed_in.get("/c/acme/errors").get_data(as_text=True)
    # The form of the first group (the Zelle payments) carries its cause key
    start = page.index('name="cause" value="') + len('name="cause" value="')
    key = page[start : page.index('"', start)]
    response = signed_in.post("/c/acme/errors/reprocess", data={"cause": key}, follow_redirects=True)
    assert "3 records are queued again" in response.get_data(as_text=True)
    with rt.transaction() as db:
        states = dict(db.execute(select(Record.external_id, Record.sync_state)).all())
    assert states["pay-1"] is SyncState.QUEUED
    assert states["c-9"] is SyncState.ERROR


def test_a_hint_is_worked_out_when_the_error_has_none(signed_in, company, make_record):
    make_record(
        company,
        "invoice",
        "inv-1",
        {"number": "1"},
        state=SyncState.ERROR,
        error={"status_code": 3175, "message": "QuickBooks error 3175: record in use"},
    )
    page = signed_in.get("/c/acme/errors").get_data(as_text=True)
    assert "It will be retried automatically" in page
