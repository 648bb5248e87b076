"""Sample records, references and a check that a built request is valid qbXML 13.0 and 16.0."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from qbwc_server.qbxml.render import message_set
from qbwc_server.qbxml.schema import validate
from qbwc_server.sync.builders import Built, QbIdentity, QbRef, RequestInput

SCHEMA_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "qbxml-xsd"
FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "qbxml"

REFS = {
    ("customer", "c-1"): QbRef("80000001-1700000000", "Smith, John"),
    ("job", "j-1"): QbRef("80000002-1700000000", "Smith, John:J-7 - 12 Oak St"),
    ("item", "labor"): QbRef("80000003-1700000000", "Labor"),
    ("item", "pipe"): QbRef("80000004-1700000000", "Copper Pipe"),
    ("vendor", "v-1"): QbRef("80000005-1700000000", "Ferguson Supply"),
    ("invoice", "inv-1"): QbRef("1A2B-1700000000"),
    ("invoice", "inv-2"): QbRef("1A2C-1700000000"),
}
SETTINGS: dict[str, Any] = {"tax_mapping": {"CA 7.25%": "CA Sales Tax"}}
ADDRESS = {"line1": "12 Oak St", "line2": "Unit 4", "city": "Fresno", "state": "CA", "postal_code": "93650"}

SAMPLES: dict[str, dict[str, Any]] = {
    "customer": {
        "first_name": "John",
        "last_name": "Smith",
        "email": "john@example.com",
        "phone": "(559) 555-0100",
        "billing_address": ADDRESS,
        "service_address": {**ADDRESS, "line1": "99 Elm Ave"},
        "notes": "Gate code 1234",
        "active": True,
    },
    "job": {"customer": "c-1", "number": "J-7", "address": ADDRESS, "description": "Water heater", "active": True},
    "item": {"name": "Labor", "type": "service", "description": "Hourly labor", "price": "95.00", "category": "labor"},
    "vendor": {"name": "Ferguson Supply", "company_name": "Ferguson", "address": ADDRESS, "is_1099": True},
    "invoice": {
        "customer": "c-1",
        "job": "j-1",
        "number": "1001",
        "date": "2024-05-01",
        "due_date": "2024-05-31",
        "terms": "Net 30",
        "tax_rate": "CA 7.25%",
        "memo": "Thanks",
        "lines": [
            {"item": "labor", "description": "Install", "quantity": "2", "rate": "95.00", "taxable": False},
            {"item": "pipe", "description": "Pipe", "quantity": "3", "rate": "4.10", "taxable": True},
        ],
    },
    "payment": {
        "customer": "c-1",
        "date": "2024-05-03",
        "amount": "202.30",
        "method": "Check",
        "reference": "4512",
        "applied_to": [{"invoice": "inv-1", "amount": "202.30"}],
    },
    "bill": {
        "vendor": "v-1",
        "number": "F-889",
        "date": "2024-05-02",
        "due_date": "2024-06-01",
        "expense_lines": [{"account": "Repairs", "amount": "40.00", "memo": "Permit", "job": "j-1"}],
        "item_lines": [{"item": "pipe", "description": "Pipe", "quantity": "10", "cost": "2.05", "amount": "20.50"}],
    },
}


def make_input(
    kind: str,
    data: dict[str, Any] | None = None,
    *,
    qb: QbIdentity | None = None,
    settings: dict[str, Any] | None = None,
    refs: dict | None = None,
    linked: dict[str, Any] | None = None,
) -> RequestInput:
    return RequestInput(
        kind=kind,
        external_id=f"{kind}-x",
        data=SAMPLES[kind] if data is None else data,
        settings=SETTINGS if settings is None else settings,
        qb=qb,
        refs=REFS if refs is None else refs,
        linked=linked,
    )


def schema_errors(built: Built) -> dict[str, list[str]]:
    """Return schema errors per qbXML version for a built request wrapped in a full message set."""
    return {v: validate(message_set([built.xml], v), v, SCHEMA_DIR) for v in ("13.0", "16.0")}


def have_schemas() -> bool:
    return (SCHEMA_DIR / "v13").is_dir() and (SCHEMA_DIR / "v16").is_dir()


@pytest.fixture
def assert_valid():
    """Check a built request against both schemas and return it parsed."""
    if not have_schemas():
        pytest.skip("the qbXML schemas (../shared/qbxml-xsd) are not beside this checkout")

    def check(built: Built) -> etree._Element:
        assert schema_errors(built) == {"13.0": [], "16.0": []}, built.xml
        return etree.fromstring(built.xml.encode())

    return check
