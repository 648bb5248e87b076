"""Maximum lengths QuickBooks Desktop accepts for the fields we send (characters of the unescaped value).

Figures are the XSD maxLength facets of qbXML 13.0 and 16.0, which agree with Intuit's OSR notes for
QuickBooks Desktop (US/CA/UK/AU).
"""

from __future__ import annotations

from types import MappingProxyType

# Names: unique keys in QuickBooks lists, never cut.
CUSTOMER_NAME = 41
VENDOR_NAME = 41
ITEM_NAME = 31
CUSTOMER_FULL_NAME = 209  # "Customer:Job:..." in CustomerRef
ITEM_FULL_NAME = 159
VENDOR_REF_NAME = 41  # VendorRef/FullName in BillAdd
ACCOUNT_FULL_NAME = 159
CLASS_FULL_NAME = 159
TERMS_NAME = 31
PAYMENT_METHOD_NAME = 31
SALES_TAX_ITEM_NAME = 31
SALES_TAX_CODE_NAME = 3

# Reference numbers: the bookkeeper searches by them, never cut.
INVOICE_REF_NUMBER = 11
PAYMENT_REF_NUMBER = 20
BILL_REF_NUMBER = 20
PO_NUMBER = 25

# Free text: cut with a warning when longer.
COMPANY_NAME = 41
FIRST_NAME = 25
LAST_NAME = 25
ADDR_LINE = 41
CITY = 31
STATE = 21
POSTAL_CODE = 13
COUNTRY = 31
PHONE = 21
EMAIL = 1023
NOTES = 4095
JOB_DESC = 99
DESC = 4095
MEMO = 4095

# Protocol values.
EDIT_SEQUENCE = 16
ID = 36
REQUEST_ID = 50

FIELD_LIMITS = MappingProxyType(
    {
        "CustomerAdd/Name": CUSTOMER_NAME,
        "VendorAdd/Name": VENDOR_NAME,
        "ItemAdd/Name": ITEM_NAME,
        "CustomerRef/FullName": CUSTOMER_FULL_NAME,
        "ItemRef/FullName": ITEM_FULL_NAME,
        "BillAdd/VendorRef/FullName": VENDOR_REF_NAME,
        "AccountRef/FullName": ACCOUNT_FULL_NAME,
        "ClassRef/FullName": CLASS_FULL_NAME,
        "TermsRef/FullName": TERMS_NAME,
        "PaymentMethodRef/FullName": PAYMENT_METHOD_NAME,
        "ItemSalesTaxRef/FullName": SALES_TAX_ITEM_NAME,
        "SalesTaxCodeRef/FullName": SALES_TAX_CODE_NAME,
        "InvoiceAdd/RefNumber": INVOICE_REF_NUMBER,
        "ReceivePaymentAdd/RefNumber": PAYMENT_REF_NUMBER,
        "BillAdd/RefNumber": BILL_REF_NUMBER,
        "InvoiceAdd/PONumber": PO_NUMBER,
        "CompanyName": COMPANY_NAME,
        "FirstName": FIRST_NAME,
        "LastName": LAST_NAME,
        "Address/Addr": ADDR_LINE,
        "Address/City": CITY,
        "Address/State": STATE,
        "Address/PostalCode": POSTAL_CODE,
        "Address/Country": COUNTRY,
        "Phone": PHONE,
        "Email": EMAIL,
        "Notes": NOTES,
        "JobDesc": JOB_DESC,
        "Desc": DESC,
        "Memo": MEMO,
        "EditSequence": EDIT_SEQUENCE,
        "ListID": ID,
        "TxnID": ID,
        "requestID": REQUEST_ID,
    }
)
