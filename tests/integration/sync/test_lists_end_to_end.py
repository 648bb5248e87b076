"""Customers, jobs and items go from the REST API through a Web Connector session into QuickBooks, once each."""

from __future__ import annotations

import math

from qbwc_server.models import RecordKind
from qbwc_server.simulator.webconnector import Faults


def _customer(n: int) -> dict:
    return {
        "first_name": f"Ann{n}",
        "last_name": f"Smith{n}",
        "email": f"ann{n}@example.com",
        "billing_address": {"line1": f"{n} Main St", "city": "Springfield", "state": "IL", "postal_code": "62701"},
    }


def test_customers_jobs_and_items_reach_quickbooks_once_with_their_ids(harness):
    h = harness()
    # Given a customer with a job and two items put in through the API
    h.put("customers", "c1", {"first_name": "Ann", "last_name": "O'Brien & Sons", "phone": "555-0100"})
    h.put("jobs", "j1", {"customer": "c1", "number": "1001", "address": {"line1": "5 Elm St"}})
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00", "category": "labor"})
    h.put("items", "i2", {"name": "PVC pipe 2in", "type": "non_inventory", "price": "4.50", "category": "materials"})
    assert h.get("jobs", "j1")["sync"]["state"] == "queued"

    # When the Web Connector runs
    reports = h.sync()

    # Then one round trip carried all four, parents first, and each record holds its QuickBooks identity
    assert reports[0].round_trips == 1
    customer = h.get("customers", "c1")
    job = h.get("jobs", "j1")
    assert customer["sync"]["state"] == "synced"
    assert customer["quickbooks"]["full_name"] == "O'Brien & Sons, Ann"
    assert job["quickbooks"]["full_name"] == "O'Brien & Sons, Ann:1001 - 5 Elm St"
    assert job["quickbooks"]["id"] and job["quickbooks"]["edit_sequence"]
    assert [e["event"] for e in job["sync"]["log"]][-3:] == ["queued", "sent", "synced"]
    assert len(h.qb_named("Customer", "O'Brien & Sons, Ann:1001 - 5 Elm St")) == 1
    assert h.qb_named("ItemService", "Drain cleaning")[0]["ListID"] == h.get("items", "i1")["quickbooks"]["id"]
    # And the next Web Connector run finds nothing to do
    assert h.session().outcome == "no_work"


def test_an_edit_is_sent_as_a_mod_with_the_current_edit_sequence(harness):
    h = harness()
    h.put("customers", "c1", _customer(1))
    h.sync()
    first = h.get("customers", "c1")["quickbooks"]
    h.put("customers", "c1", {**_customer(1), "phone": "555-0199"})
    h.sync()
    after = h.get("customers", "c1")
    assert after["sync"]["state"] == "synced"
    assert after["quickbooks"]["id"] == first["id"]
    assert after["quickbooks"]["edit_sequence"] != first["edit_sequence"]
    assert h.qb_named("Customer", "Smith1, Ann1")[0]["Phone"] == "555-0199"
    assert len(h.qb_named("Customer", "Smith1, Ann1")) == 1


def test_a_few_hundred_records_take_ceil_n_over_25_round_trips_and_make_no_duplicates(harness):
    h = harness()
    for n in range(150):
        h.put("customers", f"c{n}", _customer(n))
    for n in range(100):
        h.put("jobs", f"j{n}", {"customer": f"c{n}", "number": f"J{n}", "address": {"line1": f"{n} Oak Ave"}})
    for n in range(50):
        h.put("items", f"i{n}", {"name": f"Service {n}", "type": "service", "price": "10.00"})
    reports = h.sync(max_sessions=3)
    round_trips = sum(r.round_trips for r in reports)
    assert round_trips <= math.ceil(300 / 25) + 2
    states = {r.sync_state.value for kind in RecordKind for r in h.records(kind)}
    assert states == {"synced"}
    names = [r["FullName"] for r in h.qb.state.lists["Customer"].values()]
    assert len(names) == len(set(names))


def _bookkeepers_customer(h) -> str:
    h.qb.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        "<CustomerAddRq><CustomerAdd><Name>Smith1, Ann1</Name><Phone>555-0000</Phone></CustomerAdd></CustomerAddRq>"
        "</QBXMLMsgsRq></QBXML>"
    )
    return h.qb_named("Customer", "Smith1, Ann1")[0]["ListID"]


