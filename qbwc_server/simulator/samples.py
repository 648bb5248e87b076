"""Sample companies: the empty chart of accounts, the demo company and generated large companies."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .company import CompanyStore

ACCOUNTS = (
    ("Checking", "Bank", None),
    ("Accounts Receivable", "AccountsReceivable", "AccountsReceivable"),
    ("Undeposited Funds", "OtherCurrentAsset", "UndepositedFunds"),
    ("Inventory Asset", "OtherCurrentAsset", "InventoryAssets"),
    ("Accounts Payable", "AccountsPayable", "AccountsPayable"),
    ("Sales Tax Payable", "OtherCurrentLiability", "SalesTaxPayable"),
    ("Sales", "Income", None),
    ("Services", "Income", None),
    ("Materials Income", "Income", None),
    ("Labor Income", "Income", None),
    ("Cost of Goods Sold", "CostOfGoodsSold", "CostOfGoodsSold"),
    ("Job Expenses", "Expense", None),
    ("Job Materials", "Expense", None),
    ("Subcontractors", "Expense", None),
    ("Utilities", "Expense", None),
    ("Office Supplies", "Expense", None),
)
PAYMENT_METHODS = (
    ("Cash", "Cash"),
    ("Check", "Check"),
    ("Visa", "Visa"),
    ("MasterCard", "MasterCard"),
    ("American Express", "AmericanExpress"),
    ("Discover", "Discover"),
    ("E-Check", "ECheck"),
)
TERMS = (("Net 15", "15"), ("Net 30", "30"), ("Due on receipt", "0"))
TAX_AGENCIES = ("State Board of Equalization", "County Tax Collector")
FIRST = (
    "James",
    "Maria",
    "Robert",
    "Linda",
    "Michael",
    "Susan",
    "David",
    "Karen",
    "Daniel",
    "Nancy",
    "Paul",
    "Lisa",
)
LAST = (
    "Smith",
    "Garcia",
    "Johnson",
    "Brown",
    "Miller",
    "Davis",
    "Wilson",
    "Moore",
    "Taylor",
    "Clark",
    "Lewis",
    "Hall",
)
STREETS = ("Oak St", "Maple Ave", "Pine Rd", "Cedar Ln", "Elm Dr", "Birch Way", "Lake Blvd", "Hill Ct")


def add(company: CompanyStore, kind: str, parent: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """Insert a list record directly (sample data skips the request checks)."""
    return company.insert_list(kind, fields, parent)


def ref(record: dict[str, Any]) -> dict[str, str]:
    """Return a stored reference to `record`."""
    return {"ListID": record["ListID"]}


def build_reference_lists(company: CompanyStore) -> None:
    """Create the chart of accounts and the reference lists every sample company has."""
    for name, account_type, special in ACCOUNTS:
        fields = {"Name": name, "AccountType": account_type}
        if special:
            fields["SpecialAccountType"] = special
        add(company, "Account", None, **fields, Balance="0.00", TotalBalance="0.00")
    for name, method_type in PAYMENT_METHODS:
        add(company, "PaymentMethod", Name=name, PaymentMethodType=method_type)
    for name, days in TERMS:
        add(company, "StandardTerms", Name=name, StdDueDays=days, StdDiscountDays="0", DiscountPct="0.00")
    tax = add(company, "SalesTaxCode", Name="Tax", IsTaxable="true", Desc="Taxable Sales")
    non = add(company, "SalesTaxCode", Name="Non", IsTaxable="false", Desc="Non-Taxable Sales")
    agencies = [
        add(company, "Vendor", Name=name, IsVendorEligibleFor1099="false", Balance="0.00") for name in TAX_AGENCIES
    ]
    state = add(
        company,
        "ItemSalesTax",
        Name="State Tax",
        ItemDesc="State sales tax",
        TaxRate="6.25",
        TaxVendorRef=ref(agencies[0]),
    )
    county = add(
        company,
        "ItemSalesTax",
        Name="County Tax",
        ItemDesc="County sales tax",
        TaxRate="1.5",
        TaxVendorRef=ref(agencies[1]),
    )
    add(
        company,
        "ItemSalesTax",
        Name="Out of State",
        ItemDesc="Out-of-state sale, exempt from sales tax",
        TaxRate="0.00",
        TaxVendorRef=ref(agencies[0]),
    )
    add(
        company,
        "ItemSalesTaxGroup",
        Name="State and County",
        ItemDesc="State and county sales tax",
        ItemSalesTaxRef=[ref(state), ref(county)],
    )
    for name in ("Residential", "Commercial"):
        add(company, "Class", Name=name)
    prefs = company.state.preferences
    prefs["DefaultTaxableSalesTaxCode"] = tax["ListID"]
    prefs["DefaultNonTaxableSalesTaxCode"] = non["ListID"]
    prefs["DefaultItemSalesTax"] = state["ListID"]
    prefs["DefaultARAccount"] = company.list_by_name("Account", "Accounts Receivable")["ListID"]
    prefs["DefaultAPAccount"] = company.list_by_name("Account", "Accounts Payable")["ListID"]
    prefs["DefaultDepositAccount"] = company.list_by_name("Account", "Undeposited Funds")["ListID"]
    prefs["DaysBillsAreDue"] = "10"


def customer_fields(company: CompanyStore, first: str, last: str, street: str, city: str) -> dict[str, Any]:
    """Return the fields QuickBooks stores for a typical residential customer."""
    prefs = company.state.preferences
    return {
        "Name": f"{last}, {first}",
        "FirstName": first,
        "LastName": last,
        "BillAddress": {
            "Addr1": f"{first} {last}",
            "Addr2": street,
            "City": city,
            "State": "CA",
            "PostalCode": "94043",
        },
        "Balance": "0.00",
        "TotalBalance": "0.00",
        "SalesTaxCodeRef": {"ListID": prefs["DefaultTaxableSalesTaxCode"]},
        "ItemSalesTaxRef": {"ListID": prefs["DefaultItemSalesTax"]},
        "JobStatus": "None",
    }


def build_demo(company: CompanyStore) -> None:
    """Fill a company with the demo data: customers with jobs, items of each type, vendors, people."""
    build_reference_lists(company)
    account = {name: ref(company.list_by_name("Account", name)) for name, _, _ in ACCOUNTS}
    tax = ref(company.list_by_name("SalesTaxCode", "Tax"))
    non = ref(company.list_by_name("SalesTaxCode", "Non"))
    net30 = ref(company.list_by_name("StandardTerms", "Net 30"))
    smith = add(company, "Customer", **customer_fields(company, "John", "Smith", "12 Oak St", "Mountain View"))
    add(
        company,
        "Customer",
        smith,
        Name="1001 - 12 Oak St",
        Balance="0.00",
        TotalBalance="0.00",
        JobStatus="InProgress",
        JobDesc="Water heater replacement",
    )
    garcia = add(company, "Customer", **customer_fields(company, "Maria", "Garcia", "48 Pine Rd", "Sunnyvale"))
    add(
        company,
        "Customer",
        garcia,
        Name="1002 - 48 Pine Rd",
        Balance="0.00",
        TotalBalance="0.00",
        JobStatus="None",
    )
    acme = add(
        company,
        "Customer",
        Name="Acme Property Management",
        CompanyName="Acme Property Management",
        Balance="0.00",
        TotalBalance="0.00",
        TermsRef=net30,
        SalesTaxCodeRef=tax,
        JobStatus="None",
    )
    for number, street in (("1003", "200 Main St"), ("1004", "310 Main St")):
        add(
            company,
            "Customer",
            acme,
            Name=f"{number} - {street}",
            Balance="0.00",
            TotalBalance="0.00",
            JobStatus="None",
        )
    add(
        company,
        "Customer",
        Name="Old Customer",
        IsActive="false",
        Balance="0.00",
        TotalBalance="0.00",
        JobStatus="None",
    )
    supply = add(
        company,
        "Vendor",
        Name="ABC Plumbing Supply",
        CompanyName="ABC Plumbing Supply",
        IsVendorEligibleFor1099="false",
        Balance="0.00",
        TermsRef=net30,
    )
    add(
        company,
        "Vendor",
        Name="Reliable Electric",
        CompanyName="Reliable Electric LLC",
        IsVendorEligibleFor1099="true",
        Balance="0.00",
    )
    add(company, "Vendor", Name="City Water Department", IsVendorEligibleFor1099="false", Balance="0.00")
    add(
        company,
        "ItemService",
        Name="Labor",
        SalesTaxCodeRef=non,
        SalesOrPurchase={"Desc": "Labor, per hour", "Price": "85.00", "AccountRef": account["Labor Income"]},
    )
    add(
        company,
        "ItemService",
        Name="Service Call",
        SalesTaxCodeRef=non,
        SalesOrPurchase={"Desc": "Service call", "Price": "95.00", "AccountRef": account["Services"]},
    )
    add(
        company,
        "ItemNonInventory",
        Name="Materials",
        SalesTaxCodeRef=tax,
        SalesOrPurchase={"Desc": "Materials", "Price": "0.00", "AccountRef": account["Materials Income"]},
    )
    add(
        company,
        "ItemNonInventory",
        Name="Pipe Fittings",
        SalesTaxCodeRef=tax,
        SalesAndPurchase={
            "SalesDesc": "Pipe fittings",
            "SalesPrice": "12.50",
            "IncomeAccountRef": account["Materials Income"],
            "PurchaseDesc": "Pipe fittings",
            "PurchaseCost": "6.00",
            "ExpenseAccountRef": account["Job Materials"],
            "PrefVendorRef": ref(supply),
        },
    )
    add(
        company,
        "ItemOtherCharge",
        Name="Trip Charge",
        SalesTaxCodeRef=non,
        SalesOrPurchase={"Desc": "Trip charge", "Price": "45.00", "AccountRef": account["Services"]},
    )
    add(
        company,
        "ItemOtherCharge",
        Name="Disposal Fee",
        SalesTaxCodeRef=tax,
        SalesOrPurchase={"Desc": "Disposal fee", "PricePercent": "5.0", "AccountRef": account["Sales"]},
    )
    add(
        company,
        "ItemInventory",
        Name="Water Heater 40gal",
        SalesTaxCodeRef=tax,
        SalesDesc="40 gallon water heater",
        SalesPrice="650.00",
        IncomeAccountRef=account["Sales"],
        PurchaseDesc="40 gallon water heater",
        PurchaseCost="410.00",
        COGSAccountRef=account["Cost of Goods Sold"],
        PrefVendorRef=ref(supply),
        AssetAccountRef=account["Inventory Asset"],
        QuantityOnHand="5",
        AverageCost="410.00",
        QuantityOnOrder="0",
        QuantityOnSalesOrder="0",
    )
    add(company, "Employee", Name="Pat Technician", FirstName="Pat", LastName="Technician")
    add(company, "OtherName", Name="Jordan Owner", FirstName="Jordan", LastName="Owner")


def build_generated(
    company: CompanyStore,
    *,
    customers: int,
    jobs_per: int,
    inactive_share: float,
    items: int,
    vendors: int,
    seed: int,
) -> None:
    """Fill a company with many generated records, deterministic for a given seed."""
    build_reference_lists(company)
    rng = random.Random(seed)
    income = ref(company.list_by_name("Account", "Services"))
    non = ref(company.list_by_name("SalesTaxCode", "Non"))
    for number in range(1, customers + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        street = f"{rng.randint(1, 9999)} {rng.choice(STREETS)}"
        fields = customer_fields(company, first, last, street, "Springfield")
        fields["Name"] = f"{last}, {first} {number:05d}"
        if rng.random() < inactive_share:
            fields["IsActive"] = "false"
        parent = add(company, "Customer", **fields)
        for job in range(jobs_per):
            add(
                company,
                "Customer",
                parent,
                Name=f"{number * 100 + job} - {street}",
                Balance="0.00",
                TotalBalance="0.00",
                JobStatus="None",
            )
    for number in range(1, items + 1):
        price = f"{rng.randint(10, 500)}.00"
        add(
            company,
            "ItemService",
            Name=f"Service {number:05d}",
            SalesTaxCodeRef=non,
            SalesOrPurchase={"Desc": f"Generated service {number}", "Price": price, "AccountRef": income},
        )
    for number in range(1, vendors + 1):
        add(company, "Vendor", Name=f"Vendor {number:05d}", IsVendorEligibleFor1099="false", Balance="0.00")
