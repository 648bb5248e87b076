"""QuickBooks objects become data in the REST API's shapes, with references left for the store to resolve."""

from __future__ import annotations

from lxml import etree

from qbwc_server.imports.changes import describe, diff
from qbwc_server.imports.mapping import map_ret
from qbwc_server.models import RecordKind


def _ret(xml: str) -> etree._Element:
    return etree.fromstring(xml)


def test_a_customer_keeps_its_people_addresses_and_notes():
    entry = map_ret(
        "customers",
        _ret(
            "<CustomerRet><ListID>80000001-1</ListID><TimeModified>2026-01-02T03:04:05-05:00</TimeModified>"
            "<EditSequence>17</EditSequence><Name>Smith, John</Name><FullName>Smith, John</FullName>"
            "<IsActive>false</IsActive><Sublevel>0</Sublevel><CompanyName>Smith &amp; Sons</CompanyName>"
            "<FirstName>John</FirstName><LastName>Smith</LastName><BillAddress><Addr1>12 Oak St</Addr1>"
            "<Addr2>Unit 4</Addr2><City>Mountain View</City><State>CA</State><PostalCode>94043</PostalCode>"
            "</BillAddress><ShipAddress><Addr1>9 Elm Rd</Addr1></ShipAddress><Phone>555-0100</Phone>"
            "<Email>john@example.com</Email><Notes>Gate code 1234</Notes></CustomerRet>"
        ),
    )

    assert entry.record_kind is RecordKind.CUSTOMER
    assert (entry.qb_id, entry.edit_sequence, entry.full_name) == ("80000001-1", "17", "Smith, John")
    assert entry.data == {
        "name": "Smith, John",
        "company_name": "Smith & Sons",
        "first_name": "John",
        "last_name": "Smith",
        "email": "john@example.com",
        "phone": "555-0100",
        "billing_address": {
            "line1": "12 Oak St",
            "line2": "Unit 4",
            "city": "Mountain View",
            "state": "CA",
            "postal_code": "94043",
        },
        "service_address": {"line1": "9 Elm Rd"},
        "active": False,
        "notes": "Gate code 1234",
    }


def test_a_sub_customer_is_a_job_of_its_parent_and_deeper_levels_are_only_listed():
    job = map_ret(
        "customers",
        _ret(
            "<CustomerRet><ListID>80000002-1</ListID><Name>1001 - 12 Oak St</Name>"
            "<FullName>Smith, John:1001 - 12 Oak St</FullName><ParentRef><ListID>80000001-1</ListID></ParentRef>"
            "<Sublevel>1</Sublevel><ShipAddress><Addr1>12 Oak St</Addr1></ShipAddress>"
            "<JobDesc>Water heater</JobDesc></CustomerRet>"
        ),
    )
    deeper = map_ret(
        "customers",
        _ret(
            "<CustomerRet><ListID>80000003-1</ListID><Name>Phase 2</Name><FullName>A:B:Phase 2</FullName>"
            "<ParentRef><ListID>80000002-1</ListID></ParentRef><Sublevel>2</Sublevel></CustomerRet>"
        ),
    )

    assert job.record_kind is RecordKind.JOB
    assert job.data == {
        "customer": "qb-80000001-1",
        "name": "1001 - 12 Oak St",
        "description": "Water heater",
        "address": {"line1": "12 Oak St"},
        "active": True,
    }
    assert job.refs == {"customer": ((RecordKind.CUSTOMER,), "80000001-1")}
    assert deeper.record_kind is None and deeper.lists == [("job", None)]


def test_items_take_price_description_cost_and_income_account_from_either_shape():
    simple = map_ret(
        "items",
        _ret(
            "<ItemServiceRet><ListID>1-1</ListID><Name>Labor</Name><FullName>Labor</FullName>"
            "<SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef><SalesOrPurchase><Desc>Per hour</Desc>"
            "<Price>85.00</Price><AccountRef><FullName>Labor Income</FullName></AccountRef></SalesOrPurchase>"
            "</ItemServiceRet>"
        ),
    )
    both = map_ret(
        "items",
        _ret(
            "<ItemNonInventoryRet><ListID>1-2</ListID><Name>Fittings</Name><FullName>Parts:Fittings</FullName>"
            "<SalesAndPurchase><SalesDesc>Pipe fittings</SalesDesc><SalesPrice>12.50</SalesPrice>"
            "<IncomeAccountRef><FullName>Materials Income</FullName></IncomeAccountRef>"
            "<PurchaseCost>6.00</PurchaseCost></SalesAndPurchase></ItemNonInventoryRet>"
        ),
    )
    tax = map_ret(
        "items",
        _ret(
            "<ItemSalesTaxRet><ListID>1-3</ListID><Name>State Tax</Name><ItemDesc>State</ItemDesc>"
            "<TaxRate>6.25</TaxRate></ItemSalesTaxRet>"
        ),
    )

    assert simple.data == {
        "name": "Labor",
        "type": "service",
        "description": "Per hour",
        "price": "85.00",
        "income_account": "Labor Income",
        "active": True,
    }
    assert simple.tax_codes == {"taxable": "Non"}
    assert both.data["type"] == "non_inventory" and both.full_name == "Parts:Fittings"
    assert (both.data["price"], both.data["cost"], both.data["description"]) == ("12.50", "6.00", "Pipe fittings")
    assert tax.record_kind is None
    assert tax.lists == [("item", "sales_tax"), ("sales_tax_item", "sales_tax")]
    assert tax.list_data["tax_rate"] == "6.25"


