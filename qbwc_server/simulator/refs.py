"""Resolving references (ClassRef, CustomerRef, ItemRef …) the way QuickBooks does, with its 3140 errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .company import ITEM_KINDS
from .errors import RequestError

if TYPE_CHECKING:
    from .company import CompanyStore

ACCOUNT = ("Account",)
# Which list a reference element points into, and the noun QuickBooks uses for that list in its messages.
REF_KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "ClassRef": (("Class",), "Class"),
    "ParentRef": ((), ""),  # resolved by the list handlers: the parent is of the record's own kind
    "TermsRef": (("StandardTerms",), "Terms"),
    "SalesTaxCodeRef": (("SalesTaxCode",), "SalesTaxCode"),
    "CustomerSalesTaxCodeRef": (("SalesTaxCode",), "SalesTaxCode"),
    "PurchaseTaxCodeRef": (("SalesTaxCode",), "SalesTaxCode"),
    "ItemSalesTaxRef": (("ItemSalesTax", "ItemSalesTaxGroup"), "Item"),
    "PaymentMethodRef": (("PaymentMethod",), "PaymentMethod"),
    "PreferredPaymentMethodRef": (("PaymentMethod",), "PaymentMethod"),
    "AccountRef": (ACCOUNT, "Account"),
    "IncomeAccountRef": (ACCOUNT, "Account"),
    "ExpenseAccountRef": (ACCOUNT, "Account"),
    "COGSAccountRef": (ACCOUNT, "Account"),
    "AssetAccountRef": (ACCOUNT, "Account"),
    "ARAccountRef": (ACCOUNT, "Account"),
    "APAccountRef": (ACCOUNT, "Account"),
    "DepositToAccountRef": (ACCOUNT, "Account"),
    "RefundFromAccountRef": (ACCOUNT, "Account"),
    "OverrideItemAccountRef": (ACCOUNT, "Account"),
    "VendorRef": (("Vendor",), "Vendor"),
    "PrefVendorRef": (("Vendor",), "Vendor"),
    "TaxVendorRef": (("Vendor",), "Vendor"),
    "CustomerRef": (("Customer",), "Customer"),
    "ItemRef": (ITEM_KINDS, "Item"),
}


def invalid_reference(noun: str, value: str, where: str) -> RequestError:
    """Return QuickBooks' 3140 error for a reference to a record that does not exist."""
    return RequestError(
        3140,
        f'There is an invalid reference to QuickBooks {noun} "{value}" in the {where}.  '
        "QuickBooks error message: Invalid argument.  The specified record does not exist in the list.",
    )


def resolve(company: CompanyStore, field: str, ref: Any, where: str) -> dict[str, str]:
    """Return the stored form ({ListID}) of a reference, or raise 3140 when it points nowhere."""
    kinds, noun = REF_KINDS[field]
    if not isinstance(ref, dict):
        raise invalid_reference(noun, str(ref), where)
    found = company.find_list(kinds, ref)
    if found is None:
        raise invalid_reference(noun, ref.get("FullName") or ref.get("ListID") or "", where)
    return {"ListID": found[1]["ListID"]}


def resolve_all(company: CompanyStore, fields: dict[str, Any], where: str) -> None:
    """Resolve every known reference inside `fields` (nested aggregates included), in place."""
    for key, value in list(fields.items()):
        if key in REF_KINDS and REF_KINDS[key][0]:
            fields[key] = resolve(company, key, value, where)
        elif isinstance(value, dict) and not key.endswith("Ref"):
            resolve_all(company, value, where)


def record_of(company: CompanyStore, ref: dict[str, str]) -> dict[str, Any]:
    """Return the list record a resolved reference points to."""
    return company.by_list_id[ref["ListID"]][1]
