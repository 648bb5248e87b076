"""The QuickBooks names of customers, jobs, items and vendors, built from the record and the name formats."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from qbwc_server.qbxml import limits
from qbwc_server.qbxml.text import to_latin1
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


def _clean(raw: str, settings: Mapping[str, Any]) -> tuple[str, list[str]]:
    """Return a raw name as QuickBooks can store it (capitals if asked, no ':', Latin-1, single spaces)."""
    if setting(settings, "uppercase_names"):
        raw = raw.upper()
    warnings: list[str] = []
    if ":" in raw:
        # QuickBooks joins a customer and its jobs with ":" in FullName, so a colon inside a name breaks lookups.
        raw = raw.replace(":", "-")
        warnings.append("Name: ':' was replaced by '-' because QuickBooks uses ':' between a customer and its jobs.")
    text, text_warnings = to_latin1(raw, field="Name")
    return " ".join(text.split()), warnings + text_warnings


def _cut(text: str, limit: int) -> str:
    """Cut text to a limit, dropping separators left dangling at the end."""
    return text[: max(limit, 0)].rstrip(" -,.&/")


def _shortened_job(data: Mapping[str, Any], settings: Mapping[str, Any], limit: int) -> str | None:
    """Return a job's formatted name with its address part cut until the whole fits, or None when that is not enough.

    The address is the long, least telling part of "{number} - {address.line1}": the number stays whole.
    """
    template = str(setting(settings, "job_name_format"))
    address = dict(data.get("address") or {}) if isinstance(data.get("address"), Mapping) else {}
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f and f.startswith("address.")]
    for field in reversed(fields):
        key = field.split(".", 1)[1]
        value = str(address.get(key) or "")
        name, _ = _clean(format_name(template, {**data, "address": address}), settings)
        over = len(name) - limit
        if over <= 0:
            return name
        address[key] = _cut(value, len(value) - over)
    name, _ = _clean(format_name(template, {**data, "address": address}), settings)
    return name if 0 < len(name) <= limit else None


def name_with_warnings(
    kind: str, data: Mapping[str, Any], settings: Mapping[str, Any], suffix: str = ""
) -> tuple[str, list[str]]:
    """Return the record's own QuickBooks name and warnings about what had to change.

    A name longer than QuickBooks allows is shortened (setting long_names: shorten), a job's address part first,
    then the name's end; `suffix` (" (2)", " (V)") keeps it apart from a name another record or list holds.
    """
    if kind not in NAME_LIMITS:
        raise ValueError(f"a {kind} has no QuickBooks name of its own")
    raw = _raw_name(kind, data, settings)
    name, warnings = _clean(raw, settings)
    if not name:
        raise RecordProblem("name", f"This {kind} has no name to use in QuickBooks; give it a name.")
    limit = NAME_LIMITS[kind]
    room = limit - len(suffix)
    if len(name) > limit and setting(settings, "long_names") == "error":
        raise RecordProblem(
            "name",
            f"The QuickBooks name '{name}' is {len(name)} characters long; QuickBooks allows at most "
            f"{limit} for a {kind} name. Give the {kind} a shorter name, or let the server shorten it "
            "(setting long_names: shorten).",
            ProblemKind.TOO_LONG,
        )
    if len(name) > room:
        short = _shortened_job(data, settings, room) if kind == "job" and blank(data.get("name")) else None
        short = short or _cut(name, room)
        if len(name) > limit:
            warnings.append(
                f"Name: '{name}' is {len(name)} characters, longer than the {limit} QuickBooks allows for a {kind} "
                f"name; it is '{short + suffix}' in QuickBooks."
            )
        name = short
    return name + suffix, warnings


def record_name(inp: RequestInput) -> tuple[str, list[str]]:
    """Return the QuickBooks name of the record a request is for (with its distinguishing suffix), and warnings."""
    return name_with_warnings(inp.kind, inp.data, inp.settings, inp.name_suffix)


def qb_name(kind: str, data: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    """Return the record's own QuickBooks Name (customer/job/item/vendor); RecordProblem when empty or too long."""
    return name_with_warnings(kind, data, settings)[0]


def full_name(inp: RequestInput, name: str | None = None) -> str | None:
    """Return the FullName the record will have in QuickBooks; a job's needs its customer already synced.

    `name` is the record's own Name when the caller has it already (the Add's `Built.name`).
    """
    if inp.kind not in NAME_LIMITS:
        return None
    if name is None:
        name = record_name(inp)[0]
    if inp.kind != "job":
        return name
    parent = inp.refs.get(("customer", str(inp.data.get("customer"))))
    if parent is None or not parent.full_name:
        return None
    return f"{parent.full_name}:{name}"
