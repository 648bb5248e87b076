"""The money agrees: QuickBooks' totals are compared with the app's, paid status comes back, and a reconciliation
report shows both sides — end to end over HTTP through the simulator."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
from decimal import Decimal

from click.testing import CliRunner
from sqlalchemy import select

from qbwc_server.cli import main
from qbwc_server.models import Company, Record, RecordKind
from qbwc_server.simulator.webconnector import Faults
from qbwc_server.sync import lifecycle
from qbwc_server.sync.lifecycle import Event
from qbwc_server.users import create_user

MAPPING = {"IL 7.5%": {"item": "State Tax", "rate": "7.5"}}
LINES = [
    {"id": "a", "item": "i1", "quantity": "2", "rate": "95.00", "taxable": True},
    {"id": "b", "item": "i2", "quantity": "10", "rate": "4.50", "taxable": True},
]


UNTAXED = [{**line, "taxable": False} for line in LINES]


def _setup(h) -> None:
    h.put("customers", "c1", {"first_name": "Ann", "last_name": "Smith"})
    h.put("items", "i1", {"name": "Drain cleaning", "type": "service", "price": "95.00", "category": "labor"})
    h.put("items", "i2", {"name": "PVC pipe", "type": "non_inventory", "price": "4.50", "category": "materials"})


def _invoice(number: str = "1001", **extra) -> dict:
    # The app charges 7.5% on 235.00: 17.63 of tax, 252.63 in all. QuickBooks' "State Tax" is 6.25%.
    invoice = {
        "customer": "c1",
        "number": number,
        "date": "2026-11-02",
        "status": "sent",
        "tax_rate": "IL 7.5%",
        "lines": LINES,
        "subtotal": "235.00",
        "tax_total": "17.63",
        "total": "252.63",
        **extra,
    }
    return {key: value for key, value in invoice.items() if value is not None}


def _payment(amount: str, invoice: str = "inv1", ref: str = "CHK-1", **extra) -> dict:
    return {
        "customer": "c1",
        "date": "2026-11-05",
        "amount": amount,
        "method": "Check",
        "reference": ref,
        "applied_to": [{"invoice": invoice, "amount": amount}],
        **extra,
    }


def _qb_payment(h, invoice_txn_id: str, amount: str, ref: str, day: str = "2026-11-06") -> None:
    """Record a payment in QuickBooks itself, as a bookkeeper would at the counter."""
    customer = h.qb_named("Customer", "Smith, Ann")[0]["ListID"]
    answer = h.qb.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        f"<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><ListID>{customer}</ListID></CustomerRef>"
        f"<TxnDate>{day}</TxnDate><RefNumber>{ref}</RefNumber><TotalAmount>{amount}</TotalAmount>"
        "<PaymentMethodRef><FullName>Check</FullName></PaymentMethodRef>"
        f"<AppliedToTxnAdd><TxnID>{invoice_txn_id}</TxnID><PaymentAmount>{amount}</PaymentAmount></AppliedToTxnAdd>"
        "</ReceivePaymentAdd></ReceivePaymentAddRq></QBXMLMsgsRq></QBXML>"
    )
    assert 'statusCode="0"' in answer, answer


def _import(h, *kinds: str) -> None:
    """Queue an import as the app does (REST API), then let the Web Connector run it."""
    status, answer = h.call("POST", "/api/v1/imports", {"kinds": list(kinds)})
    assert status == 202, answer
    h.sync()


def _page(h, path: str, role: str = "bookkeeper") -> str:
    """Return a page's HTML as a signed-in bookkeeper sees it (signing in over HTTP with the form's CSRF token)."""
    opener = getattr(h, "page_opener", None)
    if opener is None:
        with h.runtime.transaction() as db:
            create_user(db, "books@example.com", role, "a long page password", [h.slug])
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        login = opener.open(h.server.url + "/login").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        form = {"email": "books@example.com", "password": "a long page password", "csrf_token": token}
        opener.open(h.server.url + "/login", urllib.parse.urlencode(form).encode())
        h.page_opener = opener
    return opener.open(h.server.url + path).read().decode().replace("&#39;", "'")


def _record_id(h, kind: RecordKind, external_id: str) -> int:
    return next(r.id for r in h.records(kind) if r.external_id == external_id)


def test_a_tax_rate_mapped_to_an_item_with_another_rate_shows_both_totals_and_the_cause(harness):
    h = harness(tax_mapping=MAPPING)
    _setup(h)
    h.put("invoices", "inv1", _invoice())
    h.sync()

    # QuickBooks charged its own 6.25% on the two taxable lines: 14.69 of tax, not the app's 17.63
    qb = h.qb_txns("Invoice")[0]
    assert (qb["Subtotal"], qb["SalesTaxTotal"], qb["BalanceRemaining"]) == ("235.00", "14.69", "249.69")
    record = h.get("invoices", "inv1")
    assert record["sync"]["state"] == "synced"
    assert record["quickbooks"]["totals"] == {
        "subtotal": "235.00",
        "tax": "14.69",
        "total": "249.69",
        "balance": "249.69",
    }
    assert record["quickbooks"]["paid"] is False
    assert (record["subtotal"], record["tax_total"], record["total"]) == ("235.00", "17.63", "252.63")
    [warning] = record["sync"]["warnings"]
    assert warning["app"] == {"subtotal": "235.00", "tax": "17.63", "total": "252.63"}
    assert warning["quickbooks"] == {"subtotal": "235.00", "tax": "14.69", "total": "249.69"}
    assert warning["message"].startswith(
        "QuickBooks' total for this invoice is 249.69, the app's is 252.63 (2.94 lower in QuickBooks). "
        "Also sales tax: QuickBooks 14.69, app 17.63."
    )
    assert warning["causes"] == [
        "The tax rate 'IL 7.5%' is mapped to the QuickBooks sales tax item 'State Tax', which QuickBooks charges at "
        "6.25%; the app charges 7.5%. Map 'IL 7.5%' to an item with the app's rate, or correct the item's rate in "
        "QuickBooks."
    ]
    assert any(e["event"] == "warning" and "249.69" in e["message"] for e in record["sync"]["log"])

    # The page shows QuickBooks' figures and the warning on the record, on the errors page and on the dashboard
    record_page = _page(h, f"/c/acme/records/{_record_id(h, RecordKind.INVOICE, 'inv1')}")
    assert "QuickBooks' figures differ from the app's" in record_page
    assert "charges at 6.25%; the app charges 7.5%" in record_page
    assert re.search(r"<dt>Sales tax</dt><dd>14.69 \(State Tax at 6.25%\)</dd>", record_page)
    errors_page = _page(h, "/c/acme/errors")
    assert "QuickBooks' totals differ from the app's" in errors_page and "249.69" in errors_page
    dashboard = _page(h, "/c/acme/")
    assert "QuickBooks' totals differ from the app's on 1 record" in dashboard

    # The app's final payment of its own balance is refused, and the refusal says which invoice is lower, by how much
    h.put("payments", "p1", _payment("252.63"))
    h.sync()
    payment = h.get("payments", "p1")["sync"]
    assert payment["state"] == "error" and payment["last_error"]["status_code"] == 3210
    assert payment["last_error"]["hint"].startswith(
        "The payment is more than the invoice's open balance in QuickBooks: Invoice 1001 has a balance of 249.69 in "
        "QuickBooks, 2.94 less than the 252.63 this payment applies to it. "
        "QuickBooks' total for that invoice differs from the app's; see the invoice's warning."
    )
    assert h.qb_txns("ReceivePayment") == []

    # Mapped to a QuickBooks item with the app's rate, the invoice's next change brings the figures together
    h.qb.insert_list("ItemSalesTax", {"Name": "IL Combined", "TaxRate": "7.5"})
    mapping = {"IL 7.5%": {"item": "IL Combined", "rate": "7.5"}}
    assert h.call("PATCH", "/api/v1/settings", {"tax_mapping": mapping})[0] == 200
    h.put("invoices", "inv1", _invoice(memo="Tax mapping corrected"))
    h.sync()
    record = h.get("invoices", "inv1")
    assert record["quickbooks"]["totals"]["total"] == "252.63" and record["sync"]["warnings"] == []
    assert h.call("POST", "/api/v1/payments/p1/sync")[0] == 200
    h.sync()
    assert h.get("payments", "p1")["sync"]["state"] == "synced"
    paid = h.get("invoices", "inv1")
    assert paid["quickbooks"]["paid"] is True and paid["quickbooks"]["totals"]["balance"] == "0.00"
    assert any(
        e["event"] == "paid" and "by payment p1 reference CHK-1 of 2026-11-05 (252.63 applied)" in e["message"]
        for e in paid["sync"]["log"]
    )


def test_the_settings_page_flags_a_mapping_whose_rates_differ_before_anything_is_sent(harness):
    h = harness(tax_mapping=MAPPING)
    _import(h, "items")  # QuickBooks' sales tax items, with their rates
    page = _page(h, "/c/acme/settings", role="admin")
    assert (
        "“IL 7.5%” is mapped to “State Tax”, which QuickBooks charges at 6.25%, but the app charges 7.5%: invoices "
        "with this rate will total differently in QuickBooks." in page
    )
    assert h.qb_txns("Invoice") == []
    # Mapped to an item whose rate agrees, nothing is flagged
    assert (
        h.call("PATCH", "/api/v1/settings", {"tax_mapping": {"IL 7.5%": {"item": "State Tax", "rate": "6.25"}}})[0]
        == 200
    )
    assert "tax-rate-differs" not in _page(h, "/c/acme/settings", role="admin")
    # A rate that is no percentage is refused, naming the setting, and nothing changes
    status, answer = h.call("PATCH", "/api/v1/settings", {"tax_mapping": {"IL": {"item": "State Tax", "rate": "lots"}}})
    assert status == 422 and "tax_mapping" in answer["errors"]
    assert h.call("GET", "/api/v1/settings")[1]["settings"]["tax_mapping"] == {
        "IL 7.5%": {"item": "State Tax", "rate": "6.25"}
    }


def test_a_payment_recorded_in_quickbooks_makes_the_invoice_paid_after_an_import_of_payments(harness):
    h = harness(tax_mapping={"IL 7.5%": {"item": "State Tax", "rate": "6.25"}})
    _setup(h)
    h.put("invoices", "inv1", _invoice(tax_total=None, total=None))
    h.sync()
    record = h.get("invoices", "inv1")
    assert record["quickbooks"]["totals"]["balance"] == "249.69" and record["sync"]["warnings"] == []

    # Given the customer paid part at the counter, entered in QuickBooks, and the rest with a payment of the app
    txn_id = record["quickbooks"]["id"]
    _qb_payment(h, txn_id, "100.00", "777")
    h.put("payments", "p1", _payment("149.69"))
    h.sync()
    # Our own payment's answer carries QuickBooks' balance: QuickBooks had the counter payment already
    record = h.get("invoices", "inv1")
    assert record["quickbooks"]["paid"] is True and record["quickbooks"]["totals"]["balance"] == "0.00"

    # A second invoice is paid only in QuickBooks; an import of payments (as the API queues it) brings that back
    h.put("invoices", "inv2", _invoice("1002", tax_total=None, total=None))
    h.sync()
    second = h.get("invoices", "inv2")
    assert second["quickbooks"]["paid"] is False
    _qb_payment(h, second["quickbooks"]["id"], "249.69", "778")
    assert h.get("invoices", "inv2")["quickbooks"]["paid"] is False  # nothing is known before an import
    _import(h, "payments")
    second = h.get("invoices", "inv2")
    assert second["quickbooks"]["paid"] is True
    assert second["quickbooks"]["totals"]["balance"] == "0.00"
    assert second["sync"]["state"] == "synced"
    [line] = [e["message"] for e in second["sync"]["log"] if e["event"] == "paid"]
    assert line == (
        "Paid in full in QuickBooks by the payment of 249.69 by Check (reference 778) recorded in QuickBooks on "
        "2026-11-06 (249.69 applied); balance 0.00."
    )
    # Importing the same payments again says nothing more
    _import(h, "payments")
    assert [e["event"] for e in h.get("invoices", "inv2")["sync"]["log"]].count("paid") == 1

    # A third invoice is paid in QuickBooks in two parts; importing invoices and payments together names the last one
    h.put("invoices", "inv3", _invoice("1003", tax_total=None, total=None))
    h.sync()
    third = h.get("invoices", "inv3")["quickbooks"]["id"]
    _qb_payment(h, third, "49.69", "780", day="2026-11-07")
    _qb_payment(h, third, "200.00", "781", day="2026-11-09")
    _import(h, "invoices", "payments")
    paid = h.get("invoices", "inv3")
    assert paid["quickbooks"]["paid"] is True
    assert [e["message"] for e in paid["sync"]["log"] if e["event"] == "paid"] == [
        "Paid in full in QuickBooks by the payment of 200.00 by Check (reference 781) recorded in QuickBooks on "
        "2026-11-09 (200.00 applied); balance 0.00."
    ]


def test_the_reconciliation_report_lists_each_case_and_its_sums_agree_with_quickbooks(harness, runtime, monkeypatch):
    h = harness(tax_mapping=MAPPING)
    _setup(h)
    h.put("invoices", "inv1", _invoice())  # QuickBooks' total differs (tax mapping)
    untaxed = {"tax_rate": None, "tax_total": None, "total": None, "lines": UNTAXED}
    h.put("invoices", "inv2", _invoice("1002", **untaxed))  # agrees: 235.00
    h.put("invoices", "inv3", _invoice("1003", **untaxed))  # will be deleted in QuickBooks
    h.put("invoices", "old", _invoice("0999", date="2026-10-30", **untaxed))  # before the period
    h.put("payments", "p1", _payment("235.00", invoice="inv2"))
    h.sync()
    # Given invoice 1003 was deleted in QuickBooks (and the server noticed), and QuickBooks has entries of its own
    gone = h.get("invoices", "inv3")["quickbooks"]["id"]
    del h.qb.state.txns["Invoice"][gone]
    h.qb._reindex()
    with h.runtime.transaction() as db:
        record = db.scalar(select(Record).where(Record.external_id == "inv3", Record.kind == RecordKind.INVOICE))
        lifecycle.move(db, record, Event.VANISH)
    counter = h.qb.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><InvoiceAddRq>'
        "<InvoiceAdd><CustomerRef><FullName>Smith, Ann</FullName></CustomerRef><TxnDate>2026-11-20</TxnDate>"
        "<RefNumber>Q-1</RefNumber><InvoiceLineAdd><ItemRef><FullName>Drain cleaning</FullName></ItemRef>"
        "<Quantity>1</Quantity></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq></QBXMLMsgsRq></QBXML>"
    )
    counter_id = re.search(r"<TxnID>([^<]+)</TxnID>", counter).group(1)
    _qb_payment(h, counter_id, "40.00", "779", day="2026-11-21")
    _import(h, "invoices", "payments")

    status, report = h.call("GET", "/api/v1/reconciliation?from=2026-11-01&to=2026-11-30")
    assert status == 200
    assert [(x["external_id"], x["app_total"], x["quickbooks_total"]) for x in report["totals_differ"]] == [
        ("inv1", "252.63", "249.69")
    ]
    assert "6.25%" in report["totals_differ"][0]["fix"]
    assert [x["external_id"] for x in report["deleted_in_quickbooks"]] == ["inv3"]
    only = {(x["kind"], x["external_id"]) for x in report["only_in_quickbooks"]}
    payment_id = next(p["TxnID"] for p in h.qb_txns("ReceivePayment") if p.get("RefNumber") == "779")
    assert only == {("invoice", f"qb-{counter_id}"), ("payment", f"qb-{payment_id}")}

    # QuickBooks' sums as QuickBooks itself has them, for the same dates
    def in_period(txn) -> bool:
        return "2026-11-01" <= txn["TxnDate"] <= "2026-11-30"

    qb_invoices = [t for t in h.qb_txns("Invoice") if in_period(t)]
    qb_payments = [t for t in h.qb_txns("ReceivePayment") if in_period(t)]
    invoice_total = sum(Decimal(t["Subtotal"]) + Decimal(t["SalesTaxTotal"]) for t in qb_invoices)
    payment_total = sum(Decimal(t["TotalAmount"]) for t in qb_payments)
    sums = {s["kind"]: s for s in report["sums"]}
    assert sums["invoices"]["quickbooks"] == {"count": len(qb_invoices), "total": f"{invoice_total:.2f}"}
    assert sums["payments"]["quickbooks"] == {"count": len(qb_payments), "total": f"{payment_total:.2f}"}
    # The app's side: 252.63 + 235.00 + 235.00 (the deleted one is still ours), and the one payment
    assert sums["invoices"]["app"] == {"count": 3, "total": "722.63"}
    assert sums["payments"]["app"] == {"count": 1, "total": "235.00"}
    assert report["agrees"] is False

    # A bad date is refused, naming the field
    status, answer = h.call("GET", "/api/v1/reconciliation?from=2026-13-01")
    assert status == 422 and "from" in answer["errors"]

    # The page shows the same lines with their fixes
    page = _page(h, "/c/acme/reconciliation?from=2026-11-01&to=2026-11-30")
    assert "inv3" in page and "Someone deleted it in QuickBooks" in page
    assert f"{invoice_total:.2f}" in page

    # And so does the command line
    monkeypatch.setenv("QBWC_DATABASE_URL", h.runtime.settings.database_url)
    monkeypatch.setenv("QBWC_SECRET_KEY", "test-secret-key")
    result = CliRunner().invoke(main, ["reconcile", "acme", "--from", "2026-11-01", "--to", "2026-11-30"])
    assert result.exit_code == 0, result.output
    assert f"{'invoices':<10} {'3 = 722.63':>16} {f'{len(qb_invoices)} = {invoice_total:.2f}':>16}" in result.output
    assert "Deleted in QuickBooks: 1" in result.output and "invoice inv3" in result.output
    bad = CliRunner().invoke(main, ["reconcile", "acme", "--to", "yesterday"])
    assert bad.exit_code == 1 and "to: must be a date" in bad.output
    with h.runtime.transaction() as db:
        assert db.scalar(select(Company).where(Company.slug == "acme")) is not None


def test_a_payment_whose_answer_was_lost_still_marks_the_invoice_paid_once_it_is_found(harness):
    h = harness(tax_mapping={"IL 7.5%": {"item": "State Tax", "rate": "6.25"}})
    _setup(h)
    h.put("invoices", "inv1", _invoice(tax_total=None, total=None))
    h.sync()
    h.put("payments", "p1", _payment("249.69"))
    # QuickBooks applies the payment, but its answer never reaches the server
    assert h.session(Faults(drop_response_at=1)).outcome == "dropped"
    assert len(h.qb_txns("ReceivePayment")) == 1
    assert h.get("invoices", "inv1")["quickbooks"]["paid"] is False
    # The next session looks the payment up instead of adding it again, and takes the invoice's balance from it
    h.sync()
    assert len(h.qb_txns("ReceivePayment")) == 1
    assert h.get("payments", "p1")["sync"]["state"] == "synced"
    invoice = h.get("invoices", "inv1")
    assert invoice["quickbooks"]["paid"] is True and invoice["quickbooks"]["totals"]["balance"] == "0.00"
    assert [e["message"] for e in invoice["sync"]["log"] if e["event"] == "paid"] == [
        "Paid in full in QuickBooks by payment p1 reference CHK-1 of 2026-11-05 (249.69 applied); balance 0.00."
    ]


def test_a_credit_memo_gets_the_same_totals_comparison_as_an_invoice(harness):
    h = harness(tax_mapping=MAPPING)
    _setup(h)
    # The app credits 7.5% of tax on 235.00 (252.63); QuickBooks' "State Tax" charges 6.25%.
    h.put(
        "credit_memos",
        "cm1",
        {"customer": "c1", "number": "CM-1", "date": "2026-11-04", "tax_rate": "IL 7.5%", "lines": LINES},
    )
    h.sync()

    record = h.get("credit_memos", "cm1")
    assert record["sync"]["state"] == "synced"
    assert record["quickbooks"]["totals"] == {
        "subtotal": "235.00",
        "tax": "14.69",
        "total": "249.69",
        "balance": "249.69",  # the credit QuickBooks has left of it
    }
    [warning] = record["sync"]["warnings"]
    assert warning["message"].startswith("QuickBooks' total for this credit memo is 249.69, the app's is 252.63")
    assert "6.25%" in warning["causes"][0]
