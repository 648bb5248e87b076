"""Customers and jobs: both are CustomerAdd/CustomerMod; a job is a sub-customer with a ParentRef."""

from __future__ import annotations

from typing import Any

from lxml import etree

from qbwc_server.qbxml import limits
from qbwc_server.qbxml.parse import text_of
from qbwc_server.qbxml.render import render
from qbwc_server.sync.builders import partial
from qbwc_server.sync.builders.drafting import Draft
from qbwc_server.sync.builders.lists import list_query
from qbwc_server.sync.builders.names import full_name, record_name
from qbwc_server.sync.builders.types import Built, RecordProblem, RequestInput


def _fields(inp: RequestInput, d: Draft) -> dict[str, Any]:
    data = inp.data
    name, warnings = record_name(inp)
    d.warnings.extend(warnings)
    if inp.kind == "job":
        address = d.address(data.get("address"), "Job address")
        fields = {
            "parent": d.record_ref("customer", data.get("customer"), "customer"),
            "company_name": None,
            "first_name": None,
            "last_name": None,
            "bill_address": address,
            "ship_address": address,
            "phone": None,
            "email": None,
            "job_desc": d.text(data.get("description"), limits.JOB_DESC, "Job description"),
            "notes": None,
        }
    else:
        fields = {
            "parent": None,
            "company_name": d.text(data.get("company_name"), limits.COMPANY_NAME, "Company name"),
            "first_name": d.text(data.get("first_name"), limits.FIRST_NAME, "First name"),
            "last_name": d.text(data.get("last_name"), limits.LAST_NAME, "Last name"),
            "bill_address": d.address(data.get("billing_address"), "Billing address"),
            "ship_address": d.address(data.get("service_address"), "Service address"),
            "phone": d.text(data.get("phone"), limits.PHONE, "Phone"),
            "email": d.text(data.get("email"), limits.EMAIL, "Email"),
            "job_desc": None,
            "notes": d.text(data.get("notes"), limits.NOTES, "Notes"),
        }
    return {"name": name, "is_active": d.flag(data.get("active")), **fields}


def build(inp: RequestInput, request_id: str) -> Built:
    """Return CustomerAdd (no QuickBooks identity yet) or CustomerMod (only changed fields of a linked one)."""
    d = Draft(inp)
    r = _fields(inp, d)
    notes = partial.keep_unchanged(inp, r, lambda linked: _fields(linked, Draft(linked)))
    qb = inp.qb
    if qb is None:
        xml = render("customer_add.xml.j2", request_id=request_id, r=r)
        return Built(xml, "CustomerAddRq", d.warnings, name=r["name"])
    xml = render("customer_mod.xml.j2", request_id=request_id, r=r, qb_id=qb.id, edit_sequence=qb.edit_sequence)
    return Built(xml, "CustomerModRq", d.warnings, notes)


def build_lookup(inp: RequestInput, request_id: str) -> Built:
    """Return a CustomerQuery for the FullName this customer or job has (or would have) in QuickBooks."""
    name = full_name(inp)
    if name is None:
        raise RecordProblem("customer", "The customer of this job is not in QuickBooks yet; sync it first.")
    return Built(list_query("CustomerQueryRq", request_id, full_names=[name]), "CustomerQueryRq", [])


def matches(inp: RequestInput, ret: etree._Element) -> bool:
    """Tell whether a returned CustomerRet is this record: same full name, ignoring case."""
    ours = full_name(inp)
    theirs = text_of(ret, "FullName")
    return ours is not None and theirs is not None and ours.casefold() == theirs.casefold()
