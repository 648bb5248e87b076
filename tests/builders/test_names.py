from __future__ import annotations

import pytest

from qbwc_server.sync.builders import QbRef, RecordProblem, full_name, qb_name
from qbwc_server.sync.builders.names import name_with_warnings

from .conftest import make_input


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"first_name": "John", "last_name": "Smith"}, "Smith, John"),
        ({"last_name": "Smith"}, "Smith"),
        ({"first_name": "John", "last_name": None}, "John"),
        ({"first_name": "John", "last_name": "Smith", "company_name": "Smith Plumbing"}, "Smith Plumbing"),
        ({"name": "  The  Smiths ", "company_name": "Smith Plumbing"}, "The Smiths"),
    ],
)
def test_customer_name_follows_name_then_company_then_format(data, expected):
    assert qb_name("customer", data, {}) == expected


def test_customer_name_format_with_dotted_fields():
    settings = {"customer_name_format": "{first_name} {last_name} ({billing_address.city})"}
    data = {"first_name": "Ann", "last_name": "Lee", "billing_address": {"city": "Fresno"}}
    assert qb_name("customer", data, settings) == "Ann Lee (Fresno)"
    assert qb_name("customer", {"first_name": "Ann", "last_name": "Lee"}, settings) == "Ann Lee"


def test_job_name_default_format_and_missing_parts():
    assert qb_name("job", {"number": "J-7", "address": {"line1": "12 Oak St"}}, {}) == "J-7 - 12 Oak St"
    assert qb_name("job", {"number": "J-7"}, {}) == "J-7"
    assert qb_name("job", {"address": {"line1": "12 Oak St"}}, {}) == "12 Oak St"


def test_uppercase_names_setting():
    assert (
        qb_name("customer", {"first_name": "José", "last_name": "Müller"}, {"uppercase_names": True}) == "MÜLLER, JOSÉ"
    )


def test_names_are_made_latin1():
    assert qb_name("customer", {"name": "Łódź “Best” Plumbing"}, {}) == 'Lódz "Best" Plumbing'


def test_colon_cannot_reach_quickbooks_names():
    assert qb_name("customer", {"name": "Re: Design"}, {}) == "Re- Design"


def test_name_at_limit_passes_and_one_over_is_a_problem_when_long_names_is_error():
    strict = {"long_names": "error"}
    assert qb_name("customer", {"name": "N" * 41}, strict) == "N" * 41
    assert qb_name("item", {"name": "I" * 31}, strict) == "I" * 31
    with pytest.raises(RecordProblem) as caught:
        qb_name("customer", {"name": "N" * 42}, strict)
    assert caught.value.field == "name" and "41" in caught.value.message
    with pytest.raises(RecordProblem, match="31"):
        qb_name("item", {"name": "I" * 32}, strict)


def test_a_long_name_is_cut_to_the_limit_without_a_dangling_separator():
    name = "Ferguson Plumbing Supply & Heating - Western Division"
    assert qb_name("customer", {"name": name}, {}) == "Ferguson Plumbing Supply & Heating - West"
    assert qb_name("vendor", {"name": "A" * 39 + " - B"}, {}) == "A" * 39


def test_a_job_s_address_part_is_shortened_first_and_its_number_stays_whole():
    data = {"number": "2024-00017", "address": {"line1": "12345 North Martin Luther King Jr Boulevard Apt 5"}}
    name, warnings = name_with_warnings("job", data, {})
    assert name == "2024-00017 - 12345 North Martin Luther Ki"
    assert len(name) == 41
    assert "62 characters" in warnings[0] and f"'{name}' in QuickBooks" in warnings[0]


def test_a_suffix_keeps_the_name_apart_and_still_fits():
    assert name_with_warnings("customer", {"last_name": "Smith", "first_name": "John"}, {}, " (2)")[0] == (
        "Smith, John (2)"
    )
    assert name_with_warnings("vendor", {"name": "V" * 41}, {}, " (V)")[0] == "V" * 37 + " (V)"
    assert name_with_warnings("item", {"name": "Same"}, {}, " (2)")[0] == "Same (2)"


def test_empty_name_is_a_problem():
    with pytest.raises(RecordProblem, match="no name"):
        qb_name("customer", {"email": "x@example.com"}, {})


def test_job_full_name_uses_the_parent_full_name():
    inp = make_input("job")
    assert full_name(inp) == "Smith, John:J-7 - 12 Oak St"
    assert full_name(make_input("job", refs={})) is None
    assert full_name(make_input("customer")) == "Smith, John"
    assert full_name(make_input("invoice")) is None


def test_job_full_name_follows_the_parent_name_quickbooks_returned():
    refs = {("customer", "c-1"): QbRef("1-1", "Smith Plumbing")}
    assert full_name(make_input("job", refs=refs)) == "Smith Plumbing:J-7 - 12 Oak St"
