"""Company state: QuickBooks' text rules, ids and time stamps, JSON save/load and big generated companies."""

from __future__ import annotations

import re
from pathlib import Path

from qbwc_server.simulator import FakeCompany

from .conftest import SteppingClock
from .helpers import one, qbxml, responses, status


def test_text_outside_latin1_is_stored_as_question_marks(company: FakeCompany) -> None:
    rs = one(
        company,
        "<CustomerAddRq><CustomerAdd><Name>Zoë Łukasz 李</Name><Notes>Café ✓</Notes></CustomerAdd></CustomerAddRq>",
    )
    assert rs.findtext("CustomerRet/Name") == "Zoë ?ukasz ?"
    again = one(company, "<CustomerQueryRq><FullName>Zoë ?ukasz ?</FullName></CustomerQueryRq>")
    assert again.findtext("CustomerRet/Notes") == "Café ?"


def test_ids_and_times_have_quickbooks_formats(company: FakeCompany, clock: SteppingClock) -> None:
    customer = one(company, "<CustomerAddRq><CustomerAdd><Name>Format Check</Name></CustomerAdd></CustomerAddRq>")
    ret = customer.find("CustomerRet")
    assert re.fullmatch(r"8000[0-9A-F]{4}-17000\d{5}", ret.findtext("ListID"))
    assert re.fullmatch(r"2023-11-14T17:\d\d:\d\d-05:00", ret.findtext("TimeCreated"))
    assert ret.findtext("EditSequence") == ret.findtext("ListID").split("-")[1]
    invoice = one(
        company,
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Format Check</FullName></CustomerRef><InvoiceLineAdd>"
        "<ItemRef><FullName>Labor</FullName></ItemRef></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>",
    )
    assert re.fullmatch(r"[0-9A-F]+-17000\d{5}", invoice.findtext("InvoiceRet/TxnID"))
    assert re.fullmatch(r"[0-9A-F]+-17000\d{5}", invoice.findtext("InvoiceRet/InvoiceLineRet/TxnLineID"))


def test_save_and_load_round_trip(company: FakeCompany, tmp_path: Path) -> None:
    one(company, "<CustomerAddRq><CustomerAdd><Name>Kept Customer</Name></CustomerAdd></CustomerAddRq>")
    one(
        company,
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Kept Customer</FullName></CustomerRef><InvoiceLineAdd>"
        "<ItemRef><FullName>Pipe Fittings</FullName></ItemRef><Quantity>2</Quantity></InvoiceLineAdd>"
        "</InvoiceAdd></InvoiceAddRq>",
    )
    path = tmp_path / "company.json"
    company.save(path)
    loaded = FakeCompany.load(path)
    query = qbxml(
        "<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq><ItemQueryRq />"
        "<InvoiceQueryRq><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>"
    )
    assert loaded.process(query) == company.process(query)
    # Counters survive too: the next record gets a new ListID, and names stay taken.
    added = one(loaded, "<CustomerAddRq><CustomerAdd><Name>After Load</Name></CustomerAdd></CustomerAddRq>")
    assert added.findtext("CustomerRet/ListID") not in {c["ListID"] for c in company.state.lists["Customer"].values()}
    assert (
        status(one(loaded, "<VendorAddRq><VendorAdd><Name>Kept Customer</Name></VendorAdd></VendorAddRq>"))[0] == 3100
    )


def test_generated_company_is_big_and_repeatable() -> None:
    # How fast it is made is the import benchmark's business, not a timed test's: the same seed gives the same names.
    big = FakeCompany.generate(10_000, seed=3)
    assert len(big.state.lists["Customer"]) == 10_000
    same = FakeCompany.generate(200, seed=3)
    names = [c["Name"] for c in list(big.state.lists["Customer"].values())[:200]]
    assert names == [c["Name"] for c in same.state.lists["Customer"].values()]


def test_latency_is_spent_and_recorded() -> None:
    company = FakeCompany.empty(latency=0.05)
    text = company.process(qbxml("<HostQueryRq /><CompanyQueryRq />"))
    assert len(responses(text)) == 2
    assert company.qb_seconds >= 0.1
