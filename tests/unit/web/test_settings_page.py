"""The settings form: every setting, choices from QuickBooks' lists, messages beside the fields, all or nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from qbwc_server.company_settings import DEFAULTS, DESCRIPTIONS
from qbwc_server.models import Company


@pytest.fixture
def company(make_company):
    return make_company("acme")


@pytest.fixture
def admin(client, company, make_user, login):
    make_user("root@example.com", "admin")
    login("root@example.com")
    return client


def _form(page: str) -> dict[str, list[str]]:
    """Read the values the form would submit as it stands (what a person pressing Save sends)."""
    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input [^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        value = re.search(r'value="([^"]*)"', tag)
        if kind == "checkbox":
            if " checked" in tag:
                data.setdefault(name.group(1), []).append(value.group(1) if value else "on")
            continue
        data.setdefault(name.group(1), []).append(value.group(1) if value else "")
    for name, body in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body) or re.search(r'<option value="([^"]*)"', body)
        data.setdefault(name, []).append(chosen.group(1) if chosen else "")
    return {k: [v.replace("&#39;", "'").replace("&amp;", "&") for v in vs] for k, vs in data.items()}


def _stored(rt):
    with rt.transaction() as db:
        return db.scalars(select(Company.settings)).one() or {}


def test_the_form_has_every_setting_with_its_description_as_label(admin):
    page = admin.get("/c/acme/settings").get_data(as_text=True)
    for key in DEFAULTS:
        assert f"<code>{key}</code>" in page, key
        assert DESCRIPTIONS[key].replace("'", "&#39;") in page, key
    # every input has a label pointing at it
    for input_id in re.findall(r'<(?:input|select) id="([^"]+)"', page):
        assert f'for="{input_id}"' in page, input_id


def test_saving_the_unchanged_form_changes_nothing(rt, admin):
    page = admin.get("/c/acme/settings").get_data(as_text=True)
    response = admin.post("/c/acme/settings", data=_form(page), follow_redirects=True)
    assert "Nothing changed." in response.get_data(as_text=True)
    assert _stored(rt) == {}


def test_choices_come_from_the_imported_quickbooks_lists(admin, company, make_list_entry):
    make_list_entry(company, "account", "Materials Income", "Income")
    make_list_entry(company, "account", "Sales", "Income")
    make_list_entry(company, "account", "Checking", "Bank")
    make_list_entry(company, "payment_method", "Visa")
    make_list_entry(company, "payment_method", "Check")
    page = admin.get("/c/acme/settings").get_data(as_text=True)
    income = re.search(r'name="income_account_materials".*?</select>', page, re.S).group(0)
    assert "Materials Income" in income and "Checking" not in income
    deposit = re.search(r'name="deposit_account".*?</select>', page, re.S).group(0)
    assert "Checking" in deposit and "Materials Income" not in deposit
    assert 'name="payment_methods" value="Visa"' in page
    # A setting naming something QuickBooks lacks is flagged beside it
    assert "QuickBooks does not have “Labor Income” (as of the last import)." in page


def test_fixing_an_account_mapping_saves_it(rt, admin, company, make_list_entry):
    make_list_entry(company, "account", "Materials Income", "Income")
    make_list_entry(company, "account", "Job Materials", "Income")
    page = admin.get("/c/acme/settings").get_data(as_text=True)
    form = _form(page)
    form["income_account_materials"] = ["Job Materials"]
    response = admin.post("/c/acme/settings", data=form, follow_redirects=True)
    assert "Saved." in response.get_data(as_text=True)
    assert _stored(rt) == {"income_account_materials": "Job Materials"}


def test_invalid_values_are_explained_beside_their_fields_and_nothing_is_saved(rt, admin):
    form = _form(admin.get("/c/acme/settings").get_data(as_text=True))
    form.update(
        batch_size=["0"],
        customer_name_format=["{surname}"],
        sync_start_date=["31/12/2024"],
        invoice_sync_statuses=[],
        uppercase_names=["on"],
    )
    response = admin.post("/c/acme/settings", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved" in page
    assert 'id="error-batch_size" role="alert">Must be between 1 and 500.' in page
    assert "{surname} is not a field you can use" in page
    assert 'id="error-sync_start_date" role="alert">Must be a date written YYYY-MM-DD.' in page
    # What was typed stays in the form, so it can be corrected rather than retyped
    assert 'value="{surname}"' in page
    assert _stored(rt) == {}


def test_lists_checkboxes_and_the_tax_mapping_round_trip(rt, admin, company, make_list_entry):
    make_list_entry(company, "payment_method", "Visa")
    make_list_entry(company, "payment_method", "Check")
    form = _form(admin.get("/c/acme/settings").get_data(as_text=True))
    form["sync_kinds"] = ["customer", "invoice", "payment"]
    form["payment_methods"] = ["Visa"]
    form["auto_sync"] = []
    form["tax_rate"] = ["CA 7.25%", "", ""]
    form["tax_item"] = ["State Tax", "", ""]
    response = admin.post("/c/acme/settings", data=form, follow_redirects=True)
    assert "Saved." in response.get_data(as_text=True)
    assert _stored(rt) == {
        "sync_kinds": ["customer", "invoice", "payment"],
        "payment_methods": ["Visa"],
        "auto_sync": False,
        "tax_mapping": {"CA 7.25%": "State Tax"},
    }
    page = admin.get("/c/acme/settings").get_data(as_text=True)
    assert 'value="CA 7.25%"' in page
    assert re.search(r'name="payment_methods" value="Visa" checked', page)
    assert not re.search(r'name="payment_methods" value="Check" checked', page)


def test_without_imported_lists_names_are_typed(rt, admin):
    page = admin.get("/c/acme/settings").get_data(as_text=True)
    assert "Import accounts from QuickBooks to choose from a list." in page
    form = _form(page)
    form["payment_methods"] = ["Cash, Check"]
    form["income_account_labor"] = ["Service Income"]
    admin.post("/c/acme/settings", data=form)
    assert _stored(rt) == {"payment_methods": ["Cash", "Check"], "income_account_labor": "Service Income"}


def test_a_bookkeeper_cannot_change_settings(rt, client, company, make_user, login):
    make_user("anna@example.com", "bookkeeper", ("acme",))
    login("anna@example.com")
    assert client.post("/c/acme/settings", data={"batch_size": "3"}).status_code == 403
    assert _stored(rt) == {}


def test_every_true_or_false_setting_is_a_checkbox(admin):
    page = admin.get("/c/acme/settings").get_data(as_text=True)
    for key, default in DEFAULTS.items():
        if isinstance(default, bool):
            assert re.search(rf'<input type="checkbox" id="setting-{key}" name="{key}"', page), key


def test_the_safe_books_rules_are_explained_and_chosen_on_the_form(rt, admin):
    page = admin.get("/c/acme/settings").get_data(as_text=True)
    assert "Customers created before the sync start date are never sent on their own" in page
    assert "looks for it in QuickBooks by its name and links it" in page
    assert re.search(r'name="duplicate_names".*?<option value="suffix" selected>', page, re.S)
    form = _form(page)
    assert form["link_policy"] == [
        "customer:keep_quickbooks, job:keep_quickbooks, item:keep_quickbooks, vendor:keep_quickbooks"
    ]
    form["link_policy"] = ["item:update_quickbooks"]
    form["start_date_prerequisites"] = ["find_only"]
    response = admin.post("/c/acme/settings", data=form, follow_redirects=True)
    assert "Saved." in response.get_data(as_text=True)
    assert _stored(rt) == {
        "link_policy": {
            "customer": "keep_quickbooks",
            "job": "keep_quickbooks",
            "item": "update_quickbooks",
            "vendor": "keep_quickbooks",
        },
        "start_date_prerequisites": "find_only",
    }
    form["link_policy"] = ["item:overwrite"]
    page = admin.post("/c/acme/settings", data=form).get_data(as_text=True)
    assert "Item: must be one of keep_quickbooks, update_quickbooks." in page
