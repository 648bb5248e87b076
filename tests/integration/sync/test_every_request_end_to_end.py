"""Every request the server can build reaches the simulator and is answered as QuickBooks would, including a
payment edited after it was applied."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from qbwc_server.simulator import FakeCompany
from qbwc_server.simulator.webconnector import Faults

TEMPLATES = Path(__file__).resolve().parents[3] / "qbxml_templates"


class RecordingCompany(FakeCompany):
    """The demo company, noting each request type it answered and the status code it answered with."""

    answered: list[tuple[str, int]]

    def process_detailed(self, request_xml: str):  # type: ignore[no-untyped-def]
        result = super().process_detailed(request_xml)
        self.answered.extend((outcome.request, outcome.code) for outcome in result.outcomes)
        return result


def _rq_type(path: Path) -> str:
    """Return the request a template builds ('customer_add.xml.j2' -> 'CustomerAddRq', 'ar_…' -> 'AR…')."""
    parts = path.name.removesuffix(".xml.j2").split("_")
    return "".join(part.upper() if part == "ar" else part.title() for part in parts) + "Rq"


def _request_types_of_templates() -> set[str]:
    """Return the qbXML request each Add/Mod template builds ('customer_add.xml.j2' -> 'CustomerAddRq')."""
    types = set()
    for path in TEMPLATES.glob("*_add.xml.j2"):
        types.add(_rq_type(path))
    for path in TEMPLATES.glob("*_mod.xml.j2"):
        types.add(_rq_type(path))
    for path in (TEMPLATES / "txn_void.xml.j2", TEMPLATES / "txn_del.xml.j2"):  # the removals
        types.add(_rq_type(path))
    return types


def test_every_add_mod_and_query_the_server_builds_is_answered_by_the_simulator(harness):
    qb = RecordingCompany.demo()
    qb.answered = []
    h = harness(qb=qb, refund_account="Checking")
    # Given one record of every kind, whose first answers are lost so that each is looked up before it is re-sent
    h.put("customers", "c1", {"first_name": "Ann", "last_name": "Smith", "phone": "555-0100"})
    h.put("jobs", "j1", {"customer": "c1", "number": "1001", "address": {"line1": "5 Elm St"}})
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00", "category": "labor"})
    h.put("items", "i2", {"name": "PVC pipe", "type": "non_inventory", "price": "4.50", "category": "materials"})
    h.put("items", "i3", {"name": "After-hours fee", "type": "other_charge", "price": "25.00"})
    h.put("vendors", "v1", {"name": "Ferguson Supply", "is_1099": False})
    assert h.session(Faults(drop_response_at=1)).outcome == "dropped"
    h.sync()
    invoice = {
        "customer": "c1",
        "job": "j1",
        "number": "1001",
        "date": "2026-11-02",
        "status": "sent",
        "lines": [{"id": "a", "item": "i1", "quantity": "2", "rate": "95.00"}],
    }
    h.put("invoices", "inv1", invoice)
    bill = {
        "vendor": "v1",
        "number": "F-1",
        "date": "2026-11-03",
        "expense_lines": [{"account": "Job Materials", "amount": "40.00"}],
        "item_lines": [{"item": "i2", "quantity": "2", "cost": "3.10", "amount": "6.20"}],
    }
    h.put("bills", "b1", bill)
    h.sync()
    payment = {
        "customer": "c1",
        "date": "2026-11-05",
        "amount": "190.00",
        "method": "Check",
        "reference": "CHK-1",
        "applied_to": [{"invoice": "inv1", "amount": "190.00"}],
    }
    h.put("payments", "p1", payment)
    h.sync()
    # When the app edits every record once
    h.put("customers", "c1", {"first_name": "Ann", "last_name": "Smith", "phone": "555-0199"})
    h.put("jobs", "j1", {"customer": "c1", "number": "1001", "address": {"line1": "5 Elm St"}, "description": "x"})
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "99.00", "category": "labor"})
    h.put("items", "i2", {"name": "PVC pipe", "type": "non_inventory", "price": "4.75", "category": "materials"})
    h.put("items", "i3", {"name": "After-hours fee", "type": "other_charge", "price": "30.00"})
    h.put("vendors", "v1", {"name": "Ferguson Supply", "is_1099": True})
    h.put("invoices", "inv1", {**invoice, "memo": "Second visit"})
    h.put("bills", "b1", {**bill, "memo": "Pipes"})
    h.put("payments", "p1", {**payment, "amount": "120.00", "applied_to": [{"invoice": "inv1", "amount": "120.00"}]})
    h.sync()
    # And a credit memo is added, applied to the invoice, and changed
    credit = {
        "customer": "c1",
        "number": "CM-1",
        "date": "2026-11-06",
        "lines": [{"item": "i1", "amount": "15.00"}],
        "applied_to": [{"invoice": "inv1", "amount": "10.00"}],
    }
    h.put("credit_memos", "cm1", credit)
    h.sync()
    h.put("credit_memos", "cm1", {**credit, "memo": "Goodwill"})
    # And the 5.00 of credit left is refunded
    h.put("refunds", "r1", {"customer": "c1", "amount": "5.00", "method": "Check", "credit_memo": "cm1"})
    h.sync()
    kinds = ("customers", "jobs", "items", "vendors", "invoices", "payments", "bills", "credit_memos", "refunds")
    for kind in kinds:
        for record in h.call("GET", f"/api/v1/{kind}")[1]["data"]:
            assert record["sync"]["state"] == "synced", (kind, record["sync"])
    # When the app removes the payment (deleted), the bill and the credit memo (voided) and the vendor (inactive)
    removed = (("payments", "p1"), ("bills", "b1"), ("credit_memos", "cm1"), ("vendors", "v1"))
    for resource, external_id in removed:
        assert h.call("DELETE", f"/api/v1/{resource}/{external_id}")[0] == 200
    h.sync()

    # Then every Add, Mod and removal template was sent, lists and transactions were queried, none "not supported"
    sent = {request for request, _ in qb.answered}
    assert _request_types_of_templates() <= sent, _request_types_of_templates() - sent
    assert any(re.fullmatch(r"(Customer|Vendor|Item\w*)QueryRq", request) for request in sent), sent
    assert "InvoiceQueryRq" in sent
    assert [pair for pair in qb.answered if pair[1] == 1030] == []
    assert h.get("payments", "p1")["sync"]["state"] == "deleted"
    assert h.get("bills", "b1")["sync"]["state"] == "voided"
    assert h.get("credit_memos", "cm1")["sync"]["state"] == "voided"
    assert h.get("vendors", "v1")["sync"]["state"] == "inactive"


def _payment(amount: str, method: str, **applied: str) -> dict:
    """Return payment CHK-7 of customer c1, applied to the invoices named (by external id) with these amounts."""
    return {
        "customer": "c1",
        "date": "2026-11-05",
        "amount": amount,
        "method": method,
        "reference": "CHK-7",
        "applied_to": [{"invoice": invoice, "amount": part} for invoice, part in applied.items()],
    }


def test_a_payment_edited_after_it_was_applied_moves_the_invoice_balance_in_quickbooks(harness):
    h = harness()
    h.put("customers", "c1", {"first_name": "Ann", "last_name": "Smith"})
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00", "category": "labor"})
    lines = [{"id": "a", "item": "i1", "quantity": "2", "rate": "100.00"}]
    for n in (1, 2):
        h.put(
            "invoices",
            f"inv{n}",
            {"customer": "c1", "number": f"10{n}", "date": "2026-11-02", "status": "sent", "lines": lines},
        )
    h.put("payments", "p1", _payment("200.00", "Check", inv1="200.00"))
    h.sync()
    invoices = {i["RefNumber"]: i for i in h.qb_txns("Invoice")}
    total = Decimal(invoices["101"]["Subtotal"]) + Decimal(invoices["101"]["SalesTaxTotal"])
    assert Decimal(invoices["101"]["BalanceRemaining"]) == total - Decimal("200.00")
    [qb_payment] = h.qb_txns("ReceivePayment")
    txn_id = qb_payment["TxnID"]

    # When the app lowers the payment, pays part of the second invoice with it, and changes the method
    h.put("payments", "p1", _payment("150.00", "Cash", inv1="100.00", inv2="50.00"))
    h.sync()

    # Then QuickBooks still has one payment, changed in place, and both invoices' balances follow it
    [qb_payment] = h.qb_txns("ReceivePayment")
    assert qb_payment["TxnID"] == txn_id
    assert qb_payment["TotalAmount"] == "150.00"
    assert h.qb.name_of(qb_payment["PaymentMethodRef"]["ListID"]) == "Cash"
    invoices = {i["RefNumber"]: i for i in h.qb_txns("Invoice")}
    assert Decimal(invoices["101"]["BalanceRemaining"]) == total - Decimal("100.00")
    assert Decimal(invoices["102"]["BalanceRemaining"]) == total - Decimal("50.00")
    assert h.get("payments", "p1")["sync"]["state"] == "synced"

    # When the app applies it to the first invoice only again
    h.put("payments", "p1", _payment("150.00", "Cash", inv1="150.00"))
    h.sync()

    # Then the second invoice is open in full again
    invoices = {i["RefNumber"]: i for i in h.qb_txns("Invoice")}
    assert Decimal(invoices["102"]["BalanceRemaining"]) == total
    assert Decimal(invoices["101"]["BalanceRemaining"]) == total - Decimal("150.00")
