"""Fields changed on both sides: found against the ancestor, settled by the rule, QuickBooks' other changes kept."""

from __future__ import annotations

import pytest

from qbwc_server.company_settings import parse_cli_value, validate
from qbwc_server.errors import InvalidInput
from qbwc_server.imports import changes, conflicts
from qbwc_server.models import RecordKind

FIELDS = changes.MAPPED_FIELDS[RecordKind.CUSTOMER]
ANCESTOR = {"name": "Lee, Ann", "phone": "555-0100", "billing_address": {"line1": "12 Oak St", "city": "Reno"}}


def _settle(ours: dict, theirs: dict, rule: str) -> tuple[dict, list[conflicts.Conflict]]:  # type: ignore[type-arg]
    found = changes.diff(ANCESTOR, theirs, FIELDS)
    clashes = conflicts.find(found, ANCESTOR, ours, FIELDS)
    return conflicts.merge(ours, theirs, found, clashes, rule), clashes


@pytest.mark.parametrize("rule", ["app_wins", "quickbooks_wins"])
def test_an_address_line_changed_on_both_sides_is_one_conflict_and_the_city_from_quickbooks_is_taken(rule):
    ours = {**ANCESTOR, "billing_address": {"line1": "14 Oak St", "city": "Reno"}, "email": "ann@app.example"}
    theirs = {**ANCESTOR, "billing_address": {"line1": "16 Oak St", "city": "Sparks"}, "phone": "555-0123"}

    merged, clashes = _settle(ours, theirs, rule)

    assert clashes == [conflicts.Conflict("billing_address.line1", "14 Oak St", "16 Oak St")]
    line1 = "14 Oak St" if rule == "app_wins" else "16 Oak St"
    assert merged["billing_address"] == {"line1": line1, "city": "Sparks"}
    assert merged["phone"] == "555-0123" and merged["email"] == "ann@app.example"
    text = conflicts.describe(clashes, rule)
    assert "billing_address.line1: app '14 Oak St', QuickBooks '16 Oak St'" in text and rule in text


def test_the_same_change_on_both_sides_is_no_conflict():
    same = {**ANCESTOR, "phone": "555-0123"}
    merged, clashes = _settle(same, same, "app_wins")
    assert clashes == [] and merged["phone"] == "555-0123"


def test_the_new_settings_are_checked_with_messages_naming_the_choices():
    assert validate(
        {"auto_import_every_minutes": "0", "auto_import_kinds": "bills, payments", "conflicts": "quickbooks_wins"}
    ) == {
        "auto_import_every_minutes": 0,
        "auto_import_kinds": ["bills", "payments"],
        "conflicts": "quickbooks_wins",
    }
    assert parse_cli_value("auto_import_kinds", "customers,items") == ["customers", "items"]
    with pytest.raises(InvalidInput) as bad:
        validate({"auto_import_every_minutes": -5, "auto_import_kinds": ["accounts"], "conflicts": "newest"})
    assert bad.value.errors == {
        "auto_import_every_minutes": "must be between 0 and 10080",
        "auto_import_kinds": "unknown choice 'accounts'; choose from "
        "customers, items, vendors, invoices, payments, bills",
        "conflicts": "must be one of app_wins, quickbooks_wins",
    }
