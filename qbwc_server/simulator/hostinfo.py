"""HostQuery, CompanyQuery, PreferencesQuery and data extensions (where the Web Connector keeps the FileID)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from .answer import Answer
from .errors import RequestError
from .lists import object_not_found
from .xmltools import children_text, to_value

if TYPE_CHECKING:
    from .company import CompanyStore

LIST_DATA_EXT_KINDS = {
    "Customer": ("Customer",),
    "Vendor": ("Vendor",),
    "Employee": ("Employee",),
    "OtherName": ("OtherName",),
    "Account": ("Account",),
    "Item": ("ItemService", "ItemNonInventory", "ItemOtherCharge", "ItemInventory", "ItemSalesTax"),
    "ItemService": ("ItemService",),
    "ItemNonInventory": ("ItemNonInventory",),
    "ItemOtherCharge": ("ItemOtherCharge",),
    "ItemInventory": ("ItemInventory",),
}


def host_query(company: CompanyStore, rq: etree._Element) -> Answer:
    """Describe the QuickBooks product and every qbXML version it accepts."""
    info = company.state.info
    record: dict[str, Any] = {
        "ProductName": info.product_name,
        "MajorVersion": info.major_version,
        "MinorVersion": info.minor_version,
        "Country": info.country,
        "SupportedQBXMLVersion": list(info.versions),
        "IsAutomaticLogin": "false",
        "QBFileMode": "SingleUser",
    }
    return Answer(rets=[("HostRet", record)])


def company_query(company: CompanyStore, rq: etree._Element) -> Answer:
    """Describe the company file, with the data extensions of the OwnerIDs asked for."""
    record: dict[str, Any] = {
        "IsSampleCompany": "false",
        "CompanyName": company.state.info.name,
        "LegalCompanyName": company.state.info.name,
        "FirstMonthFiscalYear": "January",
        "FirstMonthIncomeTaxYear": "January",
        "CompanyType": "Service Business",
        "TaxForm": "OtherOrNone",
        "_dataext": company.state.company_data_ext,
    }
    return Answer(rets=[("CompanyRet", record)], owner_ids=children_text(rq, "OwnerID") or None)


def preferences_query(company: CompanyStore, rq: etree._Element) -> Answer:
    """Return the company preferences, laid out like a QuickBooks Pro file's."""
    prefs = company.state.preferences

    def ref(key: str) -> dict[str, str] | None:
        return {"ListID": prefs[key]} if prefs.get(key) else None

    sales_tax = {
        "DefaultItemSalesTaxRef": ref("DefaultItemSalesTax"),
        "PaySalesTax": "Monthly",
        "DefaultTaxableSalesTaxCodeRef": ref("DefaultTaxableSalesTaxCode"),
        "DefaultNonTaxableSalesTaxCodeRef": ref("DefaultNonTaxableSalesTaxCode"),
    }
    record: dict[str, Any] = {
        "AccountingPreferences": {
            "IsUsingAccountNumbers": "false",
            "IsRequiringAccounts": "true",
            "IsUsingClassTracking": "true" if company.state.lists["Class"] else "false",
            "IsUsingAuditTrail": "true",
            "IsAssigningJournalEntryNumbers": "true",
        },
        "FinanceChargePreferences": {
            "AnnualInterestRate": "0.00",
            "MinFinanceCharge": "0.00",
            "GracePeriod": "0",
            "IsAssessingForOverdueCharges": "false",
            "CalculateChargesFrom": "DueDate",
            "IsMarkedToBePrinted": "false",
        },
        "JobsAndEstimatesPreferences": {
            "IsUsingEstimates": "true",
            "IsUsingProgressInvoicing": "false",
            "IsPrintingItemsWithZeroAmounts": "false",
        },
        "PurchasesAndVendorsPreferences": {
            "IsUsingInventory": "true",
            "DaysBillsAreDue": prefs.get("DaysBillsAreDue", "10"),
            "IsAutomaticallyUsingDiscounts": "false",
        },
        "ReportsPreferences": {"AgingReportBasis": "AgeFromDueDate", "SummaryReportBasis": "Accrual"},
        "SalesAndCustomersPreferences": {
            "IsTrackingReimbursedExpensesAsIncome": "false",
            "IsAutoApplyingPayments": "true",
            "PriceLevels": {"IsUsingPriceLevels": "false", "IsRoundingSalesPriceUp": "false"},
        },
        "SalesTaxPreferences": {key: value for key, value in sales_tax.items() if value is not None},
        "TimeTrackingPreferences": {"FirstDayOfWeek": "Monday"},
        "CurrentAppAccessRights": {"IsAutomaticLoginAllowed": "true", "IsPersonalDataAccessAllowed": "true"},
    }
    if not record["SalesTaxPreferences"].get("DefaultItemSalesTaxRef"):
        del record["SalesTaxPreferences"]
    return Answer(rets=[("PreferencesRet", record)])


