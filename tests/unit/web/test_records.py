"""The records list and a record's page: filters, paging, the sync timeline, and reprocess/cancel/exclude/link."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qbwc_server.models import LogEvent, QueueAction, QueueItem, QueueStatus, Record, SyncLogEntry, SyncState
from qbwc_server.sync.policy import quickbooks_error

REQUEST = (
    '<ItemNonInventoryAddRq requestID="7"><ItemNonInventoryAdd><Name>Copper pipe</Name>'
    "<SalesOrPurchase><Price>12.50</Price><AccountRef><FullName>Material Sales</FullName></AccountRef>"
    "</SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>"
)
RESPONSE = (
    '<ItemNonInventoryAddRs requestID="7" statusCode="3140" statusSeverity="Error" statusMessage="There is an '
    'invalid reference to QuickBooks Account &quot;Material Sales&quot; in the Item."/>'
)
ERROR = {
    "status_code": 3140,
    "message": "QuickBooks error 3140: There is an invalid reference to QuickBooks Account "
    '"Material Sales" in the Item.',
    "hint": "Create the account 'Material Sales' in QuickBooks, or choose another account in the settings' "
    "account mappings.",
}


@pytest.fixture
def company(make_company):
    return make_company("acme", "Acme Plumbing")


@pytest.fixture
def signed_in(client, company, make_user, login):
    make_user("anna@example.com", "bookkeeper", ("acme",))
    login("anna@example.com")
    return client


@pytest.fixture
def failed_item(company, make_record):
    return make_record(
        company,
        "item",
        "pipe-1",
        {"name": "Copper pipe", "type": "non_inventory", "category": "materials", "price": "12.50"},
        state=SyncState.ERROR,
        error=ERROR,
        log=[
            (LogEvent.QUEUED, "Queued for QuickBooks.", {}),
            (
                LogEvent.SENT,
                "Sent to QuickBooks (ItemNonInventoryAddRq).",
                {"rq_type": "ItemNonInventoryAddRq", "request_xml": REQUEST},
            ),
            (
                LogEvent.FAILED,
                "QuickBooks answered 3140: There is an invalid reference",
                {"status_code": 3140, "response_xml": RESPONSE},
            ),
            (LogEvent.WARNING, "Description was cut to 4095 characters.", {}),
        ],
    )


def test_the_list_filters_by_kind_state_and_text(signed_in, company, make_record):
    make_record(company, "customer", "c-1", {"first_name": "Ann", "last_name": "Lee"}, state=SyncState.SYNCED)
    make_record(company, "customer", "c-2", {"first_name": "Ben", "last_name": "Ode"}, state=SyncState.ERROR)
    make_record(company, "invoice", "inv-1", {"number": "1001", "customer": "c-1"}, state=SyncState.QUEUED)

    everything = signed_in.get("/c/acme/records").get_data(as_text=True)
    assert "Ann Lee" in everything and "Ben Ode" in everything and "1001" in everything
    assert "3 records" in everything

    customers = signed_in.get("/c/acme/records?kind=customer").get_data(as_text=True)
    assert "Ann Lee" in customers and "1001" not in customers

    errors = signed_in.get("/c/acme/records?state=error").get_data(as_text=True)
    assert "Ben Ode" in errors and "Ann Lee" not in errors

    search = signed_in.get("/c/acme/records?q=ode").get_data(as_text=True)
    assert "Ben Ode" in search and "Ann Lee" not in search and "1 record match" in search


def test_unknown_filter_values_are_ignored_rather_than_an_error(signed_in, company, make_record):
    make_record(company, "customer", "c-1", {"name": "Ann"})
    page = signed_in.get("/c/acme/records?kind=spaceship&state=nope&page=abc")
    assert page.status_code == 200
    assert "Ann" in page.get_data(as_text=True)


def test_the_list_pages_through_many_records(signed_in, company, make_record):
    for number in range(55):
        make_record(company, "customer", f"c-{number:02d}", {"name": f"Customer {number:02d}"})
    first = signed_in.get("/c/acme/records").get_data(as_text=True)
    assert "Page 1 of 2" in first and first.count('href="/c/acme/records/') == 50
    second = signed_in.get("/c/acme/records?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and second.count('href="/c/acme/records/') == 5


def test_the_record_page_shows_fields_identity_and_the_hint(signed_in, failed_item):
    page = signed_in.get(f"/c/acme/records/{failed_item}").get_data(as_text=True)
    assert "Item Copper pipe" in page
    assert "What QuickBooks said" in page
    assert "There is an invalid reference to QuickBooks Account &#34;Material Sales&#34;" in page
    assert "What to do:" in page and "Create the account &#39;Material Sales&#39; in QuickBooks" in page
    assert "not in QuickBooks yet" in page
    assert "materials" in page and "12.50" in page
    assert ">Reprocess</button>" in page


def test_the_timeline_shows_every_event_with_the_qbxml_pretty_printed_and_folded(signed_in, failed_item):
    page = signed_in.get(f"/c/acme/records/{failed_item}").get_data(as_text=True)
    for event in ("Queued", "Sent", "Failed", "Warning"):
        assert f'<span class="event-name">{event}</span>' in page
    assert "status 3140" in page
    assert "Description was cut to 4095 characters." in page
    assert "<details><summary>Request sent to QuickBooks</summary>" in page
    assert "<details><summary>Response from QuickBooks</summary>" in page
    # Indented, one element per line, and escaped so the browser shows it as text
    assert "&lt;ItemNonInventoryAddRq requestID=&#34;7&#34;&gt;\n  &lt;ItemNonInventoryAdd&gt;" in page
    assert "\n      &lt;Price&gt;12.50&lt;/Price&gt;" in page


def test_reprocess_queues_the_record_again(rt, signed_in, failed_item):
    response = signed_in.post(f"/c/acme/records/{failed_item}/reprocess", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "is queued again" in page
    with rt.transaction() as db:
        record = db.get(Record, failed_item)
        assert record.sync_state is SyncState.QUEUED
        items = db.scalars(select(QueueItem).where(QueueItem.record_id == failed_item)).all()
        assert [i.status for i in items] == [QueueStatus.READY]
        events = [e.event for e in db.scalars(select(SyncLogEntry).where(SyncLogEntry.record_id == failed_item))]
        assert events[-2:] == [LogEvent.RETRIED, LogEvent.QUEUED]


def test_cancel_takes_a_record_off_the_queue(rt, signed_in, company, make_record):
    record_id = make_record(company, "customer", "c-1", {"name": "Ann"}, state=SyncState.PENDING)
    signed_in.post(f"/c/acme/records/{record_id}/sync")
    page = signed_in.get(f"/c/acme/records/{record_id}").get_data(as_text=True)
    assert "Take off the queue" in page
    response = signed_in.post(f"/c/acme/records/{record_id}/cancel", follow_redirects=True)
    assert "is off the queue" in response.get_data(as_text=True)
    with rt.transaction() as db:
        assert db.get(Record, record_id).sync_state is SyncState.PENDING
        assert db.scalars(select(QueueItem.status)).all() == [QueueStatus.CANCELLED]


def test_a_record_quickbooks_is_working_on_cannot_be_cancelled(rt, signed_in, company, make_record):
    record_id = make_record(company, "customer", "c-1", {"name": "Ann"}, state=SyncState.SENT)
    with rt.transaction() as db:
        db.add(QueueItem(company_id=company, record_id=record_id, status=QueueStatus.SENT, ticket="t"))
    page = signed_in.get(f"/c/acme/records/{record_id}").get_data(as_text=True)
    assert "QuickBooks is working on this record right now" in page
    response = signed_in.post(f"/c/acme/records/{record_id}/cancel", follow_redirects=True)
    assert "Nothing changed" in response.get_data(as_text=True)
    with rt.transaction() as db:
        assert db.get(Record, record_id).sync_state is SyncState.SENT


def test_exclude_keeps_the_reason_in_the_timeline(rt, signed_in, failed_item):
    response = signed_in.post(
        f"/c/acme/records/{failed_item}/exclude", data={"reason": "sold out, never stocked"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "will not be synced" in page
    assert "Excluded: sold out, never stocked (by anna@example.com)" in page
    with rt.transaction() as db:
        assert db.get(Record, failed_item).sync_state is SyncState.EXCLUDED


def test_link_to_a_typed_list_id_reads_quickbooks_before_sending(rt, signed_in, company, make_record):
    record_id = make_record(
        company,
        "customer",
        "c-1",
        {"first_name": "Ann", "last_name": "Lee"},
        state=SyncState.ERROR,
        error={"status_code": 3100, "message": "QuickBooks error 3100: The name is already in use."},
    )
    response = signed_in.post(
        f"/c/acme/records/{record_id}/link", data={"qb_id": "80000007-1700000000"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "Linked to 80000007-1700000000 in QuickBooks" in page
    assert "Linked by anna@example.com to 80000007-1700000000" in page
    with rt.transaction() as db:
        record = db.get(Record, record_id)
        assert record.qb_id == "80000007-1700000000"
        assert record.sync_state is SyncState.QUEUED
        item = db.scalars(select(QueueItem).where(QueueItem.status == QueueStatus.READY)).one()
        assert item.action is QueueAction.REFRESH


def test_link_by_choosing_from_the_imported_list(rt, signed_in, company, make_record, make_list_entry):
    make_list_entry(company, "customer", "Lee, Ann", list_id="80000009-1700000000")
    make_list_entry(company, "customer", "Other, Person", list_id="8000000A-1700000000")
    make_list_entry(company, "account", "Lee Account", list_id="8000000B-1700000000")
    record_id = make_record(company, "customer", "c-1", {"first_name": "Ann", "last_name": "Lee"})
    page = signed_in.get(f"/c/acme/records/{record_id}?find=lee").get_data(as_text=True)
    assert "Lee, Ann" in page and "Other, Person" not in page and "Lee Account" not in page
    with rt.transaction() as db:
        from qbwc_server.models import QbListEntry

        entry_id = db.scalars(select(QbListEntry.id).where(QbListEntry.full_name == "Lee, Ann")).one()
    signed_in.post(f"/c/acme/records/{record_id}/link", data={"entry": str(entry_id)})
    with rt.transaction() as db:
        record = db.get(Record, record_id)
        assert (record.qb_id, record.qb_full_name) == ("80000009-1700000000", "Lee, Ann")


def test_link_refuses_an_id_another_record_already_has(rt, signed_in, company, make_record):
    make_record(company, "customer", "c-1", {"name": "Ann"}, state=SyncState.SYNCED, qb_id="80000007-1700000000")
    other = make_record(company, "customer", "c-2", {"name": "Ann again"})
    response = signed_in.post(
        f"/c/acme/records/{other}/link", data={"qb_id": "80000007-1700000000"}, follow_redirects=True
    )
    assert "is already linked to 80000007-1700000000" in response.get_data(as_text=True)
    with rt.transaction() as db:
        assert db.get(Record, other).qb_id is None


def test_link_without_a_choice_says_what_to_do(signed_in, failed_item):
    response = signed_in.post(f"/c/acme/records/{failed_item}/link", data={}, follow_redirects=True)
    assert "choose a QuickBooks record from the list or type its ListID" in response.get_data(as_text=True)


def test_an_unknown_action_is_not_found(signed_in, failed_item):
    assert signed_in.post(f"/c/acme/records/{failed_item}/explode").status_code == 404


def test_the_record_page_says_who_must_act_and_whether_trying_again_helps(signed_in, company, make_record):
    error = quickbooks_error(3180, "This list has been modified by another user.", "customer")
    record_id = make_record(company, "customer", "c-busy", {"last_name": "Lee"}, state=SyncState.QUEUED, error=error)
    page = signed_in.get(f"/c/acme/records/{record_id}").get_data(as_text=True)
    assert "Who:</strong> nobody: the server tries again by itself" in page
    assert "Trying again can help." in page


def test_a_record_deleted_in_quickbooks_says_so_and_can_be_re_added(rt, signed_in, company, make_record):
    record_id = make_record(
        company,
        "invoice",
        "inv-9",
        {"customer": "c-1", "number": "7009", "status": "sent", "lines": []},
        state=SyncState.QB_DELETED,
        error={
            "kind": "deleted_in_quickbooks",
            "message": "Deleted in QuickBooks on 2026-11-20 at 09:12. It is not added again on its own: re-add it "
            "if QuickBooks should have it.",
        },
        qb_id="1A2-1700000000",
        qb_data={"deleted_in_quickbooks": "2026-11-20T09:12:00-05:00"},
    )
    page = signed_in.get(f"/c/acme/records/{record_id}").get_data(as_text=True)
    assert "Deleted in QuickBooks</span>" in page and "Deleted in QuickBooks on 2026-11-20 at 09:12." in page
    assert "Re-add to QuickBooks" in page and "Sync now" not in page
    # Excluding it would be a move it cannot make: the page says why instead of offering it.
    assert "Exclude from sync" not in page and "nothing is sent for it unless you re-add it" in page

    response = signed_in.post(f"/c/acme/records/{record_id}/readd", follow_redirects=True)

    assert "goes to QuickBooks again, as a new entry" in response.get_data(as_text=True)
    with rt.transaction() as db:
        record = db.get(Record, record_id)
        assert record.qb_id is None and record.sync_state is not SyncState.QB_DELETED
        assert "deleted_in_quickbooks" not in (record.qb_data or {})


def test_the_record_page_shows_a_conflict_and_which_side_won(signed_in, company, make_record):
    conflict = {
        "field": "phone",
        "app_value": "555-0199",
        "quickbooks_value": "555-0123",
        "resolved": "quickbooks_wins",
        "at": "2026-11-29T13:00:00+00:00",
    }
    record_id = make_record(
        company, "customer", "c-1", {"last_name": "Lee"}, state=SyncState.SYNCED, qb_data={"conflicts": [conflict]}
    )
    page = signed_in.get(f"/c/acme/records/{record_id}").get_data(as_text=True)
    assert "Changed both here and in QuickBooks" in page
    assert "<td>phone</td><td>555-0199</td><td>555-0123</td><td>QuickBooks’ value</td>" in page