def test_a_name_already_in_quickbooks_is_linked_not_duplicated_and_keeps_its_values(harness):
    h = harness()
    # Given QuickBooks already has "Smith1, Ann1" (entered by the bookkeeper)
    existing = _bookkeepers_customer(h)
    # When the app sends a customer with that name
    h.put("customers", "c1", _customer(1))
    h.sync()
    # Then it is linked to the existing one, QuickBooks keeps its own values, and the log says so
    record = h.get("customers", "c1")
    assert record["quickbooks"]["id"] == existing
    assert record["sync"]["state"] == "synced"
    assert len(h.qb_named("Customer", "Smith1, Ann1")) == 1
    entry = h.qb_named("Customer", "Smith1, Ann1")[0]
    assert "Email" not in entry and "BillAddress" not in entry and entry["Phone"] == "555-0000"
    messages = " ".join(e["message"] for e in record["sync"]["log"])
    assert "already has a customer named" in messages and "linked to it" in messages
    assert "QuickBooks keeps its own values: nothing was sent (link policy keep_quickbooks" in messages
    # And a later edit in the app sends only the field it changed
    h.put("customers", "c1", {**_customer(1), "email": "ann.new@example.com"})
    h.sync()
    entry = h.qb_named("Customer", "Smith1, Ann1")[0]
    assert entry["Email"] == "ann.new@example.com" and "BillAddress" not in entry and entry["Phone"] == "555-0000"
    log = h.get("customers", "c1")["sync"]["log"]
    sent = [e["message"] for e in log if e["event"] == "sent"][-1]
    assert "sent the fields the app changed since linking: email;" in sent
    assert "QuickBooks keeps its own name, first name, last name, billing address" in sent


def test_with_link_policy_update_quickbooks_the_app_s_data_is_sent_at_link_time(harness):
    h = harness(link_policy={"customer": "update_quickbooks"})
    _bookkeepers_customer(h)
    h.put("customers", "c1", _customer(1))
    h.sync()
    assert h.get("customers", "c1")["sync"]["state"] == "synced"
    assert h.qb_named("Customer", "Smith1, Ann1")[0]["Email"] == "ann1@example.com"
    messages = " ".join(e["message"] for e in h.get("customers", "c1")["sync"]["log"])
    assert "link policy update_quickbooks" in messages


def test_a_vendor_with_a_customer_s_name_gets_a_v_suffix(harness):
    h = harness()
    h.put("customers", "c1", {"company_name": "Ace Plumbing"})
    h.put("vendors", "v1", {"name": "Ace Plumbing"})
    h.sync()
    vendor = h.get("vendors", "v1")
    assert vendor["sync"]["state"] == "synced"
    assert vendor["quickbooks"]["full_name"] == "Ace Plumbing (V)"
    assert h.qb_named("Vendor", "Ace Plumbing (V)")[0]["ListID"] == vendor["quickbooks"]["id"]
    messages = " ".join(e["message"] for e in vendor["sync"]["log"])
    assert "with the suffix '(V)'" in messages
    assert h.get("customers", "c1")["sync"]["state"] == "synced"


def test_a_vendor_with_a_customer_s_name_gets_a_clear_error_when_duplicate_names_is_error(harness):
    h = harness(duplicate_names="error")
    h.put("customers", "c1", {"company_name": "Ace Plumbing"})
    h.put("vendors", "v1", {"name": "Ace Plumbing"})
    h.sync()
    vendor = h.get("vendors", "v1")
    assert vendor["sync"]["state"] == "error"
    assert "3100" in vendor["sync"]["last_error"]["message"]
    assert vendor["sync"]["last_error"]["hint"].startswith("A customer, employee or other name in QuickBooks already")
    assert h.get("customers", "c1")["sync"]["state"] == "synced"


