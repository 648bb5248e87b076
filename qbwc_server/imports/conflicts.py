"""Fields changed both in the app and in QuickBooks since the last sync: found, resolved by the setting, and told.

The last version both sides agreed on (the ancestor) is what we last sent, when QuickBooks has not changed the
record since, else what the last import saw. A field QuickBooks changed from the ancestor is taken into our copy;
when the app changed the same field to something else since, it is a conflict, and the company's `conflicts`
setting decides: `app_wins` keeps the app's value, which the next Mod sends back to QuickBooks; `quickbooks_wins`
takes QuickBooks' value. Either way the record shows the conflict and its log says what was kept.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qbwc_server import clock
from qbwc_server.imports import changes, linking
from qbwc_server.models import Record

APP_WINS = "app_wins"
QUICKBOOKS_WINS = "quickbooks_wins"

Change = tuple[str, Any, Any]


@dataclass(frozen=True)
class Conflict:
    """One field changed on both sides: the app's value and QuickBooks' value."""

    field: str
    app_value: Any
    quickbooks_value: Any


def ancestor(record: Record, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return the record as both sides last agreed on it, named as QuickBooks names it."""
    qb_data = record.qb_data or {}
    snapshot, synced = qb_data.get("snapshot"), qb_data.get("synced_data")
    if synced is not None and (snapshot is None or qb_data.get("synced_es") == record.qb_edit_sequence):
        return linking.baseline(record, settings, data=synced)
    return snapshot or linking.baseline(record, settings)


def find(
    found: list[Change], base: Mapping[str, Any], ours: Mapping[str, Any], fields: tuple[str, ...]
) -> list[Conflict]:
    """Return QuickBooks' changes that the app changed too, to another value, since the ancestor."""
    app_changed = {path for path, _, _ in changes.diff(base, ours, fields)}
    conflicts = []
    for path, _, theirs in found:
        if path not in app_changed:
            continue
        mine = changes.normalise(_at(ours, path), path.rsplit(".", 1)[-1])
        if mine != theirs:
            conflicts.append(Conflict(path, mine, theirs))
    return conflicts


def merge(
    data: Mapping[str, Any], theirs: Mapping[str, Any], found: list[Change], conflicts: list[Conflict], rule: str
) -> dict[str, Any]:
    """Return our data with QuickBooks' changes taken, and each conflict settled by the rule."""
    merged = dict(data)
    kept = {c.field for c in conflicts} if rule == APP_WINS else set()
    for field in changes.changed_fields(found):
        held = {path for path in kept if path == field or path.startswith(field + ".")}
        if not held:
            if theirs.get(field) is None:
                merged.pop(field, None)
            else:
                merged[field] = copy.deepcopy(theirs[field])
            continue
        if field in held or not isinstance(theirs.get(field), Mapping):
            continue  # the app's value stands
        # Part of an address conflicts: take QuickBooks' other changes in it, keep the app's conflicting parts.
        part = dict(merged.get(field) or {})
        for path, _, _ in found:
            if path.startswith(field + ".") and path not in held:
                key = path.split(".", 1)[1]
                value = theirs[field].get(key)
                if value is None:
                    part.pop(key, None)
                else:
                    part[key] = value
        merged[field] = part
    return merged


def describe(conflicts: list[Conflict], rule: str) -> str:
    """Return the log line: each field with both values, and which one was kept."""
    fields = "; ".join(
        f"{c.field}: app {changes.show(c.app_value)}, QuickBooks {changes.show(c.quickbooks_value)}" for c in conflicts
    )
    if rule == QUICKBOOKS_WINS:
        outcome = "Took QuickBooks' value (setting conflicts: quickbooks_wins)."
    else:
        outcome = "Kept the app's value, which is sent back to QuickBooks (setting conflicts: app_wins)."
    return f"Changed both in the app and in QuickBooks since the last sync — {fields}. {outcome}"


def as_json(conflicts: list[Conflict], rule: str) -> list[dict[str, Any]]:
    """Return the conflicts as the record keeps them and the API shows them."""
    when = clock.now().isoformat()
    return [
        {
            "field": c.field,
            "app_value": _plain(c.app_value),
            "quickbooks_value": _plain(c.quickbooks_value),
            "resolved": rule,
            "at": when,
        }
        for c in conflicts
    ]


def _plain(value: Any) -> Any:
    """Return a normalised value as JSON holds it (numbers as text)."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return format(value, "f") if hasattr(value, "normalize") else str(value)


def _at(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
