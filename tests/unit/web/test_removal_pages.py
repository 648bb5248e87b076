"""The page's side of removals, credits and refunds: a Remove button that says what QuickBooks will do, a removed
record that shows it, and the errors page's advice for a refund too large or without a refund account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qbwc_server.models import QueueItem, Record, SyncState
from qbwc_server.sync.builders.refunds import NO_REFUND_ACCOUNT
from qbwc_server.sync.builders.types import ProblemKind
from qbwc_server.sync.policy import cannot_send, quickbooks_error

OVER_REFUND = quickbooks_error(
    3210,
    'The "RefundAmount" field has an invalid value "10.00".  QuickBooks error message: The transaction has only '
    "0.00 of credit remaining.",
    "refund",
)


@pytest.fixture
def company(make_company):
    return make_company("acme", "Acme Plumbing")


@pytest.fixture
def signed_in(client, company, make_user, login):
    make_user("anna@example.com", "bookkeeper", ("acme",))
    login("anna@example.com")
    return client


def test_the_errors_page_says_what_to_do_about_refunds(signed_in, company, make_record):
    make_record(
        company,
        "refund",
        "r-1",
        {"customer": "c-1", "amount": "10.00", "payment": "p-1"},
        state=SyncState.ERROR,
        error=OVER_REFUND,
    )
    make_record(
        company,
        "refund",
        "r-2",
        {"customer": "c-1", "amount": "5.00", "credit_memo": "cm-1"},
        state=SyncState.ERROR,
        error=cannot_send(NO_REFUND_ACCOUNT, ProblemKind.REFUND_ACCOUNT),
    )
    page = signed_in.get("/c/acme/errors").get_data(as_text=True)
    assert "The refund or the credit applied is larger than the credit left in QuickBooks" in page
    assert "Choose the account refunds are paid from in the settings (Refund account" in page


def test_a_record_is_removed_from_its_page_and_then_shows_it(signed_in, company, make_record, rt):
    record_id = make_record(
        company, "invoice", "inv-1", {"customer": "c-1", "number": "1001", "status": "sent"}, state=SyncState.SYNCED
    )
    with rt.transaction() as db:
        db.get(Record, record_id).qb_id = "1A-1700000000"
    page = signed_in.get(f"/c/acme/records/{record_id}").get_data(as_text=True)
    assert "Remove, and void it in QuickBooks" in page

    answer = signed_in.post(f"/c/acme/records/{record_id}/remove", follow_redirects=True).get_data(as_text=True)

    assert "Removed by the app: voiding it in QuickBooks." in answer
    assert "Remove, and void it in QuickBooks" not in answer
    with rt.transaction() as db:
        record = db.get(Record, record_id)
        assert record.removal == "void" and record.sync_state is SyncState.QUEUED
        (item,) = db.scalars(select(QueueItem).where(QueueItem.record_id == record_id)).all()
        assert item.action.value == "void"
