"""Check a record against its schema and the rules between fields; return it normalised or say what is wrong.

Errors come back as `{"lines.0.quantity": "must be a number"}`: the path a host developer can find in their own
payload, and a message in plain words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from qbwc_server.errors import InvalidInput
from qbwc_server.models import RecordKind
from qbwc_server.records.characters import bad_text_errors
from qbwc_server.records.schemas import ITEM_TYPES, SCHEMAS, schema_for

CENT = Decimal("0.01")
LARGEST = Decimal(10) ** 12
# Floats from a Python caller (0.1 + 0.2) are accepted when they are this close to a value with few enough places.
FLOAT_NOISE = Decimal("0.000001")
_DECIMAL_TEXT = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")

# format name -> (decimal places allowed, negative allowed, message when it is not a number at all)
DECIMAL_FORMATS: dict[str, tuple[int, bool, str]] = {
    "money": (2, True, "must be an amount such as 12.50"),
    "amount": (2, False, "must be an amount such as 12.50"),
    "price": (5, True, "must be a price such as 12.50"),
    "quantity": (5, True, "must be a number"),
}

_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
}


def validate(kind: RecordKind, payload: Any, *, storable: bool = False) -> dict[str, Any]:
    """Return the payload checked and normalised (decimal strings, trimmed text, no nulls); raise InvalidInput.

    `storable`: the caller knows every text in the payload is storable (`characters.surely_storable` of its JSON).
    """
    if not isinstance(payload, Mapping):
        raise InvalidInput({"body": f"must be a JSON object with the {kind.value}'s fields"})
    errors = {} if storable else bad_text_errors(payload)
    if errors:
        raise InvalidInput(errors)
    clean = _quickly_checked(kind, payload)
    if clean is None:
        for error in sorted(_validator(kind).iter_errors(payload), key=_sort_key):
            for path, message in _describe(error):
                errors.setdefault(path, message)
        if errors:
            raise InvalidInput(errors)
        clean = _normalise(SCHEMAS[kind], payload)
    errors = cross_field_errors(kind, clean)
    if errors:
        raise InvalidInput(errors)
    return clean


def to_decimal(value: Any, fmt: str) -> Decimal:
    """Read a money, price or quantity value (decimal text or a number); raise ValueError saying what is wrong."""
    places, negative_ok, not_a_number = DECIMAL_FORMATS[fmt]
    if isinstance(value, bool):
        raise ValueError(not_a_number)
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value.strip()):
            raise ValueError(not_a_number)
        number = Decimal(value.strip())
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, (int, Decimal)):
        number = Decimal(value)
    else:
        raise ValueError(not_a_number)
    if not number.is_finite():
        raise ValueError(not_a_number)
    if abs(number) >= LARGEST:
        raise ValueError("is too large")
    if number < 0 and not negative_ok:
        raise ValueError("must not be negative")
    step = Decimal(1).scaleb(-places)
    rounded = number.quantize(step, rounding=ROUND_HALF_UP)
    if rounded != number:
        if not isinstance(value, float) or abs(rounded - number) > FLOAT_NOISE:
            raise ValueError(f"must have at most {places} decimal places")
        number = rounded
    return number


def decimal_text(number: Decimal, fmt: str) -> str:
    """Write a checked number the way records store it: money with 2 places, prices with at least 2."""
    if fmt == "quantity":
        return format(number.normalize(), "f")
    as_cents = number.quantize(CENT, rounding=ROUND_HALF_UP)
    if fmt in ("money", "amount") or as_cents == number:
        return format(as_cents, "f")
    return format(number.normalize(), "f")


# --- the schema pass ----------------------------------------------------------------------------------------------

_formats = FormatChecker(formats=("date", "email"))


@_formats.checks("email", raises=ValueError)
def _is_email(value: object) -> bool:
    # Stricter than the library's "contains @": QuickBooks keeps the text, the host app's customer reads it.
    return not isinstance(value, str) or re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) is not None


def _decimal_check(fmt: str):
    def check(value: object) -> bool:
        if value is not None:
            to_decimal(value, fmt)
        return True

    return check


for _fmt in DECIMAL_FORMATS:
    _formats.checks(_fmt, raises=ValueError)(_decimal_check(_fmt))


@cache
def _validator(kind: RecordKind) -> Draft202012Validator:
    schema = schema_for(kind)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_formats)


# --- the quick pass ----------------------------------------------------------------------------------------------
# Most payloads are valid. fastjsonschema compiles each kind's schema once into plain Python, which says so in a
# fraction of jsonschema's time; its formats are the same checks as the FormatChecker's above. It can only refuse
# what jsonschema might accept (an integer written 5.0, say), never the other way round: whatever it refuses goes
# through jsonschema, which finds each error and its path. A test holds it to jsonschema's verdicts.

Check = Callable[[Any], bool]


def _format(name: str) -> Callable[[Any], bool]:
    return lambda value: _formats.conforms(value, name)


def _quickly_checked(kind: RecordKind, payload: Any) -> dict[str, Any] | None:
    """The payload normalised when the quick pass accepts it, else None (jsonschema then says what is wrong)."""
    if not _accepts(kind)(payload):
        return None
    try:
        clean: dict[str, Any] = _normalise(SCHEMAS[kind], payload)
    except ValueError:
        return None  # fastjsonschema checks formats of text only: a number breaking a money format lands here
    return clean


@cache
def _accepts(kind: RecordKind) -> Check:
    formats = {name: _format(name) for name in ("date", "email", *DECIMAL_FORMATS)}
    quick = fastjsonschema.compile(schema_for(kind), formats=formats, use_default=False)

    def accepts(payload: Any) -> bool:
        try:
            quick(payload)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return accepts


def _sort_key(error: ValidationError) -> tuple[str, ...]:
    return tuple(f"{part:08d}" if isinstance(part, int) else str(part) for part in error.absolute_path)


def _path(parts: Any) -> str:
    return ".".join(str(part) for part in parts) or "body"


def _describe(error: ValidationError) -> list[tuple[str, str]]:
    """Turn one jsonschema error into (field path, plain message) pairs."""
    where = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    rule = error.validator
    if rule == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [(_path([*where, name]), "is required") for name in missing]
    if rule == "additionalProperties":
        known = schema.get("properties", {})
        return [(_path([*where, name]), "is not a known field") for name in error.instance if name not in known]
    return [(_path(where), _message(error, schema, where))]


def _message(error: ValidationError, schema: dict[str, Any], where: list[Any]) -> str:
    rule, value = error.validator, error.validator_value
    fmt = schema.get("format")
    if rule == "type":
        if error.instance is None and where and isinstance(where[-1], str):
            return "is required"
        if fmt in DECIMAL_FORMATS:
            return DECIMAL_FORMATS[fmt][2]
        if fmt == "ref":
            return f"must be {schema.get('description', 'an id')} (text or a whole number)"
        wanted = [_TYPE_WORDS.get(name, name) for name in ([value] if isinstance(value, str) else value)]
        wanted = [word for word in wanted if word != "null"]
        return "must be " + " or ".join(wanted)
    if rule == "format":
        if value in DECIMAL_FORMATS and error.cause is not None:
            return str(error.cause)
        return {
            "date": "must be a date written YYYY-MM-DD",
            "email": "must be an email address",
        }.get(value, f"must be a valid {value}")
    if rule == "minLength" or (rule == "pattern" and value == r"\S"):
        return "must not be empty"
    if rule == "maxLength":
        return f"must be at most {value} characters"
    if rule == "enum":
        return "must be one of: " + ", ".join(str(option) for option in value)
    if rule == "maxItems":
        return f"must have at most {value} entries"
    return error.message


# --- normalising ------------------------------------------------------------------------------------------------


def _normalise(schema: dict[str, Any], value: Any) -> Any:
    fmt = schema.get("format")
    if fmt in DECIMAL_FORMATS:
        return decimal_text(to_decimal(value, fmt), fmt)
    if fmt in ("ref", "label") and not isinstance(value, str):
        number = Decimal(value)
        return str(int(number)) if number == number.to_integral_value() else format(number.normalize(), "f")
    if isinstance(value, Mapping):
        props = schema["properties"]
        return {key: _normalise(props[key], item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_normalise(schema["items"], item) for item in value]
    if isinstance(value, str):
        return value.strip()
    return value


# --- rules between fields ------------------------------------------------------------------------------------------


def cross_field_errors(kind: RecordKind, data: dict[str, Any]) -> dict[str, str]:
    """Check what a schema cannot say: names present, dates in order, lines that add up, payments not overspent."""
    errors: dict[str, str] = {}
    names = ("name", "company_name", "first_name", "last_name")
    if kind in (RecordKind.CUSTOMER, RecordKind.VENDOR) and not any(data.get(field) for field in names):
        errors["name"] = "give a name, a company_name, or a first_name and last_name"
    if kind is RecordKind.ITEM and not data.get("link_only") and data.get("type") not in ITEM_TYPES:
        errors["type"] = (
            f"the server adds only {', '.join(ITEM_TYPES)} items; an item of type '{data.get('type')}' must be "
            '"link_only": true (QuickBooks\' own item, found by name)'
        )
    if kind is RecordKind.ITEM and data.get("price_percent") is not None:
        if data.get("price") is not None:
            errors["price_percent"] = "give a price or a price_percent, not both"
        elif data.get("cost") is not None:
            errors["price_percent"] = "an item that is bought and sold (with a cost) has a price, not a percentage"
    if kind in (RecordKind.INVOICE, RecordKind.BILL):
        _check_dates(data, errors)
    if kind in (RecordKind.INVOICE, RecordKind.CREDIT_MEMO):
        lines = data.get("lines") or []
        _check_line_ids("lines", lines, errors)
        for index, line in enumerate(lines):
            if not line.get("item") and not line.get("description"):
                errors[f"lines.{index}.item"] = "give an item or a description"
            _check_line_total(f"lines.{index}", line, "rate", errors)
    elif kind is RecordKind.BILL:
        expense_lines, item_lines = data.get("expense_lines") or [], data.get("item_lines") or []
        if not expense_lines and not item_lines:
            errors["expense_lines"] = "a bill needs at least one expense line or item line"
        _check_line_ids("expense_lines", expense_lines, errors)
        _check_line_ids("item_lines", item_lines, errors)
        for index, line in enumerate(item_lines):
            _check_line_total(f"item_lines.{index}", line, "cost", errors)
    if kind is RecordKind.PAYMENT:
        _check_applied(data, errors)
    if kind is RecordKind.REFUND and bool(data.get("credit_memo")) == bool(data.get("payment")):
        errors["credit_memo"] = "name the credit paid back: a credit_memo or a payment (one of them)"
    if kind is RecordKind.CREDIT_MEMO:
        seen: set[str] = set()
        for index, entry in enumerate(data.get("applied_to") or []):
            if entry["invoice"] in seen:
                errors[f"applied_to.{index}.invoice"] = "is already applied above; give each invoice once"
            seen.add(entry["invoice"])
    return errors


def _check_dates(data: dict[str, Any], errors: dict[str, str]) -> None:
    # ISO dates compare correctly as text.
    if data.get("date") and data.get("due_date") and data["due_date"] < data["date"]:
        errors["due_date"] = f"must not be before the date ({data['date']})"


def _check_line_ids(field: str, lines: list[dict[str, Any]], errors: dict[str, str]) -> None:
    seen: set[str] = set()
    for index, line in enumerate(lines):
        line_id = line.get("id")
        if line_id is None:
            continue
        if line_id in seen:
            errors[f"{field}.{index}.id"] = "is used by another line"
        seen.add(line_id)


def _check_line_total(where: str, line: dict[str, Any], price_field: str, errors: dict[str, str]) -> None:
    if not all(line.get(field) is not None for field in ("quantity", price_field, "amount")):
        return
    expected = (Decimal(line["quantity"]) * Decimal(line[price_field])).quantize(CENT, rounding=ROUND_HALF_UP)
    if abs(expected - Decimal(line["amount"])) > CENT:
        errors[f"{where}.amount"] = f"does not match quantity × {price_field} ({expected})"


def _check_applied(data: dict[str, Any], errors: dict[str, str]) -> None:
    applied = data.get("applied_to") or []
    seen: set[str] = set()
    for index, entry in enumerate(applied):
        if entry["invoice"] in seen:
            errors[f"applied_to.{index}.invoice"] = "is already applied above; give each invoice once"
        seen.add(entry["invoice"])
    try:
        total = sum((Decimal(entry["amount"]) for entry in applied), Decimal(0))
        amount = Decimal(data["amount"])
    except (InvalidOperation, KeyError):  # pragma: no cover - the schema pass has checked both
        return
    if total > amount:
        errors["applied_to"] = f"the applied amounts add up to {total:.2f}, more than the payment's amount {amount:.2f}"
