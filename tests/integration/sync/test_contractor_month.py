"""A contractor's month: hundreds of invoices with lines, payments applied to them, vendors and bills, all
reaching QuickBooks once with every total matching the app's."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from qbwc_server.models import RecordKind
from tests.harness import Harness


@pytest.fixture
def month(sqlite_runtime):
    h = Harness(sqlite_runtime)
    yield h
    h.close()


def test_a_month_of_invoices_payments_and_bills_matches_to_the_cent(month):
    h = month
    rng = random.Random(7)
    # Given 40 customers (half with a job), 12 items, 200 invoices of 3-5 lines, 150 payments, 8 vendors, 40 bills
    for n in range(40):
        h.put("customers", f"c{n}", {"first_name": f"Pat{n}", "last_name": f"Lee{n}"})
        if n % 2:
            h.put("jobs", f"j{n}", {"customer": f"c{n}", "number": f"{1000 + n}", "address": {"line1": f"{n} Elm"}})
    for n in range(12):
        h.put(
            "items",
            f"i{n}",
            {
                "name": f"Task {n}",
                "type": "service" if n % 3 else "non_inventory",
                "price": f"{10 + n}.50",
                "category": "labor" if n % 3 else "materials",
            },
        )
    expected: dict[str, Decimal] = {}
    for n in range(200):
        lines = []
        for k in range(rng.randint(3, 5)):
            quantity, rate = Decimal(rng.randint(1, 8)), Decimal(rng.randint(500, 20000)) / 100
            lines.append({"id": str(k), "item": f"i{rng.randrange(12)}", "quantity": str(quantity), "rate": str(rate)})
        customer = n % 40
        invoice = {
            "customer": f"c{customer}",
            "number": f"M{n:04d}",
            "date": f"2026-10-{1 + n % 28:02d}",
            "status": "sent",
            "lines": lines,
        }
        if customer % 2:
            invoice["job"] = f"j{customer}"
        h.put("invoices", f"inv{n}", invoice)
        expected[f"M{n:04d}"] = sum(Decimal(li["quantity"]) * Decimal(li["rate"]) for li in lines)
    paid: dict[str, Decimal] = {}
    for n in range(150):
        amount = (expected[f"M{n:04d}"] / (2 if n % 3 == 0 else 1)).quantize(Decimal("0.01"))
        paid[f"M{n:04d}"] = amount
        h.put(
            "payments",
            f"p{n}",
            {
                "customer": f"c{n % 40}",
                "date": "2026-10-30",
                "amount": str(amount),
                "method": "Check",
                "reference": f"CHK{n}",
                "applied_to": [{"invoice": f"inv{n}", "amount": str(amount)}],
            },
        )
    for n in range(8):
        h.put("vendors", f"v{n}", {"name": f"Supplier {n}", "is_1099": n % 2 == 0})
    for n in range(40):
        h.put(
            "bills",
            f"b{n}",
            {
                "vendor": f"v{n % 8}",
                "number": f"B{n}",
                "date": "2026-10-15",
                "expense_lines": [{"account": "Job Materials", "amount": f"{50 + n}.25", "customer": f"c{n % 40}"}],
                "item_lines": [{"item": "i0", "quantity": "2", "cost": "3.10", "amount": "6.20"}],
            },
        )

    # When the Web Connector runs until nothing is left
    reports = h.sync(max_sessions=4)

    # Then every record is synced, QuickBooks holds exactly one of each, and every total matches
    for kind in set(RecordKind) - {RecordKind.CREDIT_MEMO, RecordKind.REFUND}:  # the month has neither
        states = {r.sync_state.value for r in h.records(kind)}
        assert states == {"synced"}, (kind, states)
    invoices = {i["RefNumber"]: i for i in h.qb_txns("Invoice")}
    assert len(invoices) == len(h.qb_txns("Invoice")) == 200
    for number, subtotal in expected.items():
        assert Decimal(invoices[number]["Subtotal"]) == subtotal
        # QuickBooks adds its own sales tax on taxable lines; the balance is its total less what was applied.
        total = subtotal + Decimal(invoices[number].get("SalesTaxTotal") or "0")
        assert Decimal(invoices[number]["BalanceRemaining"]) == total - paid.get(number, Decimal(0))
    assert len(h.qb_txns("ReceivePayment")) == 150
    bills = h.qb_txns("Bill")
    assert len(bills) == 40
    assert sum(Decimal(b["AmountDue"]) for b in bills) == sum(
        Decimal(f"{50 + n}.25") + Decimal("6.20") for n in range(40)
    )
    round_trips = sum(r.round_trips for r in reports)
    records = 40 + 20 + 12 + 200 + 150 + 8 + 40
    # Lists, invoices and bills in batches of 25; payments wait one round trip for their invoices' TxnIDs.
    assert round_trips <= -(-records // 25) + 3
