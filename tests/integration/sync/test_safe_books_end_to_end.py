"""A real company file stays safe: linking keeps QuickBooks' values, names fit, same names stay apart, any item
type can be used, and the sync start date never strands a transaction. Each runs over HTTP through the simulator."""

from __future__ import annotations

from qbwc_server.simulator.webconnector import Faults


def _log(record: dict) -> str:
    return "\n".join(e["message"] for e in record["sync"]["log"])


def _invoice(customer: str, lines: list[dict], **extra) -> dict:
    return {"customer": customer, "number": "5001", "date": "2026-11-02", "status": "sent", "lines": lines, **extra}


# --- 1. linking keeps QuickBooks' data ---------------------------------------------------------------------------


def test_an_existing_quickbooks_item_keeps_its_account_and_price_after_linking_and_a_later_edit(harness):
    h = harness()
    # Given QuickBooks' own "Service Call" (income account Services, 95.00) and the app's item of the same name
    before = h.qb_named("ItemService", "Service Call")[0]
    services = next(a for a in h.qb.state.lists["Account"].values() if a["Name"] == "Services")["ListID"]
    assert before["SalesOrPurchase"]["AccountRef"]["ListID"] == services
    h.put("items", "i1", {"name": "Service Call", "type": "service", "price": "0.00", "description": "Service call"})
    # When it syncs, it is linked, and nothing is sent to QuickBooks' item
    h.sync()
    item = h.get("items", "i1")
    assert item["sync"]["state"] == "synced"
    assert item["quickbooks"]["id"] == before["ListID"]
    after_link = h.qb_named("ItemService", "Service Call")[0]
    assert after_link["SalesOrPurchase"]["AccountRef"]["ListID"] == services
    assert after_link["SalesOrPurchase"]["Price"] == "95.00"
    assert after_link["EditSequence"] == before["EditSequence"]
    assert "QuickBooks keeps its own values: nothing was sent (link policy keep_quickbooks" in _log(item)
    assert not any(e["event"] == "sent" and "ItemServiceMod" in e["message"] for e in item["sync"]["log"])

    # When the app changes only the item's description
    h.put("items", "i1", {"name": "Service Call", "type": "service", "price": "0.00", "description": "Call-out fee"})
    h.sync()

    # Then only the description reached QuickBooks: the account and the price are the bookkeeper's still
    entry = h.qb_named("ItemService", "Service Call")[0]
    assert entry["SalesOrPurchase"] == {**before["SalesOrPurchase"], "Desc": "Call-out fee"}
    item = h.get("items", "i1")
    assert item["sync"]["state"] == "synced"
    sent = [e["message"] for e in item["sync"]["log"] if e["event"] == "sent"][-1]
    assert sent.startswith("Sent to QuickBooks (ItemServiceModRq).")
    assert "sent the fields the app changed since linking: description;" in sent
    assert "QuickBooks keeps its own name, price, income account" in sent


def test_a_record_linked_by_hand_keeps_quickbooks_values(harness, runtime):
    from sqlalchemy import select

    from qbwc_server.models import Company, Record
    from qbwc_server.sync.linking import link_record

    h = harness(auto_sync=False)
    # Given the app's customer under another spelling of QuickBooks' "Acme Property Management"
    h.put("customers", "c1", {"company_name": "ACME Property Mgmt", "phone": "555-0101"})
    acme = h.qb_named("Customer", "Acme Property Management")[0]
    # When the bookkeeper links them (the page's link action) and the Web Connector runs
    with h.runtime.transaction() as db:
        company = db.scalar(select(Company).where(Company.slug == "acme"))
        record = db.scalar(select(Record).where(Record.company_id == company.id, Record.external_id == "c1"))
        link_record(db, company, record, acme["ListID"], acme["FullName"], by="bookkeeper@example.com")
    h.sync()
    # Then QuickBooks' customer is as it was, and the record is synced
    record = h.get("customers", "c1")
    assert record["sync"]["state"] == "synced"
    assert h.qb_named("Customer", "Acme Property Management")[0]["EditSequence"] == acme["EditSequence"]
    assert "nothing was sent" in _log(record)


# --- 2. names always fit -----------------------------------------------------------------------------------------


