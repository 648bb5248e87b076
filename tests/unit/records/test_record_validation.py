"""What a host developer sees when a record is checked: exact field paths, plain messages, tidy stored values."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from qbwc_server.errors import InvalidInput
from qbwc_server.models import RecordKind
from qbwc_server.records.schemas import schema_for
from qbwc_server.records.validation import validate


def errors_of(kind: RecordKind, payload) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        validate(kind, payload)
    return caught.value.errors


@pytest.mark.parametrize("kind", list(RecordKind))
def test_every_resource_has_a_valid_closed_schema(kind):
    schema = schema_for(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    # An unknown field is named, not silently dropped.
    assert errors_of(kind, {"colour": "red"})["colour"] == "is not a known field"


def test_a_bad_line_quantity_is_reported_at_its_path():
    errors = errors_of(
        RecordKind.INVOICE,
        {"customer": "c1", "lines": [{"item": "svc", "quantity": 1}, {"item": "svc", "quantity": "two"}]},
    )
    assert errors == {"lines.1.quantity": "must be a number"}


def test_several_mistakes_are_all_named_in_plain_words():
    errors = errors_of(
        RecordKind.INVOICE,
        {
            "date": "2024-02-30",
            "due_date": "03/01/2024",
            "status": "void",
            "lines": [{"item": "svc", "rate": "ten", "amount": "1.234", "taxable": "yes"}],
        },
    )
    assert errors == {
        "customer": "is required",
        "date": "must be a date written YYYY-MM-DD",
        "due_date": "must be a date written YYYY-MM-DD",
        "status": "must be one of: draft, sent, finished, paid",
        "lines.0.rate": "must be a price such as 12.50",
        "lines.0.amount": "must have at most 2 decimal places",
        "lines.0.taxable": "must be true or false",
    }


def test_nested_address_fields_are_checked():
    errors = errors_of(
        RecordKind.CUSTOMER,
        {"last_name": "Ng", "email": "not-an-address", "billing_address": {"line1": "x" * 201, "zip": "02134"}},
    )
    assert errors == {
        "email": "must be an email address",
        "billing_address.line1": "must be at most 200 characters",
        "billing_address.zip": "is not a known field",
    }


def test_money_is_stored_as_two_place_decimal_text_and_prices_keep_their_precision():
    data = validate(
        RecordKind.INVOICE,
        {
            "customer": 1042,
            "status": "sent",
            "tax_rate": 8.25,
            "lines": [
                {"id": 7, "item": "svc", "quantity": 3, "rate": 12.5, "amount": "37.5"},
                {"item": "part", "quantity": Decimal("0.5"), "rate": "0.125", "amount": 0.06},
                {"description": "Trip charge", "amount": 0.1 + 0.2},
            ],
        },
    )
    assert data["customer"] == "1042"
    assert data["tax_rate"] == "8.25"
    assert data["lines"][0] == {"id": "7", "item": "svc", "quantity": "3", "rate": "12.50", "amount": "37.50"}
    assert data["lines"][1]["rate"] == "0.125"
    assert data["lines"][1]["quantity"] == "0.5"
    # A float that is 0.30000000000000004 is the host app's 0.30, not an error.
    assert data["lines"][2]["amount"] == "0.30"
    json.dumps(data)  # what is stored is plain JSON


def test_nulls_mean_absent_and_text_is_trimmed():
    data = validate(RecordKind.CUSTOMER, {"first_name": " Ann ", "last_name": "Lee", "email": None, "notes": None})
    assert data == {"first_name": "Ann", "last_name": "Lee"}


def test_a_required_field_sent_as_null_is_required():
    assert errors_of(RecordKind.JOB, {"customer": None}) == {"customer": "is required"}


def test_item_type_and_name_are_required_and_checked():
    assert errors_of(RecordKind.ITEM, {"name": "  ", "type": "inventory_part"}) == {
        "name": "must not be empty",
        "type": "must be one of: service, non_inventory, other_charge, inventory, inventory_assembly, discount, "
        "sales_tax, group, payment",
    }


def test_an_item_of_a_type_the_server_never_adds_must_be_link_only():
    errors = errors_of(RecordKind.ITEM, {"name": "Water Heater 40gal", "type": "inventory"})
    assert list(errors) == ["type"] and '"link_only": true' in errors["type"]
    assert validate(RecordKind.ITEM, {"name": "Water Heater 40gal", "type": "inventory", "link_only": True})


def test_a_percentage_price_is_not_also_a_price():
    errors = errors_of(RecordKind.ITEM, {"name": "Fee", "type": "other_charge", "price": "5", "price_percent": "5"})
    assert errors == {"price_percent": "give a price or a price_percent, not both"}
    assert errors_of(RecordKind.ITEM, {}) == {"name": "is required", "type": "is required"}


def test_a_job_needs_its_customer():
    assert errors_of(RecordKind.JOB, {"number": "J-7"}) == {"customer": "is required"}
    assert validate(RecordKind.JOB, {"customer": "c1", "number": "J-7"})["customer"] == "c1"


@pytest.mark.parametrize("kind", [RecordKind.CUSTOMER, RecordKind.VENDOR])
def test_customers_and_vendors_need_some_name(kind):
    assert errors_of(kind, {"email": "a@b.co"}) == {
        "name": "give a name, a company_name, or a first_name and last_name"
    }
    assert validate(kind, {"company_name": "Acme Plumbing"}) == {"company_name": "Acme Plumbing"}


def test_payment_cannot_apply_more_than_it_is():
    errors = errors_of(
        RecordKind.PAYMENT,
        {
            "customer": "c1",
            "amount": "100",
            "applied_to": [{"invoice": "i1", "amount": 60}, {"invoice": "i2", "amount": 50}],
        },
    )
    assert errors == {"applied_to": "the applied amounts add up to 110.00, more than the payment's amount 100.00"}
    ok = validate(
        RecordKind.PAYMENT,
        {
            "customer": "c1",
            "amount": 100,
            "applied_to": [{"invoice": "i1", "amount": 60}, {"invoice": "i2", "amount": 40}],
        },
    )
    assert ok["amount"] == "100.00"


def test_payment_amounts_are_not_negative_and_invoices_are_applied_once():
    assert errors_of(RecordKind.PAYMENT, {"customer": "c1", "amount": -5}) == {"amount": "must not be negative"}
    errors = errors_of(
        RecordKind.PAYMENT,
        {
            "customer": "c1",
            "amount": 10,
            "applied_to": [{"invoice": "i1", "amount": 5}, {"invoice": "i1", "amount": 5}],
        },
    )
    assert errors == {"applied_to.1.invoice": "is already applied above; give each invoice once"}


def test_invoice_lines_must_add_up_and_say_what_they_are():
    errors = errors_of(
        RecordKind.INVOICE,
        {
            "customer": "c1",
            "date": "2024-05-10",
            "due_date": "2024-05-01",
            "lines": [
                {"item": "svc", "quantity": 2, "rate": "10.00", "amount": "25.00"},
                {"quantity": 1, "amount": 5},
                {"id": "L1", "item": "svc"},
                {"id": "L1", "item": "svc"},
            ],
        },
    )
    assert errors == {
        "due_date": "must not be before the date (2024-05-10)",
        "lines.0.amount": "does not match quantity × rate (20.00)",
        "lines.1.item": "give an item or a description",
        "lines.3.id": "is used by another line",
    }


def test_a_bill_needs_a_line_and_its_item_lines_add_up():
    assert errors_of(RecordKind.BILL, {"vendor": "v1"}) == {
        "expense_lines": "a bill needs at least one expense line or item line"
    }
    errors = errors_of(
        RecordKind.BILL,
        {"vendor": "v1", "item_lines": [{"item": "pipe", "quantity": 3, "cost": "1.10", "amount": "4.00"}]},
    )
    assert errors == {"item_lines.0.amount": "does not match quantity × cost (3.30)"}
    data = validate(RecordKind.BILL, {"vendor": "v1", "expense_lines": [{"account": "Fuel", "amount": 40}]})
    assert data["expense_lines"] == [{"account": "Fuel", "amount": "40.00"}]


def test_a_body_that_is_not_an_object_is_refused():
    assert errors_of(RecordKind.CUSTOMER, ["Ann"]) == {"body": "must be a JSON object with the customer's fields"}


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.text(max_size=30) | st.decimals(allow_nan=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
_line = st.fixed_dictionaries(
    {},
    optional={
        "item": _json,
        "description": _json,
        "quantity": _json,
        "rate": _json,
        "amount": _json,
        "taxable": _json,
        "id": _json,
    },
)


@settings(max_examples=150, deadline=None)
@given(
    payload=st.fixed_dictionaries(
        {"customer": st.one_of(st.text(max_size=5), st.integers(0, 99))},
        optional={"status": _json, "date": _json, "lines": st.lists(_line, max_size=3), "memo": _json},
    )
)
def test_any_payload_is_either_refused_with_messages_or_stored_as_plain_stable_json(payload):
    try:
        data = validate(RecordKind.INVOICE, payload)
    except InvalidInput as refused:
        assert refused.errors
        assert all(isinstance(path, str) and isinstance(message, str) for path, message in refused.errors.items())
        return
    json.dumps(data)
    # Storing what was stored again changes nothing: a repeated PUT does not bump the version.
    assert validate(RecordKind.INVOICE, data) == data


# --- the quick pass never accepts what the schema refuses ---------------------------------------------------------

TRICKY = [
    None,
    True,
    0,
    7,
    -3,
    -5.25,
    Decimal("-2"),
    5.0,
    2.5,
    Decimal("1.5"),
    Decimal("1.234567"),
    "",
    " ",
    "x",
    "x" * 300,
    "x" * 5000,
    "12.50",
    "1.234",
    "-4",
    "ten",
    "2024-02-30",
    "2024-02-03",
    "a@b.co",
    "not an email",
    "draft",
    "service",
    [],
    [{}],
    {},
    {"line1": "1 Main St"},
]


def _value(draw, schema):
    """Draw a value that mostly fits `schema` (built from it) and sometimes does not (from TRICKY)."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(TRICKY))
    types = [name for name in schema.get("type", []) if name != "null"]
    if "enum" in schema:
        return draw(st.sampled_from(schema["enum"]))
    if "object" in types:
        props = schema.get("properties", {})
        names = draw(st.lists(st.sampled_from(sorted(props)), unique=True, max_size=len(props))) if props else []
        value = {name: _value(draw, props[name]) for name in names}
        if draw(st.integers(0, 9)) == 0:
            value["colour"] = "red"
        return value
    if "array" in types:
        return [_value(draw, schema["items"]) for _ in range(draw(st.integers(0, 3)))]
    fmt = schema.get("format")
    if fmt in ("money", "amount", "price", "quantity"):
        return draw(st.sampled_from(["12.50", "3", 4, -4, "0.10", Decimal("2.25"), Decimal("-1"), "1.123456"]))
    if fmt == "date":
        return draw(st.sampled_from(["2024-01-31", "2024-13-01", "01/02/2024"]))
    if fmt == "email":
        return draw(st.sampled_from(["ann@example.com", "ann@", "ann example.com"]))
    if "integer" in types:
        return draw(st.sampled_from([5, "c1", "", "  "]))
    if "boolean" in types:
        return draw(st.booleans())
    return draw(st.text(max_size=draw(st.sampled_from([5, 250]))))