def test_a_percentage_price_stays_a_percentage_and_other_item_types_keep_their_type():
    fee = map_ret(
        "items",
        _ret(
            "<ItemOtherChargeRet><ListID>1-4</ListID><Name>Disposal Fee</Name><FullName>Disposal Fee</FullName>"
            "<SalesOrPurchase><Desc>Disposal fee</Desc><PricePercent>5.0</PricePercent>"
            "<AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchase></ItemOtherChargeRet>"
        ),
    )
    heater = map_ret(
        "items",
        _ret(
            "<ItemInventoryRet><ListID>1-5</ListID><Name>Water Heater 40gal</Name>"
            "<FullName>Water Heater 40gal</FullName><SalesDesc>40 gallon water heater</SalesDesc>"
            "<SalesPrice>650.00</SalesPrice></ItemInventoryRet>"
        ),
    )
    discount = map_ret(
        "items",
        _ret("<ItemDiscountRet><ListID>1-6</ListID><Name>Senior</Name><FullName>Senior</FullName></ItemDiscountRet>"),
    )

    assert fee.data["price_percent"] == "5.0" and "price" not in fee.data
    assert heater.data["type"] == "inventory" and heater.data["link_only"] is True
    assert heater.data["price"] == "650.00"
    assert (discount.data["type"], discount.data["link_only"]) == ("discount", True)


def test_reference_lists_keep_what_the_settings_need():
    code = map_ret(
        "sales_tax_codes",
        _ret("<SalesTaxCodeRet><ListID>2-1</ListID><Name>Non</Name><IsTaxable>false</IsTaxable></SalesTaxCodeRet>"),
    )
    terms = map_ret(
        "terms",
        _ret(
            "<DateDrivenTermsRet><ListID>2-2</ListID><Name>10th</Name><DayOfMonthDue>10</DayOfMonthDue></DateDrivenTermsRet>"
        ),
    )
    method = map_ret(
        "payment_methods",
        _ret(
            "<PaymentMethodRet><ListID>2-3</ListID><Name>Visa</Name><PaymentMethodType>Visa</PaymentMethodType></PaymentMethodRet>"
        ),
    )

    assert code.lists == [("sales_tax_code", None)] and code.list_data == {"taxable": False}
    assert terms.lists == [("terms", "date_driven")] and terms.list_data == {"due_days": "10"}
    assert method.lists == [("payment_method", "Visa")] and method.full_name == "Visa"


def test_invoice_lines_inside_groups_are_kept_in_order():
    entry = map_ret(
        "invoices",
        _ret(
            "<InvoiceRet><TxnID>9-1</TxnID><EditSequence>3</EditSequence><CustomerRef><ListID>80000001-1</ListID>"
            "<FullName>Smith, John</FullName></CustomerRef><TxnDate>2026-01-05</TxnDate><RefNumber>1042</RefNumber>"
            "<IsPaid>true</IsPaid><BalanceRemaining>0.00</BalanceRemaining>"
            "<InvoiceLineRet><TxnLineID>L1</TxnLineID><ItemRef><ListID>1-1</ListID></ItemRef>"
            "<Quantity>2</Quantity><Rate>85.00</Rate><Amount>170.00</Amount></InvoiceLineRet>"
            "<InvoiceLineGroupRet><TxnLineID>G1</TxnLineID><InvoiceLineRet><TxnLineID>L2</TxnLineID>"
            "<Desc>Inside a group</Desc><Amount>10.00</Amount></InvoiceLineRet></InvoiceLineGroupRet></InvoiceRet>"
        ),
    )

    assert entry.data["status"] == "paid" and entry.data["number"] == "1042"
    assert [line["id"] for line in entry.data["lines"]] == ["L1", "L2"]
    assert entry.refs == {
        "customer": ((RecordKind.CUSTOMER, RecordKind.JOB), "80000001-1"),
        "lines.0.item": ((RecordKind.ITEM,), "1-1"),
    }
    assert entry.qb_data["balance_remaining"] == "0.00"


def test_changes_are_described_field_by_field_and_equal_amounts_are_not_changes():
    before = {"name": "A", "price": "50", "billing_address": {"city": "X"}, "active": None}
    after = {"name": "B", "price": "50.00", "billing_address": {"city": "Y", "state": "CA"}, "active": True}

    found = diff(before, after, ("name", "price", "billing_address", "active"))

    assert describe(found) == (
        "name: 'A' → 'B'; billing_address.city: 'X' → 'Y'; billing_address.state: (empty) → 'CA'"
    )
