"""Element order of every Ret aggregate the simulator answers with, and its serializer.

qbXML is order-sensitive; these sequences follow Intuit's 13.0 schema (16.0 only adds elements).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

from .xmltools import RetBuilder

LIST_CORE = ("ListID", "TimeCreated", "TimeModified", "EditSequence")
TXN_CORE = ("TxnID", "TimeCreated", "TimeModified", "EditSequence", "TxnNumber")
PERSON = ("Salutation", "FirstName", "MiddleName", "LastName", "Suffix")
COMM = ("Phone", "Mobile", "Pager", "AltPhone", "Fax", "Email", "Cc", "Contact", "AltContact")
ITEM_HEAD = (*LIST_CORE, "Name", "FullName", "BarCodeValue", "IsActive", "ClassRef", "ParentRef", "Sublevel")

# fmt: off
ORDER: dict[str, tuple[str, ...]] = {
    "CustomerRet": (
        *LIST_CORE, "Name", "FullName", "IsActive", "ClassRef", "ParentRef", "Sublevel", "CompanyName", *PERSON,
        "JobTitle", "BillAddress", "BillAddressBlock", "ShipAddress", "ShipAddressBlock", "ShipToAddress", "PrintAs",
        *COMM, "AdditionalContactRef", "ContactsRet", "CustomerTypeRef", "TermsRef", "SalesRepRef", "Balance",
        "TotalBalance", "SalesTaxCodeRef", "ItemSalesTaxRef", "SalesTaxCountry", "ResaleNumber", "AccountNumber",
        "CreditLimit", "PreferredPaymentMethodRef", "CreditCardInfo", "JobStatus", "JobStartDate",
        "JobProjectedEndDate", "JobEndDate", "JobDesc", "JobTypeRef", "Notes", "AdditionalNotesRet",
        "IsStatementWithParent", "DeliveryMethod", "PreferredDeliveryMethod", "PriceLevelRef", "ExternalGUID",
        "TaxRegistrationNumber", "CurrencyRef", "DataExtRet",
    ),
    "VendorRet": (
        *LIST_CORE, "Name", "IsActive", "ClassRef", "IsTaxAgency", "CompanyName", *PERSON, "JobTitle",
        "VendorAddress", "VendorAddressBlock", "ShipAddress", *COMM, "AdditionalContactRef", "ContactsRet",
        "NameOnCheck", "AccountNumber", "Notes", "AdditionalNotesRet", "VendorTypeRef", "TermsRef", "CreditLimit",
        "VendorTaxIdent", "IsVendorEligibleFor1099", "Balance", "BillingRateRef", "ExternalGUID", "SalesTaxCodeRef",
        "SalesTaxCountry", "IsSalesTaxAgency", "SalesTaxReturnRef", "TaxRegistrationNumber", "ReportingPeriod",
        "IsTaxTrackedOnPurchases", "TaxOnPurchasesAccountRef", "IsTaxTrackedOnSales", "TaxOnSalesAccountRef",
        "IsTaxOnTax", "PrefillAccountRef", "CurrencyRef", "DataExtRet",
    ),
    "EmployeeRet": (
        *LIST_CORE, "Name", "IsActive", *PERSON, "JobTitle", "SupervisorRef", "Department", "Description",
        "TargetBonus", "EmployeeAddress", "PrintAs", "Phone", "Mobile", "Pager", "PagerPIN", "AltPhone", "Fax", "SSN",
        "Email", "AdditionalContactRef", "EmergencyContacts", "EmployeeType", "PartOrFullTime", "Exempt",
        "KeyEmployee", "Gender", "HiredDate", "OriginalHireDate", "AdjustedServiceDate", "ReleasedDate", "BirthDate",
        "USCitizen", "Ethnicity", "Disabled", "DisabilityDesc", "OnFile", "WorkAuthExpireDate", "USVeteran",
        "MilitaryStatus", "AccountNumber", "Notes", "AdditionalNotesRet", "BillingRateRef", "EmployeePayrollInfo",
        "ExternalGUID", "DataExtRet",
    ),
    "OtherNameRet": (
        *LIST_CORE, "Name", "IsActive", "CompanyName", "Salutation", "FirstName", "MiddleName", "LastName",
        "OtherNameAddress", "OtherNameAddressBlock", "Phone", "AltPhone", "Fax", "Email", "Contact", "AltContact",
        "AccountNumber", "Notes", "ExternalGUID", "DataExtRet",
    ),
    "ItemServiceRet": (
        *ITEM_HEAD, "UnitOfMeasureSetRef", "IsTaxIncluded", "SalesTaxCodeRef", "SalesOrPurchase", "SalesAndPurchase",
        "ExternalGUID", "DataExtRet",
    ),
    "ItemNonInventoryRet": (
        *ITEM_HEAD, "ManufacturerPartNumber", "UnitOfMeasureSetRef", "IsTaxIncluded", "SalesTaxCodeRef",
        "SalesOrPurchase", "SalesAndPurchase", "ExternalGUID", "DataExtRet",
    ),
    "ItemOtherChargeRet": (
        *ITEM_HEAD, "IsTaxIncluded", "SalesTaxCodeRef", "SalesOrPurchase", "SalesAndPurchase", "SpecialItemType",
        "ExternalGUID", "DataExtRet",
    ),
    "ItemInventoryRet": (
        *ITEM_HEAD, "ManufacturerPartNumber", "UnitOfMeasureSetRef", "IsTaxIncluded", "SalesTaxCodeRef", "SalesDesc",
        "SalesPrice", "IncomeAccountRef", "PurchaseDesc", "PurchaseCost", "PurchaseTaxCodeRef", "COGSAccountRef",
        "PrefVendorRef", "AssetAccountRef", "ReorderPoint", "Max", "QuantityOnHand", "AverageCost",
        "QuantityOnOrder", "QuantityOnSalesOrder", "ExternalGUID", "DataExtRet",
    ),
    "ItemInventoryAssemblyRet": (
        *ITEM_HEAD, "ManufacturerPartNumber", "UnitOfMeasureSetRef", "IsTaxIncluded", "SalesTaxCodeRef", "SalesDesc",
        "SalesPrice", "IncomeAccountRef", "PurchaseDesc", "PurchaseCost", "PurchaseTaxCodeRef", "COGSAccountRef",
        "PrefVendorRef", "AssetAccountRef", "BuildPoint", "Max", "QuantityOnHand", "AverageCost", "QuantityOnOrder",
        "QuantityOnSalesOrder", "ExternalGUID", "ItemInventoryAssemblyLine", "DataExtRet",
    ),
    "ItemDiscountRet": (
        *ITEM_HEAD, "ItemDesc", "SalesTaxCodeRef", "DiscountRate", "DiscountRatePercent", "AccountRef", "ExternalGUID",
        "DataExtRet",
    ),
    "ItemPaymentRet": (
        *LIST_CORE, "Name", "BarCodeValue", "IsActive", "ClassRef", "ItemDesc", "DepositToAccountRef",
        "PaymentMethodRef", "ExternalGUID", "DataExtRet",
    ),
    "ItemGroupRet": (
        *LIST_CORE, "Name", "BarCodeValue", "IsActive", "ItemDesc", "UnitOfMeasureSetRef", "IsPrintItemsInGroup",
        "SpecialItemType", "ExternalGUID", "ItemGroupLine", "DataExtRet",
    ),
    "ItemSalesTaxRet": (
        *LIST_CORE, "Name", "BarCodeValue", "IsActive", "ClassRef", "ItemDesc", "TaxRate", "TaxVendorRef",
        "SalesTaxReturnLineRef", "ExternalGUID", "DataExtRet",
    ),
    "ItemSalesTaxGroupRet": (
        *LIST_CORE, "Name", "BarCodeValue", "IsActive", "ItemDesc", "ExternalGUID", "ItemSalesTaxRef", "DataExtRet",
    ),
    "AccountRet": (
        *LIST_CORE, "Name", "FullName", "IsActive", "ParentRef", "Sublevel", "AccountType", "DetailAccountType",
        "SpecialAccountType", "IsTaxAccount", "AccountNumber", "BankNumber", "LastCheckNumber", "Desc", "Balance",
        "TotalBalance", "SalesTaxCodeRef", "TaxLineInfoRet", "CashFlowClassification", "CurrencyRef", "DataExtRet",
    ),
    "StandardTermsRet": (*LIST_CORE, "Name", "IsActive", "StdDueDays", "StdDiscountDays", "DiscountPct"),
    "ClassRet": (*LIST_CORE, "Name", "FullName", "IsActive", "ParentRef", "Sublevel"),
    "PaymentMethodRet": (*LIST_CORE, "Name", "IsActive", "PaymentMethodType"),
    "SalesTaxCodeRet": (*LIST_CORE, "Name", "IsActive", "IsTaxable", "Desc", "ItemPurchaseTaxRef", "ItemSalesTaxRef"),
    "SalesOrPurchase": ("Desc", "Price", "PricePercent", "AccountRef"),
    "SalesAndPurchase": (
        "SalesDesc", "SalesPrice", "IncomeAccountRef", "PurchaseDesc", "PurchaseCost", "PurchaseTaxCodeRef",
        "ExpenseAccountRef", "PrefVendorRef",
    ),
    "InvoiceRet": (
        *TXN_CORE, "CustomerRef", "ClassRef", "ARAccountRef", "TemplateRef", "TxnDate", "RefNumber", "BillAddress",
        "BillAddressBlock", "ShipAddress", "ShipAddressBlock", "IsPending", "IsFinanceCharge", "PONumber", "TermsRef",
        "DueDate", "SalesRepRef", "FOB", "ShipDate", "ShipMethodRef", "Subtotal", "ItemSalesTaxRef",
        "SalesTaxPercentage", "SalesTaxTotal", "AppliedAmount", "BalanceRemaining", "CurrencyRef", "ExchangeRate",
        "BalanceRemainingInHomeCurrency", "Memo", "IsPaid", "CustomerMsgRef", "IsToBePrinted", "IsToBeEmailed",
        "IsTaxIncluded", "CustomerSalesTaxCodeRef", "SuggestedDiscountAmount", "SuggestedDiscountDate", "Other",
        "ExternalGUID", "LinkedTxn", "InvoiceLineRet", "DataExtRet",
    ),
    "InvoiceLineRet": (
        "TxnLineID", "ItemRef", "Desc", "Quantity", "UnitOfMeasure", "OverrideUOMSetRef", "Rate", "RatePercent",
        "ClassRef", "Amount", "TaxAmount", "InventorySiteRef", "InventorySiteLocationRef", "SerialNumber", "LotNumber",
        "ServiceDate", "SalesTaxCodeRef", "Other1", "Other2", "DataExtRet",
    ),
    "CreditMemoRet": (
        *TXN_CORE, "CustomerRef", "ClassRef", "ARAccountRef", "TemplateRef", "TxnDate", "RefNumber", "BillAddress",
        "BillAddressBlock", "ShipAddress", "ShipAddressBlock", "IsPending", "PONumber", "TermsRef", "DueDate",
        "SalesRepRef", "FOB", "ShipDate", "ShipMethodRef", "Subtotal", "ItemSalesTaxRef", "SalesTaxPercentage",
        "SalesTaxTotal", "TotalAmount", "CreditRemaining", "CurrencyRef", "ExchangeRate",
        "CreditRemainingInHomeCurrency", "Memo", "CustomerMsgRef", "IsToBePrinted", "IsToBeEmailed", "IsTaxIncluded",
        "CustomerSalesTaxCodeRef", "Other", "ExternalGUID", "LinkedTxn", "CreditMemoLineRet", "DataExtRet",
    ),
    "CreditMemoLineRet": (
        "TxnLineID", "ItemRef", "Desc", "Quantity", "UnitOfMeasure", "OverrideUOMSetRef", "Rate", "RatePercent",
        "ClassRef", "Amount", "TaxAmount", "InventorySiteRef", "InventorySiteLocationRef", "SerialNumber", "LotNumber",
        "ServiceDate", "SalesTaxCodeRef", "Other1", "Other2", "DataExtRet",
    ),
    "ARRefundCreditCardRet": (
        *TXN_CORE, "CustomerRef", "RefundFromAccountRef", "ARAccountRef", "TxnDate", "RefNumber", "TotalAmount",
        "CurrencyRef", "ExchangeRate", "TotalAmountInHomeCurrency", "Address", "AddressBlock", "PaymentMethodRef",
        "Memo", "CreditCardTxnInfo", "ExternalGUID", "RefundAppliedToTxnRet", "DataExtRet",
    ),
    "RefundAppliedToTxnRet": (
        "TxnID", "TxnType", "TxnDate", "RefNumber", "CreditRemaining", "RefundAmount", "CreditRemainingInHomeCurrency",
        "RefundAmountInHomeCurrency",
    ),
    "ReceivePaymentRet": (
        *TXN_CORE, "CustomerRef", "ARAccountRef", "TxnDate", "RefNumber", "TotalAmount", "CurrencyRef", "ExchangeRate",
        "TotalAmountInHomeCurrency", "PaymentMethodRef", "Memo", "DepositToAccountRef", "CreditCardTxnInfo",
        "UnusedPayment", "UnusedCredits", "ExternalGUID", "AppliedToTxnRet", "DataExtRet",
    ),
    "AppliedToTxnRet": (
        "TxnID", "TxnType", "TxnDate", "RefNumber", "BalanceRemaining", "Amount", "TxnLineDetail", "DiscountAmount",
        "DiscountAccountRef", "DiscountClassRef", "LinkedTxn",
    ),
    "BillRet": (
        *TXN_CORE, "VendorRef", "VendorAddress", "APAccountRef", "TxnDate", "DueDate", "AmountDue", "CurrencyRef",
        "ExchangeRate", "AmountDueInHomeCurrency", "RefNumber", "TermsRef", "Memo", "IsTaxIncluded", "SalesTaxCodeRef",
        "IsPaid", "ExternalGUID", "LinkedTxn", "ExpenseLineRet", "ItemLineRet", "OpenAmount", "DataExtRet",
    ),
    "ExpenseLineRet": (
        "TxnLineID", "AccountRef", "Amount", "TaxAmount", "Memo", "CustomerRef", "ClassRef", "SalesTaxCodeRef",
        "BillableStatus", "SalesRepRef", "DataExtRet",
    ),
    "ItemLineRet": (
        "TxnLineID", "ItemRef", "InventorySiteRef", "InventorySiteLocationRef", "SerialNumber", "LotNumber", "Desc",
        "Quantity", "UnitOfMeasure", "OverrideUOMSetRef", "Cost", "Amount", "TaxAmount", "CustomerRef", "ClassRef",
        "SalesTaxCodeRef", "BillableStatus", "SalesRepRef", "DataExtRet",
    ),
    "LinkedTxn": ("TxnID", "TxnType", "TxnDate", "RefNumber", "LinkType", "Amount"),
    "DataExtRet": ("OwnerID", "DataExtName", "DataExtType", "DataExtValue"),
}
# fmt: on

# Elements that stay inside the Ret when IncludeRetElement names only others would be wrong; QuickBooks returns
# exactly what was asked, so nothing is forced here.
LINE_ELEMENTS = {"InvoiceLineRet", "ExpenseLineRet", "ItemLineRet", "CreditMemoLineRet"}

NameOf = Callable[[str], "str | None"]

# Each tag's element order as positions, so a record's own fields are sorted rather than the whole order scanned.
_POSITION = {tag: {name: n for n, name in enumerate(order)} for tag, order in ORDER.items()}
_REF_KEYS = {"ListID", "FullName"}


def build_ret(
    parent: etree._Element,
    tag: str,
    record: dict[str, Any],
    name_of: NameOf,
    *,
    skip: Iterable[str] = (),
    only: set[str] | None = None,
) -> etree._Element:
    """Append `record` to `parent` as element `tag`, fields in schema order; refs get their current FullName."""
    elem = RetBuilder.sub(parent, tag)
    for name in _field_names(tag, record, skip, only):
        _add_value(elem, name, record[name], name_of)
    return elem


def _field_names(tag: str, record: dict[str, Any], skip: Iterable[str], only: set[str] | None) -> list[str]:
    """Return the fields of `record` to answer with, in `tag`'s schema order (the record's own when none)."""
    position = _POSITION.get(tag)
    if position is None:
        names = [name for name in record if not name.startswith("_")]
    else:
        names = sorted([name for name in record if name in position], key=position.__getitem__)
    if skip:
        skipped = set(skip)
        names = [name for name in names if name not in skipped]
    if only is not None:
        names = [name for name in names if name in only]
    return names


def _add_value(parent: etree._Element, name: str, value: Any, name_of: NameOf) -> None:
    """Append one stored value (text, aggregate, reference or repeated list) under `parent`."""
    if isinstance(value, list):
        for item in value:
            _add_value(parent, name, item, name_of)
    elif isinstance(value, dict):
        if name.endswith("Ref") and value.keys() <= _REF_KEYS:
            _add_ref(parent, name, value, name_of)
        else:
            build_ret(parent, name, value, name_of)
    elif value is not None:
        RetBuilder.sub(parent, name, str(value))


def _add_ref(parent: etree._Element, name: str, ref: dict[str, str], name_of: NameOf) -> None:
    """Append a reference with its ListID and the referenced record's current full name."""
    elem = RetBuilder.sub(parent, name)
    list_id = ref.get("ListID")
    full_name = (name_of(list_id) if list_id else None) or ref.get("FullName")
    if list_id:
        RetBuilder.sub(elem, "ListID", list_id)
    if full_name:
        RetBuilder.sub(elem, "FullName", full_name)