def test_a_job_whose_default_name_is_60_characters_syncs_and_so_does_its_invoice(harness):
    h = harness()
    h.put("customers", "c1", {"first_name": "Dana", "last_name": "Whitfield"})
    line1 = "4821 North Riverside Industrial Parkway Bldg 712"
    h.put("jobs", "j1", {"customer": "c1", "number": "2026-0417", "address": {"line1": line1}})
    assert len(f"2026-0417 - {line1}") == 60
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00"})
    h.put("invoices", "inv1", _invoice("c1", [{"item": "i1", "quantity": "1", "rate": "95.00"}], job="j1"))
    h.sync()
    job = h.get("jobs", "j1")
    assert job["sync"]["state"] == "synced"
    short = "2026-0417 - 4821 North Riverside Industri"
    assert job["quickbooks"]["full_name"] == f"Whitfield, Dana:{short}"
    assert len(h.qb_named("Customer", f"Whitfield, Dana:{short}")) == 1
    assert f"'2026-0417 - {line1}' is 60 characters" in _log(job) and f"it is '{short}' in QuickBooks" in _log(job)
    invoice = h.get("invoices", "inv1")
    assert invoice["sync"]["state"] == "synced"
    assert h.qb_txns("Invoice")[0]["CustomerRef"]["ListID"] == job["quickbooks"]["id"]


def test_with_long_names_error_a_long_name_waits_for_a_person(harness):
    h = harness(long_names="error")
    h.put("customers", "c1", {"company_name": "Northern California Plumbing and Heating Contractors"})
    h.sync()
    customer = h.get("customers", "c1")
    assert customer["sync"]["state"] == "error"
    assert "allows at most 41" in customer["sync"]["last_error"]["message"]


# --- 3. same names never collapse --------------------------------------------------------------------------------


def test_seven_same_name_customers_become_seven_quickbooks_customers_even_with_a_lost_answer(harness):
    h = harness()
    # Given seven different customers of the app, all named "Nguyen, Tom"
    for n in range(1, 8):
        h.put("customers", f"c{n}", {"first_name": "Tom", "last_name": "Nguyen", "phone": f"555-010{n}"})
    # When the Web Connector runs, and the answer to the round trip that adds the suffixed ones is lost
    reports = [h.session(Faults(drop_response_at=3))]
    reports += h.sync()
    # Then QuickBooks has seven customers with distinct names, one per record
    names = sorted(r["FullName"] for r in h.qb.state.lists["Customer"].values() if r["Name"].startswith("Nguyen"))
    assert names == ["Nguyen, Tom"] + [f"Nguyen, Tom ({n})" for n in range(2, 8)]
    records = [h.get("customers", f"c{n}") for n in range(1, 8)]
    assert all(r["sync"]["state"] == "synced" for r in records)
    assert len({r["quickbooks"]["id"] for r in records}) == 7
    assert sorted(r["quickbooks"]["full_name"] for r in records) == names
    second = next(r for r in records if r["quickbooks"]["full_name"] == "Nguyen, Tom (2)")
    assert "is already linked to customer 'Nguyen, Tom'" in _log(second)
    assert "goes to QuickBooks as 'Nguyen, Tom (2)' (setting duplicate_names: suffix)" in _log(second)
    # And a re-run adds nothing
    assert h.session().outcome == "no_work"
    assert len([r for r in h.qb.state.lists["Customer"].values() if r["Name"].startswith("Nguyen")]) == 7


def test_with_duplicate_names_error_the_second_same_name_customer_waits_for_a_person(harness):
    h = harness(duplicate_names="error")
    h.put("customers", "c1", {"first_name": "Tom", "last_name": "Nguyen"})
    h.put("customers", "c2", {"first_name": "Tom", "last_name": "Nguyen"})
    h.sync()
    states = sorted(h.get("customers", c)["sync"]["state"] for c in ("c1", "c2"))
    assert states == ["error", "synced"]
    failed = next(h.get("customers", c) for c in ("c1", "c2") if h.get("customers", c)["sync"]["state"] == "error")
    assert "one QuickBooks entry is never shared by two records" in failed["sync"]["last_error"]["message"]
    assert len(h.qb_named("Customer", "Nguyen, Tom")) == 1


# --- 4. every QuickBooks item type can be referenced -------------------------------------------------------------


