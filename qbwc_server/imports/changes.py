"""Compare what QuickBooks holds for a record with what we last saw, and say what changed in plain words."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from qbwc_server.models import RecordKind

# The fields an import fills per kind: only these can have "changed in QuickBooks".
MAPPED_FIELDS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.CUSTOMER: (
        "name",
        "company_name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "billing_address",
        "service_address",
        "active",
        "notes",
    ),
    RecordKind.JOB: ("customer", "name", "description", "address", "active"),
    RecordKind.VENDOR: (
        "name",
        "company_name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "address",
        "is_1099",
        "active",
    ),
    RecordKind.ITEM: ("name", "type", "description", "price", "cost", "income_account", "taxable", "active"),
    RecordKind.INVOICE: (
        "customer",
        "job",
        "number",
        "date",
        "due_date",
        "terms",
        "po_number",
        "memo",
        "status",
        "class",
        "tax_rate",
        "lines",
    ),
    RecordKind.PAYMENT: ("customer", "date", "amount", "method", "reference", "memo", "applied_to"),
    RecordKind.BILL: ("vendor", "number", "date", "due_date", "memo", "expense_lines", "item_lines"),
}
_NUMBER_KEYS = {"price", "cost", "amount", "rate", "quantity"}


def normalise(value: Any, key: str = "") -> Any:
    """Return a value in a form where equal meanings compare equal (blank is None, 50 is 50.00, no active is True)."""
    if isinstance(value, Mapping):
        kept = {k: normalise(v, str(k)) for k, v in value.items()}
        kept = {k: v for k, v in kept.items() if v is not None}
        return kept or None
    if isinstance(value, list | tuple):
        items = [normalise(v) for v in value]
        return items or None
    if key == "active" and value is None:
        return True
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    if key in _NUMBER_KEYS and value is not None and not isinstance(value, bool):
        try:
            return Decimal(str(value)).normalize()
        except InvalidOperation:
            return value
    return value


def diff(old: Mapping[str, Any], new: Mapping[str, Any], fields: tuple[str, ...]) -> list[tuple[str, Any, Any]]:
    """Return (dotted field, old value, new value) for each mapped field that differs; addresses field by field."""
    changes: list[tuple[str, Any, Any]] = []
    for field in fields:
        before, after = normalise(old.get(field), field), normalise(new.get(field), field)
        if before == after:
            continue
        if isinstance(before, dict) or isinstance(after, dict):
            before_map, after_map = before or {}, after or {}
            for key in sorted(set(before_map) | set(after_map)):
                if before_map.get(key) != after_map.get(key):
                    changes.append((f"{field}.{key}", before_map.get(key), after_map.get(key)))
        else:
            changes.append((field, before, after))
    return changes


def show(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, list):
        return f"{len(value)} entries"
    return f"'{value}'"


def describe(changes: list[tuple[str, Any, Any]]) -> str:
    """Return changes as "name: 'A' → 'B'; phone: (empty) → '555-0100'"."""
    parts = []
    for field, before, after in changes:
        if isinstance(before, list) or isinstance(after, list):
            parts.append(f"{field} changed")
        else:
            parts.append(f"{field}: {show(before)} → {show(after)}")
    return "; ".join(parts)


def changed_fields(changes: list[tuple[str, Any, Any]]) -> set[str]:
    """Return the top-level fields touched by a list of changes."""
    return {field.split(".", 1)[0] for field, _, _ in changes}
