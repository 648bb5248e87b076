"""Customers, jobs, items and vendors: Add and Mod requests that QuickBooks accepts."""

from __future__ import annotations

import pytest

from qbwc_server.sync.builders import QbIdentity, RecordProblem, build

from .conftest import ADDRESS, SAMPLES, make_input

MOD = QbIdentity(id="80000001-1700000000", edit_sequence="1700000123")


def test_customer_add_carries_contact_details_and_both_addresses(assert_valid):
    built = build(make_input("customer"), "17")
    assert built.rq_type == "CustomerAddRq" and built.warnings == []
    rq = assert_valid(built)
    assert rq.get("requestID") == "17"
    add = rq.find("CustomerAdd")
    assert add.findtext("Name") == "Smith, John"
    assert add.findtext("BillAddress/Addr1") == "12 Oak St"
    assert add.findtext("ShipAddress/Addr1") == "99 Elm Ave"
    assert add.findtext("Phone") == "(559) 555-0100"
    assert add.findtext("Notes") == "Gate code 1234"


def test_customer_mod_has_list_id_and_edit_sequence_first(assert_valid):
    built = build(make_input("customer", qb=MOD), "18")
    assert built.rq_type == "CustomerModRq"
    mod = assert_valid(built).find("CustomerMod")
    assert [child.tag for child in mod][:3] == ["ListID", "EditSequence", "Name"]
    assert mod.findtext("EditSequence") == "1700000123"


def test_inactive_customer_is_sent_inactive(assert_valid):
    built = build(make_input("customer", {**SAMPLES["customer"], "active": False}, qb=MOD), "1")
    assert assert_valid(built).findtext("CustomerMod/IsActive") == "false"


def test_markup_characters_are_escaped_and_survive(assert_valid):
    data = {"company_name": 'Smith & Sons <"Plumbing">', "notes": "a < b && c > d 'quoted'"}
    rq = assert_valid(build(make_input("customer", data), "1"))
    assert rq.findtext("CustomerAdd/Name") == 'Smith & Sons <"Plumbing">'
    assert rq.findtext("CustomerAdd/Notes") == "a < b && c > d 'quoted'"


def test_non_latin1_text_is_replaced_with_warnings(assert_valid):
    data = {"name": "Łódź Plumbing", "notes": "Café — “Ünïcode” 🚰 Łódź", "billing_address": {"city": "Kraków"}}
    built = build(make_input("customer", data), "1")
    rq = assert_valid(built)
    assert rq.findtext("CustomerAdd/Name") == "Lódz Plumbing"
    assert rq.findtext("CustomerAdd/Notes").startswith('Café - "Ünïcode"')
    assert rq.findtext("CustomerAdd/BillAddress/City") == "Kraków"
    assert any("Notes" in w and "left out" in w for w in built.warnings)
    assert any("Name" in w and "accents" in w for w in built.warnings)


def test_fields_at_their_limits_pass_and_longer_free_text_is_cut(assert_valid):
    data = {
        "name": "N" * 41,
        "company_name": "C" * 41,
        "first_name": "F" * 26,
        "phone": "5" * 22,
        "billing_address": {"line1": "A" * 41, "line2": "B" * 42, "city": "C" * 32, "postal_code": "9" * 14},
    }
    built = build(make_input("customer", data), "1")
    add = assert_valid(built).find("CustomerAdd")
    assert add.findtext("FirstName") == "F" * 25
    assert add.findtext("BillAddress/Addr1") == "A" * 41
    assert add.findtext("BillAddress/Addr2") == "B" * 41
    assert len(add.findtext("BillAddress/City")) == 31
    assert len(add.findtext("Phone")) == 21
    assert len([w for w in built.warnings if "cut to" in w]) == 5


def test_empty_optionals_are_left_out(assert_valid):
    data = {"name": "Bare", "email": "", "phone": None, "billing_address": {"line1": " "}, "notes": None}
    add = assert_valid(build(make_input("customer", data), "1")).find("CustomerAdd")
    assert [child.tag for child in add] == ["Name"]


def test_job_is_a_sub_customer_of_its_parent(assert_valid):
    built = build(make_input("job"), "2")
    add = assert_valid(built).find("CustomerAdd")
    assert add.findtext("Name") == "J-7 - 12 Oak St"
    assert add.findtext("ParentRef/ListID") == "80000001-1700000000"
    assert add.findtext("JobDesc") == "Water heater"
    assert add.findtext("ShipAddress/City") == "Fresno"


def test_job_whose_customer_is_not_synced_is_a_problem():
    with pytest.raises(RecordProblem) as caught:
        build(make_input("job", refs={}), "2")
    assert caught.value.field == "customer" and "c-1" in caught.value.message


def test_job_mod(assert_valid):
    mod = assert_valid(build(make_input("job", qb=MOD), "2")).find("CustomerMod")
    assert mod.findtext("ListID") == MOD.id and mod.findtext("ParentRef/ListID")


@pytest.mark.parametrize(
    ("item_type", "rq_type"),
    [
        ("service", "ItemServiceAddRq"),
        ("non_inventory", "ItemNonInventoryAddRq"),
        ("other_charge", "ItemOtherChargeAddRq"),
    ],
)
def test_item_types_pick_their_request(assert_valid, item_type, rq_type):
    built = build(make_input("item", {**SAMPLES["item"], "type": item_type}), "3")
    assert built.rq_type == rq_type
    add = assert_valid(built)[0]
    assert add.findtext("SalesOrPurchase/Price") == "95"
    assert add.findtext("SalesOrPurchase/AccountRef/FullName") == "Labor Income"


