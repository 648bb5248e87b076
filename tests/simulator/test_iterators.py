"""Query iterators over thousands of records, filters and ordering."""

from __future__ import annotations

import pytest

from qbwc_server.simulator import FakeCompany

from .helpers import one, status


@pytest.fixture(scope="module")
def big() -> FakeCompany:
    return FakeCompany.generate(2500, jobs_per=1, inactive_share=0.2, items=30, vendors=5, seed=7)


def page(company: FakeCompany, attrs: str, body: str = "<MaxReturned>1000</MaxReturned>") -> object:
    return one(company, f"<CustomerQueryRq {attrs}>{body}<ActiveStatus>All</ActiveStatus></CustomerQueryRq>")


def test_iterator_pages_through_every_customer_exactly_once(big: FakeCompany) -> None:
    big.begin_session()
    first = page(big, 'requestID="1" iterator="Start"')
    iterator_id = first.get("iteratorID")
    seen = [ret.findtext("ListID") for ret in first.findall("CustomerRet")]
    remaining = [int(first.get("iteratorRemainingCount"))]
    while remaining[-1]:
        nxt = one(
            big,
            f'<CustomerQueryRq requestID="2" iterator="Continue" iteratorID="{iterator_id}">'
            "<MaxReturned>1000</MaxReturned></CustomerQueryRq>",
        )
        assert nxt.get("iteratorID") == iterator_id
        seen += [ret.findtext("ListID") for ret in nxt.findall("CustomerRet")]
        remaining.append(int(nxt.get("iteratorRemainingCount")))
    assert remaining == [4000, 3000, 2000, 1000, 0]  # 2500 customers + 2500 jobs, active and inactive
    assert len(seen) == len(set(seen)) == 5000


def test_active_status_and_name_filters(big: FakeCompany) -> None:
    inactive = sum(1 for c in big.state.lists["Customer"].values() if c["IsActive"] == "false")
    assert 0 < inactive < 2500
    counts = {}
    for active_status in ("ActiveOnly", "InactiveOnly", "All"):
        rs = one(big, f"<CustomerQueryRq><ActiveStatus>{active_status}</ActiveStatus></CustomerQueryRq>")
        counts[active_status] = len(rs.findall("CustomerRet"))
    assert counts == {"ActiveOnly": 5000 - inactive, "InactiveOnly": inactive, "All": 5000}
    default = one(big, "<CustomerQueryRq><MaxReturned>10000</MaxReturned></CustomerQueryRq>")
    assert len(default.findall("CustomerRet")) == counts["ActiveOnly"]
    named = one(
        big,
        "<CustomerQueryRq><ActiveStatus>All</ActiveStatus>"
        "<NameFilter><MatchCriterion>EndsWith</MatchCriterion><Name>00042</Name></NameFilter></CustomerQueryRq>",
    )
    assert [ret.findtext("Name").endswith("00042") for ret in named.findall("CustomerRet")] == [True]


def test_iterator_from_an_earlier_session_is_refused(big: FakeCompany) -> None:
    big.begin_session()
    first = page(big, 'iterator="Start"')
    big.begin_session()
    stale = one(
        big,
        f'<CustomerQueryRq iterator="Continue" iteratorID="{first.get("iteratorID")}"><MaxReturned>5</MaxReturned>'
        "</CustomerQueryRq>",
    )
    assert status(stale)[0] == 1
    assert "earlier session" in status(stale)[2]
    assert stale.find("CustomerRet") is None


def test_modified_date_filters_and_stable_order(company: FakeCompany) -> None:
    everyone = one(company, "<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>")
    stamps = [ret.findtext("TimeModified") for ret in everyone.findall("CustomerRet")]
    assert stamps == sorted(stamps)
    cutoff = stamps[3]
    later = one(
        company,
        f"<CustomerQueryRq><ActiveStatus>All</ActiveStatus><FromModifiedDate>{cutoff}</FromModifiedDate>"
        "</CustomerQueryRq>",
    )
    assert [ret.findtext("TimeModified") for ret in later.findall("CustomerRet")] == stamps[3:]


def test_entity_filter_with_children_and_ref_numbers(company: FakeCompany) -> None:
    for job in ("Acme Property Management:1003 - 200 Main St", "Acme Property Management:1004 - 310 Main St"):
        rs = one(
            company,
            f"<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>{job}</FullName></CustomerRef>"
            "<InvoiceLineAdd><ItemRef><FullName>Service Call</FullName></ItemRef></InvoiceLineAdd>"
            "</InvoiceAdd></InvoiceAddRq>",
        )
        assert status(rs)[0] == 0
    parent_only = one(
        company,
        "<InvoiceQueryRq><EntityFilter><FullName>Acme Property Management</FullName></EntityFilter></InvoiceQueryRq>",
    )
    assert status(parent_only)[0] == 1
    family = one(
        company,
        "<InvoiceQueryRq><EntityFilter><FullNameWithChildren>Acme Property Management</FullNameWithChildren>"
        "</EntityFilter></InvoiceQueryRq>",
    )
    assert [ret.findtext("RefNumber") for ret in family.findall("InvoiceRet")] == ["1", "2"]
    by_number = one(company, "<InvoiceQueryRq><RefNumber>2</RefNumber></InvoiceQueryRq>")
    assert by_number.findtext("InvoiceRet/CustomerRef/FullName").endswith("310 Main St")
