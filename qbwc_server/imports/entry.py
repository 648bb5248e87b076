"""One returned QuickBooks object copied out of its XML (`Entry`), and the readers every mapping shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree

from qbwc_server.models import RecordKind
from qbwc_server.sync import lifecycle

CUSTOMERS = (RecordKind.CUSTOMER, RecordKind.JOB)


@dataclass
class Entry:
    """What one returned object holds, copied out of the XML so the element can be freed."""

    ret_type: str
    qb_id: str
    edit_sequence: str | None
    time_modified: str | None
    name: str
    full_name: str
    active: bool = True
    sublevel: int = 0
    parent_id: str | None = None
    record_kind: RecordKind | None = None
    data: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, tuple[tuple[RecordKind, ...], str]] = field(default_factory=dict)
    tax_codes: dict[str, str] = field(default_factory=dict)
    qb_data: dict[str, Any] = field(default_factory=dict)
    # (list_type, subtype) pairs this object is listed under in QbListEntry; data for that row.
    lists: list[tuple[str, str | None]] = field(default_factory=list)
    list_data: dict[str, Any] = field(default_factory=dict)


def text_at(el: etree._Element | None, path: str) -> str | None:
    """Return the trimmed text at `path` ("Name", "CustomerRef/ListID"), None when absent or empty."""
    if el is None:
        return None
    if "/" in path:
        head, _, rest = path.partition("/")
        return text_at(_children(el).get(head), rest)
    found = _children(el).get(path)  # called twenty-odd times per object: no loop, no split for one tag
    if found is None:
        return None
    text = found.text
    return (text.strip() or None) if text else None


@lru_cache(maxsize=16)
def _children(el: etree._Element) -> dict[str, etree._Element]:
    """Return an element's children by tag (the first of each, as `find` gives it), read once per element.

    A mapping asks an object for twenty-odd fields; one pass over its children answers them all, where each `find`
    would walk them again. Keys are the element objects themselves, held by the cache, so an entry never outlives
    its element or answers for another one.
    """
    index: dict[str, etree._Element] = {}
    for child in el:
        if isinstance(child.tag, str):
            index.setdefault(child.tag, child)
    return index


def flag_at(el: etree._Element, path: str, default: bool | None = None) -> bool | None:
    """Return a qbXML boolean at `path`, `default` when absent."""
    value = text_at(el, path)
    if value is None:
        return default
    return value.lower() == "true"


def address_of(el: etree._Element | None) -> dict[str, str] | None:
    """Return a qbXML address aggregate in the API's shape, None when empty."""
    if el is None:
        return None
    address = {
        "line1": text_at(el, "Addr1"),
        "line2": text_at(el, "Addr2"),
        "city": text_at(el, "City"),
        "state": text_at(el, "State"),
        "postal_code": text_at(el, "PostalCode"),
        "country": text_at(el, "Country"),
    }
    kept = {key: value for key, value in address.items() if value is not None}
    return kept or None


def snake(ret_tag: str) -> str:
    """Return "non_inventory" for "ItemNonInventoryRet" (the item type as our API spells it)."""
    core = ret_tag.removeprefix("Item").removesuffix("Ret")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", core).lower()


def base_entry(ret: etree._Element, id_element: str = "ListID") -> Entry:
    """Return the Entry every object starts as: its id, EditSequence, times, names, activity and parent."""
    qb_id = text_at(ret, id_element)
    if not qb_id:
        raise ValueError(f"{ret.tag} has no {id_element}")
    name = text_at(ret, "Name") or ""
    sublevel = text_at(ret, "Sublevel")
    return Entry(
        ret_type=str(ret.tag),
        qb_id=qb_id,
        edit_sequence=text_at(ret, "EditSequence"),
        time_modified=text_at(ret, "TimeModified"),
        name=name,
        full_name=text_at(ret, "FullName") or name,
        active=bool(flag_at(ret, "IsActive", True)),
        sublevel=int(sublevel) if sublevel and sublevel.isdigit() else 0,
        parent_id=text_at(ret, "ParentRef/ListID"),
    )


def drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    """Return `data` without its None values."""
    return {key: value for key, value in data.items() if value is not None}


def identity_of(entry: Entry) -> lifecycle.Identity:
    """Return the identity QuickBooks gave an imported object (full names only for list records)."""
    full_name = entry.full_name if entry.record_kind is not None and entry.record_kind.is_list else None
    return lifecycle.Identity(entry.qb_id, entry.edit_sequence, full_name, _line_ids(entry.data))


def _line_ids(data: dict[str, Any]) -> dict[str, str] | None:
    lines = [line for line in data.get("lines") or [] if line.get("id")]
    ids = {str(line["id"]): str(line["id"]) for line in lines}
    # A bill's expense and item lines are keyed "e:<id>" and "i:<id>", as the bill request builder keys them.
    for prefix, name in (("e:", "expense_lines"), ("i:", "item_lines")):
        ids.update({prefix + str(line["id"]): str(line["id"]) for line in data.get(name) or [] if line.get("id")})
    return ids or None
