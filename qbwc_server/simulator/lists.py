"""Add and Mod of list records: customers and jobs, vendors, and service / non-inventory / other-charge items."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from . import refs
from .answer import Answer
from .company import HIERARCHICAL, namespace_of
from .errors import RequestError
from .rets import ORDER
from .xmltools import to_value

if TYPE_CHECKING:
    from .company import CompanyStore

ADDABLE = ("Customer", "Vendor", "ItemService", "ItemNonInventory", "ItemOtherCharge")
# Items QuickBooks creates taxable unless told otherwise; services and charges default to non-taxable.
TAXABLE_BY_DEFAULT = {"ItemNonInventory", "ItemInventory"}
MOD_AGGREGATES = {"SalesOrPurchaseMod": "SalesOrPurchase", "SalesAndPurchaseMod": "SalesAndPurchase"}


def name_in_use(name: str) -> RequestError:
    """Return QuickBooks' 3100 error for a name already used in the namespace."""
    return RequestError(3100, f'The name "{name}" of the list element is already in use.')


def object_not_found(obj_id: str) -> RequestError:
    """Return QuickBooks' 3120 error for a ListID/TxnID that does not exist."""
    return RequestError(
        3120,
        f'Object "{obj_id}" specified in the request cannot be found.  '
        "QuickBooks error message: Invalid argument.  The specified record does not exist in the list.",
    )


def stale_edit_sequence(given: str) -> RequestError:
    """Return QuickBooks' 3200 error; the real message ends with a space."""
    return RequestError(3200, f'The provided edit sequence "{given}" is out-of-date. ')


def add_list(company: CompanyStore, kind: str, rq: etree._Element) -> Answer:
    """Create a list record from an <XAdd> aggregate, enforcing QuickBooks' name and reference rules."""
    fields: dict[str, Any] = to_value(rq.find(f"{kind}Add"))
    name = fields.pop("Name", "").strip()
    parent = _parent(company, kind, fields.pop("ParentRef", None))
    full_name = f"{parent['FullName']}:{name}" if parent else name
    if company.lookup_name(namespace_of(kind), full_name):
        raise name_in_use(name)
    refs.resolve_all(company, fields, kind)
    _apply_defaults(company, kind, fields)
    keep = set(ORDER[f"{kind}Ret"])
    stored = {key: value for key, value in fields.items() if key in keep}
    record = company.insert_list(kind, {"Name": name, **stored}, parent)
    return Answer(rets=[(f"{kind}Ret", record)], change=("add", kind))


def mod_list(company: CompanyStore, kind: str, rq: etree._Element) -> Answer:
    """Change a list record from an <XMod> aggregate after checking its ListID and EditSequence."""
    fields: dict[str, Any] = to_value(rq.find(f"{kind}Mod"))
    list_id = fields.pop("ListID", "")
    found = company.by_list_id.get(list_id)
    if found is None or found[0] != kind:
        raise object_not_found(list_id)
    record = found[1]
    edit_sequence = fields.pop("EditSequence", "")
    if edit_sequence != record["EditSequence"]:
        raise stale_edit_sequence(edit_sequence)
    name = fields.pop("Name", record["Name"]).strip()
    if "ParentRef" in fields:
        parent = _parent(company, kind, fields.pop("ParentRef"))
    else:
        parent_ref = record.get("ParentRef")
        parent = refs.record_of(company, parent_ref) if parent_ref else None
    full_name = f"{parent['FullName']}:{name}" if parent else name
    clash = company.lookup_name(namespace_of(kind), full_name)
    if clash and clash[1]["ListID"] != record["ListID"]:
        raise name_in_use(name)
    refs.resolve_all(company, fields, kind)
    for mod_name, ret_name in MOD_AGGREGATES.items():
        if mod_name in fields:
            changes = fields.pop(mod_name)
            merged = {**record.get(ret_name, {}), **changes}
            fields[ret_name] = {key: merged[key] for key in ORDER[ret_name] if key in merged}
            other = "SalesAndPurchase" if ret_name == "SalesOrPurchase" else "SalesOrPurchase"
            record.pop(other, None)
    keep = set(ORDER[f"{kind}Ret"]) - {"ListID", "TimeCreated", "TimeModified", "EditSequence", "FullName"}
    record.update({key: value for key, value in fields.items() if key in keep})
    if name != record["Name"] or (kind in HIERARCHICAL and full_name != record.get("FullName")):
        company.rename(kind, record, name, parent)
    company.touch(record)
    return Answer(rets=[(f"{kind}Ret", record)], change=("mod", kind))


def _parent(company: CompanyStore, kind: str, ref: Any) -> dict[str, Any] | None:
    """Resolve a ParentRef within the record's own list (jobs live under customers)."""
    if not ref:
        return None
    found = company.find_list((kind,), ref if isinstance(ref, dict) else {})
    if found is None:
        noun = "Item" if kind.startswith("Item") else kind
        value = ref.get("FullName") or ref.get("ListID") if isinstance(ref, dict) else str(ref)
        raise refs.invalid_reference(noun, value or "", kind)
    return found[1]


def _apply_defaults(company: CompanyStore, kind: str, fields: dict[str, Any]) -> None:
    """Fill in what QuickBooks sets on a new record when the request leaves it out."""
    prefs = company.state.preferences
    if kind == "Customer":
        fields.setdefault("Balance", "0.00")
        fields.setdefault("TotalBalance", "0.00")
        if "SalesTaxCodeRef" not in fields and prefs.get("DefaultTaxableSalesTaxCode"):
            fields["SalesTaxCodeRef"] = {"ListID": prefs["DefaultTaxableSalesTaxCode"]}
        if "ItemSalesTaxRef" not in fields and prefs.get("DefaultItemSalesTax"):
            fields["ItemSalesTaxRef"] = {"ListID": prefs["DefaultItemSalesTax"]}
        fields.setdefault("JobStatus", "None")
    elif kind == "Vendor":
        fields.setdefault("IsVendorEligibleFor1099", "false")
        fields.setdefault("Balance", "0.00")
    elif kind.startswith("Item") and "SalesTaxCodeRef" not in fields:
        key = "DefaultTaxableSalesTaxCode" if kind in TAXABLE_BY_DEFAULT else "DefaultNonTaxableSalesTaxCode"
        if prefs.get(key):
            fields["SalesTaxCodeRef"] = {"ListID": prefs[key]}
    for aggregate in ("SalesOrPurchase", "SalesAndPurchase"):
        if aggregate in fields:
            given = fields[aggregate]
            fields[aggregate] = {key: given[key] for key in ORDER[aggregate] if key in given}