def test_a_stale_edit_sequence_is_refreshed_and_the_change_still_lands(harness):
    h = harness()
    h.put("customers", "c1", _customer(1))
    h.sync()
    # Given someone edits the customer in QuickBooks (its EditSequence moves on)
    list_id = h.get("customers", "c1")["quickbooks"]["id"]
    edit_sequence = h.get("customers", "c1")["quickbooks"]["edit_sequence"]
    h.qb.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        f"<CustomerModRq><CustomerMod><ListID>{list_id}</ListID><EditSequence>{edit_sequence}</EditSequence>"
        "<Notes>called</Notes></CustomerMod></CustomerModRq></QBXMLMsgsRq></QBXML>"
    )
    # When the app changes it too
    h.put("customers", "c1", {**_customer(1), "phone": "555-0123"})
    h.sync()
    # Then the 3200 is handled by re-reading the EditSequence, and our change is in QuickBooks
    record = h.get("customers", "c1")
    assert record["sync"]["state"] == "synced"
    assert any(e["status_code"] == 3200 for e in record["sync"]["log"])
    assert h.qb_named("Customer", "Smith1, Ann1")[0]["Phone"] == "555-0123"


def test_a_missing_income_account_is_an_error_with_a_hint_and_reprocess_fixes_it(harness):
    h = harness(income_account_labor="Labour Revenue")
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00", "category": "labor"})
    h.sync()
    item = h.get("items", "i1")
    assert item["sync"]["state"] == "error"
    assert "3140" in item["sync"]["last_error"]["message"]
    assert "Create the account 'Labour Revenue'" in item["sync"]["last_error"]["hint"]
    # When the bookkeeper fixes the setting and reprocesses
    status, _ = h.call("PATCH", "/api/v1/settings", {"income_account_labor": "Labor Income"})
    assert status == 200
    status, _ = h.call("POST", "/api/v1/items/i1/sync")
    assert status in (200, 202)
    h.sync()
    assert h.get("items", "i1")["sync"]["state"] == "synced"


def test_a_lost_response_never_creates_a_second_customer(harness):
    h = harness()
    for n in range(3):
        h.put("customers", f"c{n}", _customer(n))
    h.put("jobs", "j1", {"customer": "c1", "number": "7", "address": {"line1": "1 Pine"}})
    # Given QuickBooks applies the batch but the Web Connector never reports the answer
    report = h.session(Faults(drop_response_at=1))
    assert report.outcome == "dropped"
    assert len(h.qb.state.lists["Customer"]) == 8 + 4
    # When the next session runs
    h.sync()
    # Then every record is linked to what QuickBooks already had: nothing was added twice
    assert len(h.qb.state.lists["Customer"]) == 8 + 4
    for n in range(3):
        record = h.get("customers", f"c{n}")
        assert record["sync"]["state"] == "synced"
        assert record["quickbooks"]["id"] == h.qb_named("Customer", f"Smith{n}, Ann{n}")[0]["ListID"]
    assert h.get("jobs", "j1")["sync"]["state"] == "synced"


def test_progress_is_below_100_while_work_remains(harness):
    h = harness(batch_size=5)
    for n in range(12):
        h.put("customers", f"c{n}", _customer(n))
    report = h.session()
    progress = [c.result for c in report.calls if c.method == "receiveResponseXML"]
    assert [int(p) for p in progress][-1] == 100
    assert all(int(p) < 100 for p in progress[:-1])
    assert len(progress) == 3


def test_an_item_name_used_by_another_item_type_is_a_clear_error_not_a_loop(harness):
    h = harness()
    # The sample company has a service item called "Service Call"; ours is an other-charge item of the same name.
    h.put("items", "i1", {"name": "Service call", "type": "other_charge", "price": "25.00"})
    reports = h.sync()
    item = h.get("items", "i1")
    assert item["sync"]["state"] == "error"
    assert "already in use by a" in item["sync"]["last_error"]["message"]
    assert "cannot change its type" in item["sync"]["last_error"]["message"]
    # The record's history says it failed (where the failed syncs are counted), not only its error.
    last = item["sync"]["log"][-1]
    assert last["event"] == "failed" and "already in use by a" in last["message"]
    assert sum(r.round_trips for r in reports) == 2


def test_a_quickbooks_too_old_for_our_requests_is_told_so_and_nothing_is_sent(harness):
    from qbwc_server.simulator import FakeCompany

    qb = FakeCompany.demo()
    qb.state.info.versions = ["1.0", "2.0", "3.0", "4.0", "5.0"]
    h = harness(qb=qb)
    h.put("customers", "c1", _customer(1))
    report = h.session()
    assert report.round_trips == 0
    assert any("needs qbXML 13.0 or newer" in message for message in report.messages)
    assert h.get("customers", "c1")["sync"]["state"] == "queued"
