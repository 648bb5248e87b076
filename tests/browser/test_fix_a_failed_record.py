"""A bookkeeper in a real browser: sees a record fail, reads the hint, fixes the setting, reprocesses, sees it sync."""

from __future__ import annotations

import re

import pytest

from qbwc_server import companies
from qbwc_server.models import QbListEntry, RecordKind, Role
from qbwc_server.records import store
from qbwc_server.simulator import samples
from qbwc_server.simulator.quickbooks import FakeCompany
from qbwc_server.simulator.webconnector import FakeWebConnector
from qbwc_server.users import create_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "owner@acme.test"
PASSWORD = "page password 1"
QBWC_PASSWORD = "Web-Connector-pass-42"
PIPE = {
    "name": "Copper pipe 1/2in",
    "type": "non_inventory",
    "category": "materials",
    "description": "Half-inch copper pipe, per foot",
    "price": "12.50",
}


@pytest.fixture
def acme(sqlite_runtime):
    """A company whose materials income account names an account QuickBooks does not have."""
    with sqlite_runtime.transaction() as db:
        company = companies.create_company(db, "acme", "Acme Plumbing", "acme-qbwc", QBWC_PASSWORD)
        company.settings = {"income_account_materials": "Material Sales", "duplicate_names": "error"}
        # The chart of accounts as an earlier import from this QuickBooks company left it.
        for number, (name, account_type, _special) in enumerate(samples.ACCOUNTS, start=1):
            db.add(
                QbListEntry(
                    company_id=company.id,
                    list_type="account",
                    list_id=f"{number:08X}-1700000000",
                    full_name=name,
                    subtype=account_type,
                )
            )
        create_user(db, EMAIL, Role.ADMIN, PASSWORD)
        store.upsert(db, company, RecordKind.CUSTOMER, "cust-1", {"first_name": "Maria", "last_name": "Garcia"})
        store.upsert(db, company, RecordKind.ITEM, "pipe-1", PIPE)
        # A customer named like someone QuickBooks has in its Other Names list: a second, different error.
        store.upsert(db, company, RecordKind.CUSTOMER, "cust-2", {"name": "Jordan Owner", "first_name": "Jordan"})
        return {"owner_id": company.owner_id, "file_id": company.file_id}


def test_a_bookkeeper_fixes_a_failed_item_and_sees_it_sync(page, live_server, acme, screenshot):
    from playwright.sync_api import expect

    quickbooks = FakeCompany.demo()
    web_connector = FakeWebConnector(
        f"{live_server}/qbwc",
        "acme-qbwc",
        QBWC_PASSWORD,
        quickbooks,
        owner_id=acme["owner_id"],
        file_id=acme["file_id"],
    )

    # Given a bookkeeper signed in before QuickBooks ever connected
    page.goto(live_server + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator(".big-light .light")).to_have_text("Never connected")

    # When the Web Connector runs a session, the item fails in QuickBooks
    report = web_connector.run_session()
    assert report.outcome not in ("invalid_user", "fault", "unreachable"), report.messages
    page.reload()
    expect(page.locator(".big-light .light")).to_have_text("Error")
    expect(page.locator(".explanation")).to_have_text("2 records did not sync and need a look.")
    expect(page.get_by_text("Sample Service Company")).to_be_visible()
    screenshot(page, "dashboard")

    # Then the errors page says what QuickBooks said and what to do about it
    page.get_by_role("link", name=re.compile(r"^Errors")).click()
    expect(page.get_by_role("heading", name="What did not sync")).to_be_visible()
    account_cause = page.locator("section.cause", has_text="Material Sales")
    expect(account_cause).to_contain_text('invalid reference to QuickBooks Account "Material Sales"')
    expect(account_cause.locator(".hint")).to_have_text(
        "What to do: Create the account 'Material Sales' in QuickBooks, "
        "or choose another account in the settings' account mappings."
    )
    name_cause = page.locator("section.cause", has_text="Jordan Owner")
    expect(name_cause.locator(".hint")).to_contain_text("A vendor, employee or other name in QuickBooks already uses")
    screenshot(page, "errors")

    # When the bookkeeper picks an account QuickBooks has, on the settings page
    page.get_by_role("link", name="Settings").click()
    materials = page.get_by_label("Income account for materials items")
    expect(materials).to_have_value("Material Sales")
    expect(page.locator("#row-income_account_materials .field-warning")).to_contain_text(
        "QuickBooks does not have “Material Sales”"
    )
    materials.select_option("Materials Income")
    screenshot(page, "settings")
    page.get_by_role("button", name="Save settings").last.click()
    expect(page.locator(".flash-success")).to_contain_text("Saved.")
    expect(page.get_by_label("Income account for materials items")).to_have_value("Materials Income")

    # And reprocesses the item from its page
    page.get_by_role("link", name=re.compile(r"^Errors")).click()
    page.get_by_role("link", name="Item Copper pipe 1/2in").click()
    expect(page.locator(".hint")).to_contain_text("Create the account 'Material Sales'")
    screenshot(page, "record-error")
    page.get_by_role("button", name="Reprocess").click()
    expect(page.locator(".flash-success")).to_contain_text("is queued again")
    expect(page.locator(".state-card .badge")).to_have_text("Queued")

    # Then after the next Web Connector session the item is in QuickBooks
    web_connector.run_session()
    page.reload()
    expect(page.locator(".state-card .badge")).to_have_text("Synced")
    list_id = quickbooks.list_by_name("ItemNonInventory", "Copper pipe 1/2in")["ListID"]
    expect(page.locator("#qb-identity")).to_contain_text(list_id)
    timeline = page.locator("ol.timeline")
    expect(timeline.locator(".event-failed")).to_contain_text("QuickBooks answered 3140")
    expect(timeline.locator(".event-synced")).to_contain_text("Added to QuickBooks")
    # The qbXML exchanged is there, folded; opened, it is indented and names the fixed account
    last_request = timeline.locator("details", has_text="Request sent to QuickBooks").last
    last_request.locator("summary").click()
    expect(last_request.locator("pre.xml")).to_contain_text("<FullName>Materials Income</FullName>")
    screenshot(page, "record-timeline")

    # And the bell now counts only the record that still needs a look
    expect(page.locator(".bell .count")).to_have_text("1")
    page.get_by_role("link", name="Records").click()
    expect(page.locator("table.records")).to_contain_text("Copper pipe 1/2in")
    screenshot(page, "records")


def test_the_page_works_from_the_keyboard_and_on_a_phone(browser, live_server, acme, screenshot):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_server + "/login")
        # The sign-in form starts in the email field and is sent without a mouse
        expect(page.get_by_label("Email")).to_be_focused()
        page.keyboard.type(EMAIL)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.locator(".big-light .light")).to_have_text("Never connected")
        # On every page the first Tab reaches the skip link, and it leads to the content
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_text("Skip to content")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"#main$"))
        # Nothing is wider than the phone's screen
        screenshot(page, "dashboard-phone")
        for path in ("/c/acme/", "/c/acme/records", "/c/acme/settings", "/c/acme/errors"):
            page.goto(live_server + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, path
    finally:
        context.close()