def test_an_invoice_on_an_inventory_item_syncs_and_the_item_is_never_changed(harness):
    h = harness()
    heater = h.qb_named("ItemInventory", "Water Heater 40gal")[0]
    h.put("customers", "c1", {"first_name": "Dana", "last_name": "Whitfield"})
    h.put("items", "wh", {"name": "Water Heater 40gal", "type": "inventory", "link_only": True})
    h.put("invoices", "inv1", _invoice("c1", [{"item": "wh", "quantity": "1", "rate": "650.00"}]))
    h.sync()
    item = h.get("items", "wh")
    assert item["sync"]["state"] == "synced" and item["quickbooks"]["id"] == heater["ListID"]
    invoice = h.get("invoices", "inv1")
    assert invoice["sync"]["state"] == "synced"
    qb_line = h.qb_txns("Invoice")[0]["InvoiceLineRet"][0]
    assert qb_line["ItemRef"]["ListID"] == heater["ListID"]
    # An edit of a link-only item never goes to QuickBooks
    h.put("items", "wh", {"name": "Water Heater 40gal", "type": "inventory", "link_only": True, "price": "1.00"})
    assert h.get("items", "wh")["sync"]["state"] == "synced"
    h.sync()
    assert h.qb_named("ItemInventory", "Water Heater 40gal")[0]["EditSequence"] == heater["EditSequence"]


def test_a_link_only_item_under_another_name_is_linked_by_hand_and_its_invoice_and_bill_sync(harness):
    from sqlalchemy import select

    from qbwc_server.models import Company, Record
    from qbwc_server.sync.linking import link_record

    h = harness()
    heater = h.qb_named("ItemInventory", "Water Heater 40gal")[0]
    # Given the app calls QuickBooks' inventory item by another name, so the lookup by name finds nothing
    h.put("items", "wh", {"name": "WH-40", "type": "inventory", "link_only": True})
    h.put("customers", "c1", {"first_name": "Dana", "last_name": "Whitfield"})
    h.put("invoices", "inv1", _invoice("c1", [{"item": "wh", "quantity": "1", "rate": "650.00"}]))
    h.put("vendors", "v1", {"name": "ABC Plumbing Supply"})
    bill = {"vendor": "v1", "number": "F-78", "date": "2026-11-03"}
    h.put("bills", "b1", {**bill, "item_lines": [{"item": "wh", "quantity": "2", "cost": "410.00"}]})
    h.sync()
    assert h.get("items", "wh")["sync"]["state"] == "error"
    assert h.get("invoices", "inv1")["sync"]["state"] == "blocked"
    # When the bookkeeper links it on its page to QuickBooks' item
    with h.runtime.transaction() as db:
        company = db.scalar(select(Company).where(Company.slug == "acme"))
        record = db.scalar(select(Record).where(Record.company_id == company.id, Record.external_id == "wh"))
        link_record(db, company, record, heater["ListID"], heater["FullName"], by="bookkeeper@example.com")
    h.sync()
    # Then the item is read, never changed, and the invoice and the bill on it sync
    item = h.get("items", "wh")
    assert item["sync"]["state"] == "synced"
    assert "it is a link-only item" in _log(item) and "nothing was sent" in _log(item)
    assert h.qb_named("ItemInventory", "Water Heater 40gal")[0]["EditSequence"] == heater["EditSequence"]
    assert h.get("invoices", "inv1")["sync"]["state"] == "synced"
    assert h.get("bills", "b1")["sync"]["state"] == "synced"
    assert h.qb_txns("Invoice")[0]["InvoiceLineRet"][0]["ItemRef"]["ListID"] == heater["ListID"]
    assert h.qb_txns("Bill")[0]["ItemLineRet"][0]["ItemRef"]["ListID"] == heater["ListID"]


def test_a_group_item_is_linked_but_a_line_on_it_says_what_to_do_instead(harness):
    from qbwc_server.simulator.samples import add, ref

    h = harness()
    heater = h.qb_named("ItemInventory", "Water Heater 40gal")[0]
    add(h.qb, "ItemGroup", Name="Heater Install Kit", IsActive="true", ItemGroupLine=[{"ItemRef": ref(heater)}])
    h.put("items", "kit", {"name": "Heater Install Kit", "type": "group", "link_only": True})
    h.put("customers", "c1", {"first_name": "Dana", "last_name": "Whitfield"})
    h.put("invoices", "inv1", _invoice("c1", [{"item": "kit", "quantity": "1"}]))
    h.sync()
    assert h.get("items", "kit")["sync"]["state"] == "synced"
    invoice = h.get("invoices", "inv1")
    assert invoice["sync"]["state"] == "error"
    assert "is a QuickBooks group item" in invoice["sync"]["last_error"]["message"]
    assert not h.qb_txns("Invoice")


