"""Whole answers pinned byte for byte: layout (one element per line), escaping, element order, empty answers."""

from __future__ import annotations

import re
from pathlib import Path

from qbwc_server.simulator import FakeCompany
from qbwc_server.simulator.rets import build_ret
from qbwc_server.simulator.xmltools import RetBuilder

from .helpers import qbxml

ANSWERS = Path(__file__).parent / "answers"

MESSAGE_SET = qbxml(
    '<CustomerAddRq requestID="1"><CustomerAdd><Name>O\'Brien &amp; Sons &lt;East&gt;</Name>'
    '<CompanyName>The "Corner" Shop</CompanyName><FirstName>Ann</FirstName><LastName>O\'Brien</LastName>'
    "<BillAddress><Addr1>12 Oak St</Addr1><City>Springfield</City><State>IL</State><PostalCode>62701</PostalCode>"
    "</BillAddress><Phone>555-0100</Phone><AltPhone></AltPhone><Fax> </Fax>"
    "<Email>ann@example.com</Email></CustomerAdd></CustomerAddRq>"
    '<InvoiceAddRq requestID="2"><InvoiceAdd><CustomerRef><FullName>O\'Brien &amp; Sons &lt;East&gt;</FullName>'
    "</CustomerRef><TxnDate>2023-11-01</TxnDate><RefNumber>B-7</RefNumber>"
    '<TermsRef><FullName>Net 15</FullName></TermsRef><Memo>Tap &amp; valve, "urgent"</Memo>'
    "<InvoiceLineAdd><ItemRef><FullName>Labor</FullName></ItemRef><Quantity>2</Quantity></InvoiceLineAdd>"
    "<InvoiceLineAdd><ItemRef><FullName>Materials</FullName></ItemRef><Desc>Valve &lt;brass&gt;</Desc>"
    "<Amount>100.00</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>"
    '<CustomerQueryRq requestID="3"><FullName>Nobody At All</FullName></CustomerQueryRq>'
    '<InvoiceAddRq requestID="4"><InvoiceAdd><CustomerRef><FullName>Missing Customer</FullName></CustomerRef>'
    "<InvoiceLineAdd><ItemRef><FullName>Labor</FullName></ItemRef></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>"
    '<CustomerQueryRq requestID="5"><FullName>O\'Brien &amp; Sons &lt;East&gt;</FullName>'
    "<IncludeRetElement>Name</IncludeRetElement><IncludeRetElement>BillAddress</IncludeRetElement>"
    "<IncludeRetElement>Balance</IncludeRetElement></CustomerQueryRq>"
    '<InvoiceQueryRq requestID="6"><RefNumber>B-7</RefNumber><IncludeLineItems>true</IncludeLineItems>'
    "</InvoiceQueryRq>",
    on_error="continueOnError",
)


def _layout(text: str) -> list[str]:
    """Return each line of an answer with its texts and attribute values left out: what is laid out where."""
    return [re.sub(r'="[^"]*"', '=""', re.sub(r">[^<]+<", "><", line)) for line in text.splitlines(keepends=True)]


def test_an_answer_is_laid_out_line_for_line_as_quickbooks_laid_out_a_real_one(
    fixtures_dir: Path, schema_dir: Path
) -> None:
    """The declaration, one element a line, aggregates open on their own line, the last newline: as the 2008 capture
    of a CustomerAdd's answer, whose request is replayed (ids, times and values differ, and are left out)."""
    company = FakeCompany.empty(schema_dir=schema_dir)
    ours = company.process((fixtures_dir / "qbxml/requests/CustomerAddRq_qbxml5.0_sent_2008.xml").read_text())
    real = (fixtures_dir / "qbxml/responses/CustomerAddRs_2008_capture.xml").read_text()
    assert _layout(ours) == _layout(real)


def test_a_message_set_is_answered_byte_for_byte_as_pinned() -> None:
    """An add, an invoice with lines, an empty query, a refusal and narrowed and full queries, whole."""
    company = FakeCompany.demo()
    answer = company.process(MESSAGE_SET)
    assert answer == (ANSWERS / "mixed_message_set.xml").read_text(encoding="utf-8")


def test_empty_aggregates_stay_open_and_leaves_keep_their_text() -> None:
    """An aggregate with nothing in it is `<X>`, newline, `</X>`; a leaf's text (even blank) is left as stored."""
    root = RetBuilder.element("QBXML")
    rs = RetBuilder.sub(root, "CustomerQueryRs")
    build_ret(
        rs,
        "CustomerRet",
        {"Name": "A", "BillAddress": {}, "ClassRef": {}, "Notes": " ", "Fax": "", "_hidden": "x", "Sublevel": 0},
        lambda list_id: None,
    )
    RetBuilder.sub(root, "EmptyRs").text = None
    assert RetBuilder.tostring(root) == (
        '<?xml version="1.0" ?>\n<QBXML>\n<CustomerQueryRs>\n<CustomerRet>\n<Name>A</Name>\n<ClassRef>\n</ClassRef>\n'
        "<Sublevel>0</Sublevel>\n<BillAddress>\n</BillAddress>\n<Fax></Fax>\n<Notes> </Notes>\n</CustomerRet>\n"
        "</CustomerQueryRs>\n<EmptyRs/>\n</QBXML>\n"
    )
