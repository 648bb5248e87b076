"""Items: service, non-inventory and other-charge items, each with its own Add/Mod request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from qbwc_server.qbxml import limits
from qbwc_server.qbxml.parse import text_of
from qbwc_server.qbxml.render import render
from qbwc_server.sync.builders import partial
from qbwc_server.sync.builders.drafting import Draft, blank
from qbwc_server.sync.builders.lists import list_query
from qbwc_server.sync.builders.names import record_name
from qbwc_server.sync.builders.types import Built, ProblemKind, RecordProblem, RequestInput

# Item type -> (template stem, qbXML aggregate stem)
ITEM_TYPES = {
    "service": ("item_service", "ItemService"),
    "non_inventory": ("item_non_inventory", "ItemNonInventory"),
    "other_charge": ("item_other_charge", "ItemOtherCharge"),
}
_CATEGORY_ACCOUNTS = {"labor": "income_account_labor", "materials": "income_account_materials"}


def income_account(d: Draft) -> str:
    """Return the income account: the item's own, else the one for its category, else the default."""
    if not blank(d.data.get("income_account")):
        return str(d.data["income_account"])
    category = str(d.data.get("category") or "").strip().lower()
    return str(d.setting(_CATEGORY_ACCOUNTS.get(category, "income_account_default")))


def _fields(inp: RequestInput, d: Draft) -> dict[str, Any]:
    data = inp.data
    name, warnings = record_name(inp)
    d.warnings.extend(warnings)
    cost = d.price(data.get("cost"), "cost", "Cost")
    return {
        "sales_and_purchase": cost is not None,
        "name": name,
        "is_active": d.flag(data.get("active")),
        "tax_code": d.tax_code(data.get("taxable")),
        "description": d.text(data.get("description"), limits.DESC, "Description"),
        "price": d.price(data.get("price"), "price", "Price"),
        "price_percent": d.price(data.get("price_percent"), "price_percent", "Price percent"),
        "cost": cost,
        "income_account": d.named_ref(income_account(d), limits.ACCOUNT_FULL_NAME, "Income account", "income_account"),
        "expense_account": None
        if cost is None
        else d.named_ref(
            d.setting("expense_account_default"),
            limits.ACCOUNT_FULL_NAME,
            "Expense account setting",
            "expense_account_default",
        ),
    }


def build(inp: RequestInput, request_id: str) -> Built:
    """Return the Add or Mod request for the item's type; with a cost it is bought and sold (SalesAndPurchase)."""
    d = Draft(inp)
    data = inp.data
    item_type = str(data.get("type") or "service")
    if data.get("link_only"):
        raise RecordProblem(
            "link_only",
            f"The item '{display(data)}' is link-only: the server finds it in QuickBooks by name and never adds or "
            "changes it. Create it in QuickBooks (or correct its name here), then reprocess.",
            ProblemKind.QUICKBOOKS,
        )
    if item_type not in ITEM_TYPES:
        raise RecordProblem(
            "type",
            f"The item type '{item_type}' is not one the server adds to QuickBooks (service, non_inventory, "
            'other_charge); an item of another type must be "link_only": true.',
        )
    r = _fields(inp, d)
    notes = partial.keep_unchanged(inp, r, lambda linked: _fields(linked, Draft(linked)))
    stem, aggregate = ITEM_TYPES[item_type]
    qb = inp.qb
    if qb is None:
        xml = render(f"{stem}_add.xml.j2", request_id=request_id, r=r, qb_id=None, edit_sequence=None)
        return Built(xml, f"{aggregate}AddRq", d.warnings, name=r["name"])
    xml = render(f"{stem}_mod.xml.j2", request_id=request_id, r=r, qb_id=qb.id, edit_sequence=qb.edit_sequence)
    return Built(xml, f"{aggregate}ModRq", d.warnings, notes)


def display(data: Mapping[str, Any]) -> str:
    """Return an item's name as the app gives it."""
    return str(data.get("name") or "")


def build_lookup(inp: RequestInput, request_id: str) -> Built:
    """Return an ItemQuery by the item's name (items of every type share one name space)."""
    name = record_name(inp)[0]
    return Built(list_query("ItemQueryRq", request_id, full_names=[name]), "ItemQueryRq", [])


def matches(inp: RequestInput, ret: etree._Element) -> bool:
    """Tell whether a returned item is this record: same full name, ignoring case."""
    ours = record_name(inp)[0]
    theirs = text_of(ret, "FullName") or text_of(ret, "Name")  # group and payment items have no FullName
    return theirs is not None and ours.casefold() == theirs.casefold()
