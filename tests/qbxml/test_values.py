from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from qbwc_server.qbxml import values


@pytest.mark.parametrize(
    ("given", "expected"),
    [("12.5", "12.50"), ("12.505", "12.51"), (Decimal("3"), "3.00"), (7, "7.00"), ("-0.004", "0.00"), (0.1, "0.10")],
)
def test_money_has_two_decimals(given, expected):
    assert values.money(given) == expected


def test_quantities_have_no_float_error():
    assert values.quantity(0.1 + 0.2) == "0.3"
    assert values.quantity("1.50000") == "1.5"
    assert values.price("95.123456") == "95.12346"
    assert values.quantity("3") == "3"


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", "", True])
def test_not_a_number_is_refused(bad):
    with pytest.raises(ValueError):
        values.money(bad)


def test_amounts_beyond_quickbooks_range_are_refused():
    with pytest.raises(ValueError):
        values.money("10000000000000")
    with pytest.raises(ValueError):
        values.price("10000000000")


def test_dates_and_datetimes_match_qbxml_types():
    assert values.iso_date("2024-02-29") == "2024-02-29"
    with pytest.raises(ValueError):
        values.iso_date("29/02/2024")
    aware = dt.datetime(2024, 1, 2, 3, 4, 5, 999, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert values.iso_datetime(aware) == "2024-01-02T03:04:05-05:00"
    assert values.iso_datetime(dt.datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05"
