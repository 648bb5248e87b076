"""A bookkeeper whose Web Connector went quiet sees the alarm on the dashboard, with what to check."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time

from qbwc_server import clock, companies
from qbwc_server.models import Role
from qbwc_server.simulator.quickbooks import FakeCompany
from qbwc_server.simulator.webconnector import FakeWebConnector
from qbwc_server.users import create_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "owner@acme.test"
PASSWORD = "page password 1"
QBWC_PASSWORD = "Web-Connector-pass-42"


def test_a_quiet_web_connector_raises_the_alarm_on_the_dashboard(page, live_server, sqlite_runtime, screenshot):
    from playwright.sync_api import expect

    with sqlite_runtime.transaction() as db:
        company = companies.create_company(db, "acme", "Acme Plumbing", "acme-qbwc", QBWC_PASSWORD)
        create_user(db, EMAIL, Role.ADMIN, PASSWORD)
        ids = {"owner_id": company.owner_id, "file_id": company.file_id}

    # Given a Web Connector that last checked in, successfully, three and a half hours ago
    with freeze_time(clock.now() - timedelta(hours=3, minutes=30)):
        connector = FakeWebConnector(f"{live_server}/qbwc", "acme-qbwc", QBWC_PASSWORD, FakeCompany.demo(), **ids)
        report = connector.run_session()
    assert report.outcome not in ("invalid_user", "fault", "unreachable"), report.messages

    # When the bookkeeper opens the dashboard
    page.goto(live_server + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Then the status says it is not checking in, and the alert lists what to check with the last good session
    expect(page.locator(".big-light .light")).to_have_text("Not checking in")
    expect(page.locator(".explanation")).to_have_text(
        "The Web Connector has not started a session for 3 hours though it should every 15 minutes."
    )
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("has not checked in for more than 45 minutes")
    expect(alert).to_contain_text("Is the Windows computer with QuickBooks on")
    expect(alert).to_contain_text("Is QuickBooks open")
    expect(alert).to_contain_text("password for this company saved")
    expect(alert).to_contain_text(re.compile(r"Last good session: \d{4}-\d\d-\d\d \d\d:\d\d UTC"))
    screenshot(page, "not-checking-in")
