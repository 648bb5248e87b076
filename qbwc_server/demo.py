"""The demo behind `make run`: a sample company whose QuickBooks is the built-in simulator, synced on a timer.

Only the company called `demo` is ever simulated; real companies are synced by a real Web Connector.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from qbwc_server import passwords
from qbwc_server.companies import create_company, set_password
from qbwc_server.config import instance_dir
from qbwc_server.models import Company, Record, RecordKind
from qbwc_server.records.store import upsert
from qbwc_server.runtime import Runtime

log = logging.getLogger(__name__)

SLUG = "demo"
QBWC_USER = "demo-qbwc"


@dataclass
class DemoCompany:
    """What the demo needs to run its simulated Web Connector."""

    qbwc_user: str
    qbwc_password: str
    owner_id: str
    file_id: str


def prepare(runtime: Runtime) -> DemoCompany:
    """Create the demo company with sample records the first time; give its Web Connector user a fresh password."""
    password = passwords.generate_password()
    with runtime.transaction() as db:
        company = db.scalar(select(Company).where(Company.slug == SLUG))
        if company is None:
            company = create_company(db, SLUG, "Demo Plumbing & Heating", QBWC_USER, password, generated=True)
        else:
            set_password(db, SLUG, password, generated=True)
        if db.scalar(select(Record.id).where(Record.company_id == company.id).limit(1)) is None:
            seed(db, company)
        return DemoCompany(company.qbwc_username, password, company.owner_id, company.file_id)


SAMPLE: list[tuple[RecordKind, str, dict[str, Any]]] = [
    (
        RecordKind.CUSTOMER,
        "cust-1",
        {
            "first_name": "Maria",
            "last_name": "Lopez",
            "email": "maria@example.com",
            "phone": "555-0101",
            "billing_address": {"line1": "12 Oak Street", "city": "Springfield", "state": "IL"},
        },
    ),
    (
        RecordKind.CUSTOMER,
        "cust-2",
        {
            "company_name": "Riverside Apartments LLC",
            "phone": "555-0140",
            "billing_address": {"line1": "400 River Rd", "city": "Springfield"},
        },
    ),
    (RecordKind.CUSTOMER, "cust-3", {"first_name": "Tom", "last_name": "O'Neil", "email": "tom@example.com"}),
    (
        RecordKind.JOB,
        "job-1",
        {
            "customer": "cust-1",
            "number": "2024",
            "address": {"line1": "12 Oak Street"},
            "description": "Replace water heater",
        },
    ),
    (
        RecordKind.JOB,
        "job-2",
        {
            "customer": "cust-2",
            "number": "2025",
            "address": {"line1": "400 River Rd Unit 3"},
            "description": "Kitchen drain",
        },
    ),
    (
        RecordKind.ITEM,
        "item-labor",
        {
            "name": "Plumbing labor",
            "type": "service",
            "price": "95.00",
            "category": "labor",
            "description": "Licensed plumber, per hour",
        },
    ),
    (
        RecordKind.ITEM,
        "item-heater",
        {
            "name": "Water heater 50 gal",
            "type": "non_inventory",
            "price": "899.00",
            "cost": "610.00",
            "category": "materials",
        },
    ),
    (RecordKind.ITEM, "item-trip", {"name": "Call-out fee", "type": "other_charge", "price": "49.00"}),
    (
        RecordKind.INVOICE,
        "inv-2024",
        {
            "customer": "cust-1",
            "job": "job-1",
            "number": "2024",
            "date": "2026-11-02",
            "status": "finished",
            "terms": "Net 30",
            "lines": [
                {"item": "item-heater", "quantity": "1", "rate": "899.00"},
                {"item": "item-labor", "quantity": "3", "rate": "95.00"},
                {"item": "item-trip", "quantity": "1", "rate": "49.00"},
            ],
        },
    ),
    (
        RecordKind.INVOICE,
        "inv-2025",
        {
            "customer": "cust-2",
            "job": "job-2",
            "number": "2025",
            "date": "2026-11-05",
            "status": "sent",
            "lines": [{"item": "item-labor", "quantity": "2", "rate": "95.00"}],
        },
    ),
    (
        RecordKind.INVOICE,
        "inv-2026",
        {
            "customer": "cust-3",
            "number": "2026",
            "date": "2026-11-07",
            "status": "draft",
            "lines": [{"item": "item-trip", "amount": "49.00"}],
        },
    ),
    (
        RecordKind.PAYMENT,
        "pay-1",
        {
            "customer": "cust-1",
            "date": "2026-11-09",
            "amount": "500.00",
            "method": "Check",
            "reference": "1042",
            "applied_to": [{"invoice": "inv-2024", "amount": "500.00"}],
        },
    ),
    # A payment method QuickBooks does not have: the page shows the error and what to do about it.
    (
        RecordKind.PAYMENT,
        "pay-2",
        {
            "customer": "cust-2",
            "date": "2026-11-10",
            "amount": "190.00",
            "method": "Zelle",
            "applied_to": [{"invoice": "inv-2025", "amount": "190.00"}],
        },
    ),
    (
        RecordKind.VENDOR,
        "vend-1",
        {"name": "Ferguson Supply", "company_name": "Ferguson Supply", "is_1099": False, "phone": "555-0190"},
    ),
    (
        RecordKind.BILL,
        "bill-1",
        {
            "vendor": "vend-1",
            "number": "F-8812",
            "date": "2026-11-03",
            "memo": "Heater",
            "item_lines": [
                {"item": "item-heater", "quantity": "1", "cost": "610.00", "amount": "610.00", "job": "job-1"}
            ],
        },
    ),
]


def seed(db: Any, company: Company) -> None:
    """Put the sample records in, as a host app would through the API."""
    for kind, external_id, payload in SAMPLE:
        upsert(db, company, kind, external_id, payload)


class SimulatedWebConnector(threading.Thread):
    """Run a simulated Web Connector session against the local server every `interval` seconds."""

    def __init__(self, url: str, demo: DemoCompany, interval: float, state: Path | None = None) -> None:
        super().__init__(name="demo-web-connector", daemon=True)
        self.url = url
        self.demo = demo
        self.interval = interval
        self.state = state or instance_dir() / "demo-quickbooks.json"
        self.stopped = threading.Event()

    def run(self) -> None:
        from qbwc_server.simulator import FakeCompany, FakeWebConnector

        company = FakeCompany.load(self.state) if self.state.exists() else FakeCompany.demo(name="Demo Plumbing")
        self.stopped.wait(3)
        while not self.stopped.is_set():
            connector = FakeWebConnector(
                self.url,
                self.demo.qbwc_user,
                self.demo.qbwc_password,
                company,
                owner_id=self.demo.owner_id,
                file_id=self.demo.file_id,
            )
            try:
                report = connector.run_session()
                log.info("demo Web Connector: %s, %d round trips", report.outcome, report.round_trips)
            except Exception:  # the demo must keep running whatever one session did
                log.exception("demo Web Connector session failed")
            company.save(self.state)
            self.stopped.wait(self.interval)


def page_login(runtime: Runtime) -> tuple[str, str]:
    """Give the demo's page login (an admin) a fresh password and return the email and password."""
    from qbwc_server import passwords
    from qbwc_server.models import User
    from qbwc_server.users import create_user

    email = "admin@demo.local"
    password = secrets.token_urlsafe(12)
    with runtime.transaction() as db:
        user = db.scalar(select(User).where(User.email == email))
        if user is None:
            create_user(db, email, "admin", password)
        else:
            user.password_hash = passwords.hash_password(password)
    return email, password
