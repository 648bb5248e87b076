"""Vendors: VendorAdd/VendorMod with address, contact details and the 1099 flag."""

from __future__ import annotations

from typing import Any

from lxml import etree

from qbwc_server.qbxml import limits
from qbwc_server.qbxml.parse import text_of
from qbwc_server.qbxml.render import render
from qbwc_server.sync.builders import partial
from qbwc_server.sync.builders.drafting import Draft
from qbwc_server.sync.builders.lists import list_query
from qbwc_server.sync.builders.names import record_name
from qbwc_server.sync.builders.types import Built, RequestInput


def _fields(inp: RequestInput, d: Draft) -> dict[str, Any]:
    data = inp.data
    name, warnings = record_name(inp)
    d.warnings.extend(warnings)
    return {
        "name": name,
        "is_active": d.flag(data.get("active")),
        "company_name": d.text(data.get("company_name"), limits.COMPANY_NAME, "Company name"),
        "first_name": d.text(data.get("first_name"), limits.FIRST_NAME, "First name"),
        "last_name": d.text(data.get("last_name"), limits.LAST_NAME, "Last name"),
        "vendor_address": d.address(data.get("address"), "Address"),
        "phone": d.text(data.get("phone"), limits.PHONE, "Phone"),
        "email": d.text(data.get("email"), limits.EMAIL, "Email"),
        "is_1099": d.flag(data.get("is_1099")),
    }


def build(inp: RequestInput, request_id: str) -> Built:
    """Return VendorAdd (no QuickBooks identity yet) or VendorMod (only changed fields of a linked vendor)."""
    d = Draft(inp)
    r = _fields(inp, d)
    notes = partial.keep_unchanged(inp, r, lambda linked: _fields(linked, Draft(linked)))
    qb = inp.qb
    if qb is None:
        xml = render("vendor_add.xml.j2", request_id=request_id, r=r)
        return Built(xml, "VendorAddRq", d.warnings, name=r["name"])
    xml = render("vendor_mod.xml.j2", request_id=request_id, r=r, qb_id=qb.id, edit_sequence=qb.edit_sequence)
    return Built(xml, "VendorModRq", d.warnings, notes)


def build_lookup(inp: RequestInput, request_id: str) -> Built:
    """Return a VendorQuery by the vendor's name."""
    name = record_name(inp)[0]
    return Built(list_query("VendorQueryRq", request_id, full_names=[name]), "VendorQueryRq", [])


def matches(inp: RequestInput, ret: etree._Element) -> bool:
    """Tell whether a returned vendor is this record: same name, ignoring case."""
    ours = record_name(inp)[0]
    theirs = text_of(ret, "FullName") or text_of(ret, "Name")
    return theirs is not None and ours.casefold() == theirs.casefold()
