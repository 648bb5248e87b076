"""QuickBooks' status codes: the errors a server's error policy has to handle, with QuickBooks' own wording."""

from __future__ import annotations

from qbwc_server.simulator import FakeCompany

from .helpers import one, status


def customer_add(name: str, parent: str | None = None) -> str:
    parent_ref = f"<ParentRef><FullName>{parent}</FullName></ParentRef>" if parent else ""
    return f'<CustomerAddRq requestID="7"><CustomerAdd><Name>{name}</Name>{parent_ref}</CustomerAdd></CustomerAddRq>'


def test_name_used_by_any_name_list_is_3100(company: FakeCompany) -> None:
    # Given names already used by a customer, a vendor, the employee and the other name
    for taken in ("Smith, John", "ABC Plumbing Supply", "Pat Technician", "Jordan Owner", "smith, JOHN"):
        # When a customer is added with that name
        rs = one(company, customer_add(taken))
        # Then QuickBooks refuses it with 3100 and the exact message
        assert status(rs) == (3100, "Error", f'The name "{taken}" of the list element is already in use.')
        assert rs.get("requestID") == "7"
        assert len(rs) == 0


def test_vendor_cannot_reuse_a_customer_name(company: FakeCompany) -> None:
    rs = one(company, "<VendorAddRq><VendorAdd><Name>Smith, John</Name></VendorAdd></VendorAddRq>")
    assert status(rs)[0] == 3100


def test_items_have_their_own_namespace_and_jobs_are_unique_per_parent(company: FakeCompany) -> None:
    item = (
        "<ItemServiceAddRq><ItemServiceAdd><Name>Smith, John</Name><SalesOrPurchase><Price>10.00</Price>"
        "<AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>"
    )
    assert status(one(company, item))[0] == 0
    assert status(one(company, item))[0] == 3100
    # The same job name under another customer is fine; under the same one it is not.
    assert status(one(company, customer_add("1001 - 12 Oak St", "Garcia, Maria")))[0] == 0
    assert status(one(company, customer_add("1001 - 12 Oak St", "Smith, John")))[0] == 3100


def test_stale_edit_sequence_is_3200_with_trailing_space(company: FakeCompany) -> None:
    rs = one(company, customer_add("New Customer"))
    list_id = rs.find("CustomerRet/ListID").text
    first_sequence = rs.find("CustomerRet/EditSequence").text
    mod = (
        f"<CustomerModRq><CustomerMod><ListID>{list_id}</ListID><EditSequence>{{seq}}</EditSequence>"
        "<Phone>555-0100</Phone></CustomerMod></CustomerModRq>"
    )
    changed = one(company, mod.format(seq=first_sequence))
    assert status(changed)[0] == 0
    assert int(changed.find("CustomerRet/EditSequence").text) > int(first_sequence)
    stale = one(company, mod.format(seq=first_sequence))
    assert status(stale) == (3200, "Error", f'The provided edit sequence "{first_sequence}" is out-of-date. ')


def test_unknown_list_id_in_a_mod_is_3120(company: FakeCompany) -> None:
    rs = one(
        company,
        "<CustomerModRq><CustomerMod><ListID>8000FFFF-1405768916</ListID><EditSequence>1</EditSequence>"
        "</CustomerMod></CustomerModRq>",
    )
    assert status(rs) == (
        3120,
        "Error",
        (
            'Object "8000FFFF-1405768916" specified in the request cannot be found.  QuickBooks error message: '
            "Invalid argument.  The specified record does not exist in the list."
        ),
    )


def test_reference_to_a_missing_record_is_3140(company: FakeCompany) -> None:
    rs = one(
        company,
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Joe Smith</FullName></CustomerRef>"
        "<InvoiceLineAdd><ItemRef><FullName>Labor</FullName></ItemRef></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>",
    )
    assert status(rs) == (
        3140,
        "Error",
        (
            'There is an invalid reference to QuickBooks Customer "Joe Smith" in the Invoice.  QuickBooks error '
            "message: Invalid argument.  The specified record does not exist in the list."
        ),
    )
    item = one(
        company,
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Smith, John</FullName></CustomerRef>"
        "<InvoiceLineAdd><ItemRef><FullName>Gold Plating</FullName></ItemRef></InvoiceLineAdd>"
        "</InvoiceAdd></InvoiceAddRq>",
    )
    assert status(item)[0] == 3140
    assert 'QuickBooks Item "Gold Plating" in the Invoice line.' in status(item)[2]
    for ref, noun in (
        ("<PaymentMethodRef><FullName>Bitcoin</FullName></PaymentMethodRef>", "PaymentMethod"),
        ("<DepositToAccountRef><FullName>Mattress</FullName></DepositToAccountRef>", "Account"),
    ):
        rs = one(
            company,
            "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Smith, John</FullName></CustomerRef>"
            f"<TotalAmount>10.00</TotalAmount>{ref}<IsAutoApply>true</IsAutoApply></ReceivePaymentAdd>"
            "</ReceivePaymentAddRq>",
        )
        assert status(rs)[0] == 3140
        assert f"QuickBooks {noun} " in status(rs)[2]
    assert not company.state.txns["Invoice"] and not company.state.txns["ReceivePayment"]


def test_query_without_matches_is_info_1_and_missing_name_is_warn_500(company: FakeCompany) -> None:
    empty = one(
        company,
        "<CustomerQueryRq><NameFilter><MatchCriterion>StartsWith</MatchCriterion><Name>Zz</Name></NameFilter>"
        "</CustomerQueryRq>",
    )
    assert status(empty) == (1, "Info", "A query request did not find a matching object in QuickBooks")
    missing = one(company, "<CustomerQueryRq><FullName>Keith Palmer</FullName></CustomerQueryRq>")
    assert status(missing) == (
        500,
        "Warn",
        (
            'The query request has not been fully completed. There was a required element ("Keith Palmer") that '
            "could not be found in QuickBooks."
        ),
    )
    txn = one(company, "<InvoiceQueryRq><TxnID>99-1700000000</TxnID></InvoiceQueryRq>")
    assert status(txn)[0] == 500