@st.composite
def payloads_for(draw, kind):
    return _value(draw, {**schema_for(kind), "type": ["object"]})


@pytest.mark.parametrize("kind", list(RecordKind))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_the_quick_check_accepts_only_what_the_schema_accepts(kind, data):
    from qbwc_server.records import validation

    payload = data.draw(payloads_for(kind))
    schema_errors = list(
        Draft202012Validator(schema_for(kind), format_checker=validation._formats).iter_errors(payload)
    )
    if validation._quickly_checked(kind, payload) is not None:
        assert schema_errors == []


PLAIN = [
    (RecordKind.CUSTOMER, {"first_name": "Ann", "last_name": "Smith", "email": "ann@example.com", "active": True}),
    (RecordKind.ITEM, {"name": "Labor", "type": "service", "price": "85.00"}),
    (
        RecordKind.INVOICE,
        {
            "customer": 17,
            "number": "1001",
            "date": "2024-03-01",
            "status": "sent",
            "lines": [{"item": "labor", "quantity": 2, "rate": Decimal("42.5"), "amount": "85.00"}],
        },
    ),
    (RecordKind.PAYMENT, {"customer": "c1", "amount": "85", "applied_to": [{"invoice": "i1", "amount": "85.00"}]}),
]


@pytest.mark.parametrize(("kind", "payload"), PLAIN)
def test_a_plain_valid_record_takes_the_quick_pass(kind, payload, monkeypatch):
    from qbwc_server.records import validation

    assert validation._quickly_checked(kind, payload) is not None
    # … so jsonschema is not asked, and the record comes out as before.
    monkeypatch.setattr(validation, "_validator", lambda kind: pytest.fail("jsonschema was asked"))
    assert set(validate(kind, payload)) == set(payload)
