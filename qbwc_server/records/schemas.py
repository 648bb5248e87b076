"""One JSON Schema (Draft 2020-12) per REST resource: the fields a host app may send, their types and host-side limits.

QuickBooks' own, tighter limits (41-character names, 11-character invoice numbers, …) are applied later, when a
request is built, so that a name over its limit becomes a clear error on the record instead of a refused PUT.
Numbers carry a custom `format` (money, price, quantity) that `validation` checks and turns into decimal strings.
"""

from __future__ import annotations

import copy
from typing import Any

from qbwc_server.models import RecordKind

DIALECT = "https://json-schema.org/draft/2020-12/schema"

SHORT_TEXT = 200  # names, numbers, references to QuickBooks lists
LONG_TEXT = 4095  # notes, memos and descriptions: QuickBooks' own limit for them
EXTERNAL_ID = 100  # the width of records.external_id
MAX_LINES = 1000

INVOICE_STATUSES = ["draft", "sent", "finished", "paid"]
ITEM_TYPES = ["service", "non_inventory", "other_charge"]
# QuickBooks item types an item may have when it is "link_only" (QuickBooks' own, never added or changed by us).
LINK_ONLY_ITEM_TYPES = [
    *ITEM_TYPES,
    "inventory",
    "inventory_assembly",
    "discount",
    "sales_tax",
    "group",
    "payment",
]


def _text(max_length: int = SHORT_TEXT) -> dict[str, Any]:
    return {"type": ["string"], "maxLength": max_length}


def _ref(kind: str) -> dict[str, Any]:
    # Host apps often use numeric ids; they are stored as text, like the external_id in the URL.
    return {
        "type": ["string", "integer"],
        "format": "ref",
        "minLength": 1,
        "maxLength": EXTERNAL_ID,
        "pattern": r"\S",
        "description": f"the external_id of a {kind}",
    }


def _number(fmt: str) -> dict[str, Any]:
    return {"type": ["string", "number"], "format": fmt}


BOOLEAN: dict[str, Any] = {"type": ["boolean"]}
DATE: dict[str, Any] = {"type": ["string"], "format": "date"}
EMAIL: dict[str, Any] = {"type": ["string"], "format": "email", "maxLength": 254}
MONEY = _number("money")  # signed, at most 2 decimal places
AMOUNT = _number("amount")  # like money, but never negative
PRICE = _number("price")  # a unit price or rate: up to 5 decimal places
QUANTITY = _number("quantity")


