"""How big QuickBooks' largest answers are: one iterator page of invoices with many lines, as a SOAP body.

`python -m benchmarks.answer_size [--invoices 500] [--lines 40]` fills the simulator with invoices, asks for one
InvoiceQuery page with its lines, and prints the answer's size as qbXML and escaped inside receiveResponseXML;
QBWC_MAX_BODY_BYTES' default is chosen from it with room to spare.
"""

from __future__ import annotations

import argparse
import json
from typing import Any
from xml.sax.saxutils import escape

from qbwc_server.config import DEFAULT_MAX_BODY_BYTES
from qbwc_server.simulator import FakeCompany

HEAD = '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="continueOnError">'
TAIL = "</QBXMLMsgsRq></QBXML>"


def measure(invoices: int = 500, lines: int = 40) -> dict[str, Any]:
    """Return the sizes of one InvoiceQuery page of `invoices` invoices with `lines` lines each."""
    qb = FakeCompany.generate(customers=50, items=40, vendors=1)
    customers = [c["Name"] for c in qb.state.lists["Customer"].values()]
    items = [i["Name"] for i in qb.state.lists["ItemService"].values()]
    for number in range(invoices):
        body = "".join(
            f"<InvoiceLineAdd><ItemRef><FullName>{escape(items[line % len(items)])}</FullName></ItemRef>"
            f"<Desc>Line {line} of visit {number}: parts and labour as agreed on site</Desc>"
            "<Quantity>2</Quantity><Rate>45.50</Rate></InvoiceLineAdd>"
            for line in range(lines)
        )
        customer = escape(customers[number % len(customers)])
        answer = qb.process(
            f"{HEAD}<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>{customer}</FullName></CustomerRef>"
            f"<TxnDate>2026-01-15</TxnDate><RefNumber>{number + 1000}</RefNumber>{body}</InvoiceAdd></InvoiceAddRq>"
            + TAIL
        )
        if 'statusCode="0"' not in answer:
            raise RuntimeError(f"the simulator refused invoice {number}: {answer[:300]}")
    page = qb.process(
        f'{HEAD}<InvoiceQueryRq iterator="Start"><MaxReturned>{invoices}</MaxReturned>'
        f"<IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>{TAIL}"
    )
    soap_bytes = len(escape(page).encode("utf-8"))
    return {
        "invoices": invoices,
        "lines_per_invoice": lines,
        "qbxml_bytes": len(page.encode("utf-8")),
        "soap_body_bytes": soap_bytes,
        "soap_body_mib": round(soap_bytes / 2**20, 2),
        "default_limit_bytes": DEFAULT_MAX_BODY_BYTES,
        "headroom": round(DEFAULT_MAX_BODY_BYTES / soap_bytes, 1),
    }


def main() -> None:
    """Print the measurement as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--lines", type=int, default=40)
    args = parser.parse_args()
    print(json.dumps(measure(args.invoices, args.lines), indent=2))


if __name__ == "__main__":
    main()
