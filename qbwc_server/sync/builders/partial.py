"""Send only what the app changed since a record was linked to an entry QuickBooks already had.

Under the keep_quickbooks link policy QuickBooks keeps its own values at link time. A later Mod is built twice:
from the app's data now and from its data at link time; a field whose request value is the same in both is left
out (QuickBooks keeps its value), a field that differs is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from qbwc_server.sync.builders.types import RecordProblem, RequestInput

LABELS = {
    "name": "name",
    "is_active": "active",
    "parent": "customer",
    "company_name": "company name",
    "first_name": "first name",
    "last_name": "last name",
    "bill_address": "billing address",
    "ship_address": "service address",
    "vendor_address": "address",
    "phone": "phone",
    "email": "email",
    "job_desc": "description",
    "notes": "notes",
    "is_1099": "1099",
    "tax_code": "sales tax code",
    "description": "description",
    "price": "price",
    "price_percent": "price percent",
    "cost": "cost",
    "income_account": "income account",
    "expense_account": "expense account",
}


def keep_unchanged(
    inp: RequestInput, fields: dict[str, Any], build_fields: Callable[[RequestInput], dict[str, Any]]
) -> list[str]:
    """Blank the Mod's fields the app did not change since linking; return the log line saying what goes and stays.

    Returns nothing (and changes nothing) when the record was not linked or QuickBooks is to get all fields.
    """
    if inp.qb is None or inp.linked is None:
        return []
    try:
        before = build_fields(replace(inp, data=inp.linked))
    except RecordProblem:
        before = {}  # the data at link time no longer renders (a reference gone): every field is sent
    sent: list[str] = []
    kept: list[str] = []
    for key, value in fields.items():
        if key not in LABELS:
            continue  # how the request is shaped, not a value QuickBooks holds
        if value == before.get(key):
            if value is not None:
                kept.append(LABELS[key])
            fields[key] = None
        elif value is not None:
            sent.append(LABELS[key])
    return [describe(sent, kept)]


def describe(sent: list[str], kept: list[str]) -> str:
    """Return the log line for a Mod of a linked record (link policy keep_quickbooks)."""
    sent_words = ", ".join(dict.fromkeys(sent)) or "nothing"
    kept_words = ", ".join(dict.fromkeys(kept)) or "nothing"
    return (
        f"Linked record (link policy keep_quickbooks): sent the fields the app changed since linking: {sent_words}; "
        f"QuickBooks keeps its own {kept_words}."
    )


def linked_data(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return a copy of the app's data to keep as it was at link time."""
    return None if data is None else dict(data)
