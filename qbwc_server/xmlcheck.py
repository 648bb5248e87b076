"""One linear, streaming pass over an XML document that refuses what no later parser should ever be shown.

SOAP envelopes and QuickBooks' qbXML answers both go through it before anything else reads them: a DOCTYPE (in
whatever encoding the document claims), too many attributes on one element, nesting too deep, or too many
elements. libxml2 reads the document in chunks with entities, DTDs and the network off, so the cost grows with
the size of the document and nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from qbwc_server.errors import QbwcError

CHUNK = 64 * 1024
# Any markup declaration (DOCTYPE, ENTITY, ELEMENT, ATTLIST) in any case, in ASCII-compatible text; comments and
# CDATA are harmless. Other encodings are caught by the parser's own view of the prolog below.
_DECLARATION = re.compile(rb"<!(?!\[CDATA\[|--)")
DTD_REFUSED = "Document type and entity declarations are not accepted"


class XmlRefused(QbwcError):
    """Raised when a document is not well-formed or breaks one of the limits; the message says which."""


@dataclass(frozen=True)
class XmlLimits:
    """How much structure a document may have; the defaults sit far above anything QuickBooks or QBWC send."""

    max_attributes: int = 64
    max_depth: int = 64
    # A 500-invoice iterator page with 40 lines each is about 300,000 elements.
    max_elements: int = 20_000_000


SOAP_LIMITS = XmlLimits(max_attributes=32, max_depth=32, max_elements=1_000)
QBXML_LIMITS = XmlLimits()


def check_xml(data: bytes, limits: XmlLimits = QBXML_LIMITS) -> None:
    """Read `data` once and raise XmlRefused if it has a DTD, breaks `limits`, or is not well-formed XML."""
    if _DECLARATION.search(data):
        raise XmlRefused(DTD_REFUSED)
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
    )
    depth = elements = 0
    dtd_checked = False
    try:
        for offset in range(0, len(data), CHUNK):
            parser.feed(data[offset : offset + CHUNK])
            for event, element in parser.read_events():
                if event == "end":
                    depth -= 1
                    # Nothing below needs the finished element: keep memory flat on huge answers.
                    element.clear(keep_tail=False)
                    continue
                if not dtd_checked:
                    dtd_checked = True
                    _refuse_dtd(element)
                depth += 1
                elements += 1
                if len(element.attrib) > limits.max_attributes:
                    raise XmlRefused(f"An element has more than {limits.max_attributes} attributes")
                if depth > limits.max_depth:
                    raise XmlRefused(f"The document is nested deeper than {limits.max_depth} elements")
                if elements > limits.max_elements:
                    raise XmlRefused(f"The document has more than {limits.max_elements} elements")
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "unreadable XML"
        raise XmlRefused(f"The document is not well-formed XML: {reason}") from None
    if not dtd_checked:
        _refuse_dtd(root)


def _refuse_dtd(element: etree._Element) -> None:
    # The DOCTYPE, if any, precedes the root element, so it is known by the first start event whatever the encoding.
    info = element.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise XmlRefused(DTD_REFUSED)
