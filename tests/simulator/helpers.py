"""qbXML helpers for the simulator tests."""

from __future__ import annotations

from lxml import etree

from qbwc_server.simulator import FakeCompany


def qbxml(body: str, *, version: str = "13.0", on_error: str = "stopOnError") -> str:
    """Wrap request elements in a qbXML message set."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">{body}</QBXMLMsgsRq></QBXML>'
    )


def responses(text: str) -> list[etree._Element]:
    """Return the *Rs elements of a qbXML response."""
    root = etree.fromstring(text.encode("utf-8"))
    return list(root.find("QBXMLMsgsRs"))


def one(company: FakeCompany, body: str, **kwargs: str) -> etree._Element:
    """Process a message set with a single request and return its Rs element."""
    (rs,) = responses(company.process(qbxml(body, **kwargs)))
    return rs


def status(rs: etree._Element) -> tuple[int, str, str]:
    """Return (statusCode, statusSeverity, statusMessage) of an Rs element."""
    return int(rs.get("statusCode")), rs.get("statusSeverity"), rs.get("statusMessage")
