"""The QuickBooks names of customers, jobs, items and vendors, built from the record and the name formats."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from qbwc_server.qbxml import limits
from qbwc_server.qbxml.errors import FieldTooLong
from qbwc_server.qbxml.text import require_fit
from qbwc_server.sync.builders.drafting import blank, setting
from qbwc_server.sync.builders.types import ProblemKind, RecordProblem, RequestInput

NAME_LIMITS = {
    "customer": limits.CUSTOMER_NAME,
    "job": limits.CUSTOMER_NAME,
    "vendor": limits.VENDOR_NAME,
    "item": limits.ITEM_NAME,
}
_FORMAT_SETTING = {"customer": "customer_name_format", "job": "job_name_format", "vendor": "customer_name_format"}


def _lookup(data: Mapping[str, Any], dotted: str) -> str:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return ""
        value = value.get(part)
    return "" if value is None else str(value).strip()


def format_name(template: str, data: Mapping[str, Any]) -> str:
    """Fill a name format such as "{last_name}, {first_name}" so that missing parts leave no stray separators.

    A separator is kept only between two parts that both have a value; text before the first part and
    after the last one (such as brackets) is kept only when the part next to it has a value.
    """
    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError:
        raise RecordProblem(
            "name_format", f"The name format '{template}' is not valid.", ProblemKind.SETTINGS
        ) from None
    out: list[str] = []
    any_value = False
    last_had_value = False
    fields_seen = 0
    trailing = ""
    for literal, field_name, _spec, _conversion in pieces:
        if field_name is None:
            trailing = literal
            continue
        value = _lookup(data, field_name)
        is_leading_text = fields_seen == 0
        fields_seen += 1
        if value:
            if is_leading_text or any_value:
                out.append(literal)
            out.append(value)
            any_value = True
        last_had_value = bool(value)
    if last_had_value or fields_seen == 0:
        out.append(trailing)
    return " ".join("".join(out).split())


def _raw_name(kind: str, data: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    if not blank(data.get("name")):
        return str(data["name"])
    if kind in ("customer", "vendor") and not blank(data.get("company_name")):
        return str(data["company_name"])
    if kind in _FORMAT_SETTING:
        return format_name(str(setting(settings, _FORMAT_SETTING[kind])), data)
    return ""


def name_with_warnings(kind: str, data: Mapping[str, Any], settings: Mapping[str, Any]) -> tuple[str, list[str]]:
    """Return the record's own QuickBooks name and warnings about characters that had to change."""
    if kind not in NAME_LIMITS:
        raise ValueError(f"a {kind} has no QuickBooks name of its own")
    raw = _raw_name(kind, data, settings)
    if setting(settings, "uppercase_names"):
        raw = raw.upper()
    warnings: list[str] = []
    if ":" in raw:
        # QuickBooks joins a customer and its jobs with ":" in FullName, so a colon inside a name breaks lookups.
        raw = raw.replace(":", "-")
        warnings.append("Name: ':' was replaced by '-' because QuickBooks uses ':' between a customer and its jobs.")
    try:
        name, text_warnings = require_fit(raw, NAME_LIMITS[kind], "Name")
    except FieldTooLong as exc:
        raise RecordProblem(
            "name",
            f"The QuickBooks name '{exc.value}' is {len(exc.value)} characters long; QuickBooks allows at most "
            f"{exc.limit} for a {kind} name. Give the {kind} a shorter name.",
            ProblemKind.TOO_LONG,
        ) from None
    if not name:
        raise RecordProblem("name", f"This {kind} has no name to use in QuickBooks; give it a name.")
    return name, warnings + text_warnings


def qb_name(kind: str, data: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    """Return the record's own QuickBooks Name (customer/job/item/vendor); RecordProblem when empty or too long."""
    return name_with_warnings(kind, data, settings)[0]


def full_name(inp: RequestInput) -> str | None:
    """Return the FullName the record will have in QuickBooks; a job's needs its customer already synced."""
    if inp.kind not in NAME_LIMITS:
        return None
    name = qb_name(inp.kind, inp.data, inp.settings)
    if inp.kind != "job":
        return name
    parent = inp.refs.get(("customer", str(inp.data.get("customer"))))
    if parent is None or not parent.full_name:
        return None
    return f"{parent.full_name}:{name}"