def test_item_with_cost_is_bought_and_sold(assert_valid):
    data = {
        "name": "Copper Pipe",
        "type": "non_inventory",
        "description": "1/2 in",
        "price": "4.10",
        "cost": "2.05",
        "category": "materials",
        "taxable": True,
    }
    add = assert_valid(build(make_input("item", data), "3")).find("ItemNonInventoryAdd")
    assert add.findtext("SalesTaxCodeRef/FullName") == "Tax"
    assert add.findtext("SalesAndPurchase/SalesPrice") == "4.1"
    assert add.findtext("SalesAndPurchase/IncomeAccountRef/FullName") == "Materials Income"
    assert add.findtext("SalesAndPurchase/PurchaseCost") == "2.05"
    assert add.findtext("SalesAndPurchase/ExpenseAccountRef/FullName") == "Cost of Goods Sold"


def test_item_income_account_override_and_default(assert_valid):
    own = build(make_input("item", {**SAMPLES["item"], "income_account": "Service Revenue"}), "3")
    assert assert_valid(own).findtext("ItemServiceAdd/SalesOrPurchase/AccountRef/FullName") == "Service Revenue"
    plain = build(make_input("item", {"name": "Misc", "type": "other_charge", "taxable": False}), "3")
    add = assert_valid(plain).find("ItemOtherChargeAdd")
    assert add.findtext("SalesOrPurchase/AccountRef/FullName") == "Sales"
    assert add.findtext("SalesTaxCodeRef/FullName") == "Non"


@pytest.mark.parametrize("with_cost", [False, True])
def test_item_mod_uses_the_mod_aggregates(assert_valid, with_cost):
    data = {**SAMPLES["item"], "active": False, "cost": "50" if with_cost else None}
    built = build(make_input("item", data, qb=MOD), "3")
    assert built.rq_type == "ItemServiceModRq"
    mod = assert_valid(built).find("ItemServiceMod")
    assert mod.findtext("IsActive") == "false"
    assert mod.find("SalesAndPurchaseMod" if with_cost else "SalesOrPurchaseMod") is not None


def test_unknown_item_type_is_a_problem():
    with pytest.raises(RecordProblem, match="inventory_part"):
        build(make_input("item", {"name": "X", "type": "inventory_part"}), "3")


def test_item_name_one_over_the_limit_is_a_problem_when_long_names_is_error():
    with pytest.raises(RecordProblem, match="31"):
        build(make_input("item", {"name": "I" * 32, "type": "service"}, settings={"long_names": "error"}), "3")


def test_item_name_one_over_the_limit_is_shortened_with_a_warning(assert_valid):
    built = build(make_input("item", {"name": "Drain cleaning, main line 4in!", "type": "service"}), "3")
    assert assert_valid(built).findtext("ItemServiceAdd/Name") == "Drain cleaning, main line 4in!"
    built = build(make_input("item", {"name": "Drain cleaning, main line 4 inch", "type": "service"}), "3")
    assert assert_valid(built).findtext("ItemServiceAdd/Name") == "Drain cleaning, main line 4 inc"
    assert any("32 characters" in w and "'Drain cleaning, main line 4 inc'" in w for w in built.warnings)


def test_a_linked_item_s_mod_sends_only_what_the_app_changed_since_linking(assert_valid):
    linked = {"name": "Service Call", "type": "service", "price": "0", "description": "Call out"}
    now = {**linked, "description": "Call out, first hour"}
    built = build(make_input("item", now, qb=MOD, linked=linked), "3")
    mod = assert_valid(built).find("ItemServiceMod")
    assert mod.findtext("SalesOrPurchaseMod/Desc") == "Call out, first hour"
    assert mod.find("Name") is None and mod.find("SalesOrPurchaseMod/Price") is None
    assert mod.find("SalesOrPurchaseMod/AccountRef") is None
    assert "sent the fields the app changed since linking: description;" in built.notes[0]
    assert "QuickBooks keeps its own name, price, income account" in built.notes[0]
    untouched = build(make_input("item", linked, qb=MOD, linked=linked), "3")
    assert assert_valid(untouched).find("ItemServiceMod/SalesOrPurchaseMod") is None


def test_vendor_add_and_mod(assert_valid):
    add = assert_valid(build(make_input("vendor"), "4")).find("VendorAdd")
    assert add.findtext("IsVendorEligibleFor1099") == "true"
    assert add.findtext("VendorAddress/Addr1") == ADDRESS["line1"]
    built = build(make_input("vendor", {**SAMPLES["vendor"], "active": False}, qb=MOD), "4")
    assert built.rq_type == "VendorModRq"
    assert assert_valid(built).findtext("VendorMod/IsActive") == "false"


def test_vendor_without_name_uses_company_name(assert_valid):
    add = assert_valid(build(make_input("vendor", {"company_name": "Acme & Co"}), "4")).find("VendorAdd")
    assert add.findtext("Name") == "Acme & Co"


def test_request_id_longer_than_quickbooks_allows_is_refused():
    with pytest.raises(ValueError):
        build(make_input("customer"), "x" * 51)


def test_a_percentage_price_is_sent_as_price_percent(assert_valid):
    data = {"name": "Disposal Fee", "type": "other_charge", "price_percent": "5"}
    built = build(make_input("item", data), "3")
    sales = assert_valid(built).find("ItemOtherChargeAdd/SalesOrPurchase")
    assert float(sales.findtext("PricePercent")) == 5 and sales.find("Price") is None