def _object(properties: dict[str, dict[str, Any]], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Build a closed object schema; optional fields also accept null (treated as absent)."""
    props: dict[str, dict[str, Any]] = {}
    for name, schema in properties.items():
        schema = copy.deepcopy(schema)
        if name not in required:
            schema["type"] = [*schema["type"], "null"]
        props[name] = schema
    result: dict[str, Any] = {"type": ["object"], "properties": props, "additionalProperties": False}
    if required:
        result["required"] = list(required)
    return result


def _list_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": ["array"], "items": item, "maxItems": MAX_LINES}


ADDRESS = _object(
    {
        "line1": _text(),
        "line2": _text(),
        "city": _text(),
        "state": _text(),
        "postal_code": _text(),
        "country": _text(),
    }
)

LINE_ID = {**_ref("line"), "description": "the host app's own id for the line"}

CUSTOMER = _object(
    {
        "first_name": _text(),
        "last_name": _text(),
        "company_name": _text(),
        "name": _text(),
        "email": EMAIL,
        "phone": _text(),
        "billing_address": ADDRESS,
        "service_address": ADDRESS,
        "active": BOOLEAN,
        "notes": _text(LONG_TEXT),
        "created_at": DATE,
    }
)

JOB = _object(
    {
        "customer": _ref("customer"),
        "name": _text(),
        "number": _text(),
        "description": _text(LONG_TEXT),
        "address": ADDRESS,
        "active": BOOLEAN,
    },
    required=("customer",),
)

ITEM = _object(
    {
        "name": {**_text(), "minLength": 1, "pattern": r"\S"},
        "type": {"type": ["string"], "enum": LINK_ONLY_ITEM_TYPES},
        "link_only": {
            **BOOLEAN,
            "description": "QuickBooks already has this item: find it by name and never add or change it",
        },
        "description": _text(LONG_TEXT),
        "price": PRICE,
        "price_percent": {**PRICE, "description": "a price that is a percentage of the lines above it (5 = 5%)"},
        "cost": PRICE,
        "category": _text(),
        "taxable": BOOLEAN,
        "income_account": _text(),
        "active": BOOLEAN,
    },
    required=("name", "type"),
)

INVOICE_LINE = _object(
    {
        "id": LINE_ID,
        "item": _ref("item"),
        "description": _text(LONG_TEXT),
        "quantity": QUANTITY,
        "rate": PRICE,
        "amount": MONEY,
        "taxable": BOOLEAN,
    }
)

INVOICE = _object(
    {
        "customer": _ref("customer"),
        "job": _ref("job"),
        "number": _text(),
        "date": DATE,
        "due_date": DATE,
        "terms": _text(),
        "po_number": _text(),
        "memo": _text(LONG_TEXT),
        "status": {"type": ["string"], "enum": INVOICE_STATUSES},
        # A tax rate's name in the host app (mapped to a QuickBooks sales tax item); numbers are kept as text.
        "tax_rate": {"type": ["string", "number"], "format": "label", "maxLength": SHORT_TEXT},
        "class": _text(),
        "lines": _list_of(INVOICE_LINE),
        # The app's own figures, compared with QuickBooks' after it answers (optional; computed when absent).
        "subtotal": MONEY,
        "tax_total": MONEY,
        "total": MONEY,
    },
    required=("customer",),
)

APPLIED = _object({"invoice": _ref("invoice"), "amount": AMOUNT}, required=("invoice", "amount"))

PAYMENT = _object(
    {
        "customer": _ref("customer"),
        "date": DATE,
        "amount": AMOUNT,
        "method": _text(),
        "reference": _text(),
        "memo": _text(LONG_TEXT),
        "applied_to": _list_of(APPLIED),
    },
    required=("customer", "amount"),
)

VENDOR = _object(
    {
        "name": _text(),
        "company_name": _text(),
        "first_name": _text(),
        "last_name": _text(),
        "email": EMAIL,
        "phone": _text(),
        "address": ADDRESS,
        "is_1099": BOOLEAN,
        "active": BOOLEAN,
    }
)

EXPENSE_LINE = _object(
    {
        "id": LINE_ID,
        "account": _text(),
        "amount": MONEY,
        "memo": _text(LONG_TEXT),
        "customer": _ref("customer"),
        "job": _ref("job"),
    },
    required=("amount",),
)

BILL_ITEM_LINE = _object(
    {
        "id": LINE_ID,
        "item": _ref("item"),
        "description": _text(LONG_TEXT),
        "quantity": QUANTITY,
        "cost": PRICE,
        "amount": MONEY,
        "customer": _ref("customer"),
        "job": _ref("job"),
    },
    required=("item",),
)

BILL = _object(
    {
        "vendor": _ref("vendor"),
        "number": _text(),
        "date": DATE,
        "due_date": DATE,
        "memo": _text(LONG_TEXT),
        "expense_lines": _list_of(EXPENSE_LINE),
        "item_lines": _list_of(BILL_ITEM_LINE),
    },
    required=("vendor",),
)

CREDIT_MEMO = _object(
    {
        "customer": _ref("customer"),
        "job": _ref("job"),
        "number": _text(),
        "date": DATE,
        "memo": _text(LONG_TEXT),
        "tax_rate": {"type": ["string", "number"], "format": "label", "maxLength": SHORT_TEXT},
        "class": _text(),
        "lines": _list_of(INVOICE_LINE),
        # Open invoices of the same customer the credit pays, as QuickBooks applies credits (a payment's SetCredit).
        "applied_to": _list_of(APPLIED),
        # The app's own figures, compared with QuickBooks' as an invoice's are (optional; computed when absent).
        "subtotal": MONEY,
        "tax_total": MONEY,
        "total": MONEY,
    },
    required=("customer",),
)

REFUND = _object(
    {
        "customer": _ref("customer"),
        "date": DATE,
        "amount": AMOUNT,
        "method": _text(),
        "memo": _text(LONG_TEXT),
        # The credit paid back: a credit memo's credit, or a payment's unused amount (an overpayment). One of them.
        "credit_memo": _ref("credit_memo"),
        "payment": _ref("payment"),
    },
    required=("customer", "amount"),
)

SCHEMAS: dict[RecordKind, dict[str, Any]] = {
    RecordKind.CUSTOMER: CUSTOMER,
    RecordKind.JOB: JOB,
    RecordKind.ITEM: ITEM,
    RecordKind.INVOICE: INVOICE,
    RecordKind.PAYMENT: PAYMENT,
    RecordKind.VENDOR: VENDOR,
    RecordKind.BILL: BILL,
    RecordKind.CREDIT_MEMO: CREDIT_MEMO,
    RecordKind.REFUND: REFUND,
}


def schema_for(kind: RecordKind) -> dict[str, Any]:
    """Return the complete JSON Schema document for one kind of record."""
    return {"$schema": DIALECT, "title": kind.resource, **SCHEMAS[kind]}


def ordered(schema: dict[str, Any], value: Any) -> Any:
    """Return `value` with object keys in the schema's order, so answers read the same on every database."""
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        known = {key: ordered(props[key], value[key]) for key in props if key in value}
        return {**known, **{key: item for key, item in value.items() if key not in props}}
    if isinstance(value, list) and "items" in schema:
        return [ordered(schema["items"], item) for item in value]
    return value