def data_ext_add(company: CompanyStore, rq: etree._Element) -> Answer:
    """Store a data extension value on the company, a list record or a transaction."""
    data: dict[str, Any] = to_value(rq.find("DataExtAdd"))
    target = _target(company, data)
    ext = {
        "OwnerID": data["OwnerID"],
        "DataExtName": data["DataExtName"],
        "DataExtType": "STR255TYPE",
        "DataExtValue": data["DataExtValue"],
    }
    _put(target, ext)
    return Answer(rets=[("DataExtRet", ext)], change=("add", "DataExt"))


def data_ext_mod(company: CompanyStore, rq: etree._Element) -> Answer:
    """Change a data extension value; one that was never added is not found (3120)."""
    data: dict[str, Any] = to_value(rq.find("DataExtMod"))
    target = _target(company, data)
    current = next((e for e in target if _same(e, data)), None)
    if current is None:
        raise object_not_found(data["DataExtName"])
    current["DataExtValue"] = data["DataExtValue"]
    return Answer(rets=[("DataExtRet", current)], change=("mod", "DataExt"))


def _same(ext: dict[str, str], data: dict[str, Any]) -> bool:
    """Return whether a stored extension has the OwnerID and name of a request."""
    return ext["OwnerID"].lower() == data["OwnerID"].lower() and ext["DataExtName"] == data["DataExtName"]


def _put(target: list[dict[str, str]], ext: dict[str, str]) -> None:
    """Add or replace an extension value in a record's list."""
    for index, existing in enumerate(target):
        if _same(existing, ext):
            target[index] = ext
            return
    target.append(ext)


def _target(company: CompanyStore, data: dict[str, Any]) -> list[dict[str, str]]:
    """Return the list of extension values the request addresses."""
    if data.get("OtherDataExtType") == "Company":
        return company.state.company_data_ext
    if "ListDataExtType" in data:
        kinds = LIST_DATA_EXT_KINDS.get(data["ListDataExtType"], (data["ListDataExtType"],))
        found = company.find_list(kinds, data.get("ListObjRef") or {})
        if found is None:
            ref = data.get("ListObjRef") or {}
            raise object_not_found(ref.get("ListID") or ref.get("FullName") or "")
        return found[1].setdefault("_dataext", [])
    if "TxnDataExtType" in data:
        found = company.by_txn_id.get(data.get("TxnID", ""))
        if found is None:
            raise object_not_found(data.get("TxnID", ""))
        return found[1].setdefault("_dataext", [])
    raise RequestError(3250, "This feature is not enabled or not available in this version of QuickBooks.")


def company_data_ext(company: CompanyStore, owner_id: str, name: str) -> str | None:
    """Return a company-level data extension value, or None."""
    probe = {"OwnerID": owner_id, "DataExtName": name}
    found = next((ext for ext in company.state.company_data_ext if _same(ext, probe)), None)
    return found["DataExtValue"] if found else None


def set_company_data_ext(company: CompanyStore, owner_id: str, name: str, value: str) -> None:
    """Write a company-level data extension, as the Web Connector does for its FileID and AppLock."""
    ext = {"OwnerID": owner_id, "DataExtName": name, "DataExtType": "STR255TYPE", "DataExtValue": value}
    _put(company.state.company_data_ext, ext)
