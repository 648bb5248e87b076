"""Turn amounts, quantities, dates and flags into the exact text qbXML's simple types accept."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_CENT = Decimal("0.01")
_FIVE_PLACES = Decimal("0.00001")
# AMTTYPE allows 13 digits before the point, PRICETYPE/QUANTYPE 10 (qbxmltypes*.xsd).
_MAX_AMOUNT = Decimal("1e13")
_MAX_PRICE = Decimal("1e10")


def to_decimal(value: object) -> Decimal:
    """Return ``value`` (a decimal string, int or Decimal) as a Decimal; raise ValueError if it is not a number."""
    # A Decimal is taken as it is: Decimal(str(d)) has the same digits, exponent and sign (amounts pass here a
    # few times each, from the record's fields to the template's text).
    number = value if type(value) is Decimal else _parse(value)
    if not number.is_finite():
        raise ValueError(f"'{value}' is not a number")
    return number


def _parse(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not an amount")
    if isinstance(value, float):
        # Go through the shortest repr so 0.1 stays 0.1 rather than 0.1000000000000000055...
        value = repr(value)
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"'{value}' is not a number") from None


def money(value: object) -> str:
    """Return an amount with exactly two decimals ("12.50"), rounded half up; raise ValueError if out of range."""
    number = to_decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)
    if number.is_zero():
        number = abs(number)  # never "-0.00"
    if abs(number) >= _MAX_AMOUNT:
        raise ValueError(f"{number} is larger than QuickBooks accepts")
    return f"{number:f}"


def price(value: object) -> str:
    """Return a rate, cost or quantity with at most five decimals and no float error; raise ValueError if too big."""
    number = to_decimal(value).quantize(_FIVE_PLACES, rounding=ROUND_HALF_UP)
    if abs(number) >= _MAX_PRICE:
        raise ValueError(f"{number} is larger than QuickBooks accepts")
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


quantity = price


def boolean(value: object) -> str:
    """Return "true" or "false" as qbXML's BOOLTYPE spells them."""
    return "true" if value else "false"


def iso_date(value: object) -> str:
    """Return an ISO date (YYYY-MM-DD); raise ValueError for anything else."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"'{value}' is not a date like 2024-05-31") from None


def iso_datetime(value: dt.datetime) -> str:
    """Return a date-time as DATETIMETYPE accepts it: seconds, and a +HH:MM offset when the time is aware."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    offset = value.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        minutes = abs(minutes)
        text += f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return text
