"""The records the benchmarks put through the REST API, as a field-service app would send them."""

from __future__ import annotations

from typing import Any

LINES_PER_INVOICE = 5
LINE_PRICE = "40.00"


def customer(n: int) -> dict[str, Any]:
    """Return customer number `n`."""
    return {
        "first_name": f"Ann{n}",
        "last_name": f"Smith{n}",
        "email": f"ann{n}@example.com",
        "phone": "555-0100",
        "billing_address": {"line1": f"{n} Main St", "city": "Springfield", "state": "IL", "postal_code": "62701"},
    }


def job(n: int, customer_id: str) -> dict[str, Any]:
    """Return job number `n` of a customer."""
    return {"customer": customer_id, "number": f"J{n}", "address": {"line1": f"{n} Oak Ave"}}


def item(n: int) -> dict[str, Any]:
    """Return service item number `n`."""
    return {"name": f"Service {n}", "type": "service", "price": LINE_PRICE, "category": "labor"}


def invoice(n: int, customer_id: str, item_ids: list[str], job_id: str | None = None) -> dict[str, Any]:
    """Return invoice number `n`: one line per item (five in the benchmarks), quantity 1 each."""
    lines = [
        {"id": f"l{i}", "item": item_id, "quantity": "1", "rate": LINE_PRICE} for i, item_id in enumerate(item_ids)
    ]
    body: dict[str, Any] = {
        "customer": customer_id,
        "number": f"B{n}",
        "date": "2026-11-02",
        "status": "sent",
        "lines": lines,
    }
    if job_id:
        body["job"] = job_id
    return body


def invoice_total(item_count: int) -> str:
    """Return the total of an invoice with `item_count` lines."""
    return f"{float(LINE_PRICE) * item_count:.2f}"


def payment(n: int, customer_id: str, invoice_id: str, amount: str) -> dict[str, Any]:
    """Return payment number `n`, applied in full to one invoice."""
    return {
        "customer": customer_id,
        "date": "2026-11-05",
        "amount": amount,
        "method": "Check",
        "reference": f"CHK-{n}",
        "applied_to": [{"invoice": invoice_id, "amount": amount}],
    }