def test_a_link_only_item_quickbooks_does_not_have_is_an_error_not_an_add(harness):
    h = harness()
    h.put("items", "x", {"name": "Tankless Heater", "type": "inventory", "link_only": True})
    h.sync()
    item = h.get("items", "x")
    assert item["sync"]["state"] == "error"
    assert "QuickBooks has no item named 'Tankless Heater'" in item["sync"]["last_error"]["message"]
    assert not any(
        r["Name"] == "Tankless Heater"
        for kind in ("ItemInventory", "ItemService")
        for r in h.qb.state.lists[kind].values()
    )


def test_an_inventory_item_not_marked_link_only_is_refused_with_the_field_named(harness):
    h = harness()
    status, answer = h.call("PUT", "/api/v1/items/wh", {"name": "Water Heater 40gal", "type": "inventory"})
    assert status == 422 or status == 400
    assert "link_only" in str(answer) and "type" in str(answer)


# --- 5. the start date never strands a transaction ---------------------------------------------------------------


def test_a_new_invoice_for_a_customer_from_before_the_start_date_syncs(harness):
    h = harness(sync_start_date="2026-01-01")
    # Given an old customer QuickBooks has ("Smith, John") and an old one it does not have
    h.put("customers", "old1", {"first_name": "John", "last_name": "Smith", "created_at": "2024-05-01"})
    h.put("customers", "old2", {"first_name": "Rita", "last_name": "Okafor", "created_at": "2024-05-01"})
    assert h.get("customers", "old1")["sync"]["state"] == "excluded"
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00"})
    line = [{"item": "i1", "quantity": "1", "rate": "95.00"}]
    # When new invoices for them sync
    h.put("invoices", "inv1", _invoice("old1", line))
    h.put("invoices", "inv2", _invoice("old2", line, number="5002"))
    h.sync()
    # Then the customer QuickBooks had is found by name and linked, the other is added, and both invoices sync
    smith = h.get("customers", "old1")
    assert smith["sync"]["state"] == "synced"
    assert smith["quickbooks"]["id"] == h.qb_named("Customer", "Smith, John")[0]["ListID"]
    assert "created before the sync start date, so it is not sent on its own" in _log(smith)
    assert h.get("customers", "old2")["sync"]["state"] == "synced"
    assert len(h.qb_named("Customer", "Okafor, Rita")) == 1
    assert h.get("invoices", "inv1")["sync"]["state"] == "synced"
    assert h.get("invoices", "inv2")["sync"]["state"] == "synced"
    assert len(h.qb_txns("Invoice")) == 2


def test_with_find_only_an_old_customer_quickbooks_lacks_is_an_error_not_an_add(harness):
    h = harness(sync_start_date="2026-01-01", start_date_prerequisites="find_only")
    h.put("customers", "old2", {"first_name": "Rita", "last_name": "Okafor", "created_at": "2024-05-01"})
    h.put("invoices", "inv2", _invoice("old2", [{"description": "Repair", "quantity": "1", "rate": "50.00"}]))
    h.sync()
    customer = h.get("customers", "old2")
    assert customer["sync"]["state"] == "error"
    assert "start_date_prerequisites: find_only" in customer["sync"]["last_error"]["message"]
    assert h.get("invoices", "inv2")["sync"]["state"] == "blocked"
    assert not h.qb_named("Customer", "Okafor, Rita")


def test_an_invoice_that_matches_another_record_s_invoice_is_added_not_linked_to_it(harness):
    h = harness()
    h.put("customers", "c1", {"first_name": "Dana", "last_name": "Whitfield"})
    line = [{"description": "Repair", "quantity": "1", "rate": "50.00"}]
    h.put("invoices", "inv1", _invoice("c1", line))
    h.sync()
    # Given a second app invoice with the same number for the same customer (a retyped duplicate in the app)
    h.put("invoices", "inv2", _invoice("c1", line))
    h.sync()
    # Then it is not collapsed onto the first one's QuickBooks invoice
    first, second = h.get("invoices", "inv1"), h.get("invoices", "inv2")
    assert second["sync"]["state"] == "synced"
    assert first["quickbooks"]["id"] != second["quickbooks"]["id"]
    assert len(h.qb_txns("Invoice")) == 2
    assert "QuickBooks' matching invoice is invoice inv1's; adding this one." in _log(second)
