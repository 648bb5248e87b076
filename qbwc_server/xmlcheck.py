"""One linear, streaming pass over an XML document that refuses what no later parser should ever be shown.

SOAP envelopes and QuickBooks' qbXML answers both go through it before anything else reads them: a DOCTYPE (in
whatever encoding the document claims), too many attributes on one element, nesting too deep, or too many
elements. libxml2 reads the document with entities, DTDs and the network off and builds no tree, so the cost grows
with the size of the document and nothing more.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from lxml import etree

from qbwc_server.errors import QbwcError

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


def has_declaration(data: bytes) -> bool:
    """Tell whether `data` holds a markup declaration in ASCII-compatible text (one regular-expression scan)."""
    return _DECLARATION.search(data) is not None


def check_declarations(data: bytes) -> None:
    """Raise XmlRefused if `data` holds a markup declaration in ASCII-compatible text (`has_declaration`)."""
    if has_declaration(data):
        raise XmlRefused(DTD_REFUSED)


def too_many_attributes(limits: XmlLimits) -> XmlRefused:
    return XmlRefused(f"An element has more than {limits.max_attributes} attributes")


def too_deep(limits: XmlLimits) -> XmlRefused:
    return XmlRefused(f"The document is nested deeper than {limits.max_depth} elements")


def too_many_elements(limits: XmlLimits) -> XmlRefused:
    return XmlRefused(f"The document has more than {limits.max_elements} elements")


def not_well_formed(exc: etree.XMLSyntaxError) -> XmlRefused:
    reason = str(exc).splitlines()[0] if str(exc) else "unreadable XML"
    return XmlRefused(f"The document is not well-formed XML: {reason}")


def check_xml(data: bytes, limits: XmlLimits = QBXML_LIMITS) -> None:
    """Read `data` once and raise XmlRefused if it has a DTD, breaks `limits`, or is not well-formed XML."""
    check_declarations(data)
    parser, counter = _checker(limits)
    counter.reset()
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise not_well_formed(exc) from None


def read_checked(data: bytes, limits: XmlLimits = SOAP_LIMITS) -> etree._Element:
    """Parse `data` into a tree in the same pass that checks it; raise XmlRefused as `check_xml` would.

    For documents that are read as a tree next (a SOAP envelope): the tree is built while the parse's events are
    counted, a chunk at a time, so a refused document is dropped after at most one chunk beyond the limit. Use it
    with small `max_elements` only (the whole tree is kept in memory); QuickBooks' answers use `check_xml`.
    """
    check_declarations(data)
    parser = _tree_parser()
    try:
        return _read(parser, data, limits)
    except BaseException as exc:
        _THREAD.tree_parser = None  # a parser left in the middle of a document is not used again
        if isinstance(exc, etree.XMLSyntaxError):
            # What the one-pass check says of the same bytes (the limit or document type it meets first, or the
            # parser's own words), so a refusal reads the same whichever pass found it.
            check_xml(data, limits)
            raise not_well_formed(exc) from None
        raise


_CHUNK = 1 << 16


def _read(parser: etree.XMLPullParser, data: bytes, limits: XmlLimits) -> etree._Element:
    depth = elements = 0
    for at in range(0, len(data), _CHUNK):
        parser.feed(data[at : at + _CHUNK])
        for event, element in parser.read_events():
            if event == "end":
                depth -= 1
                continue
            if not elements:  # the root element: a document type (in any encoding) comes before it or not at all
                info = element.getroottree().docinfo
                if info.doctype or info.internalDTD is not None:
                    raise XmlRefused(DTD_REFUSED)
            depth += 1
            elements += 1
            if len(element.attrib) > limits.max_attributes:
                raise too_many_attributes(limits)
            if depth > limits.max_depth:
                raise too_deep(limits)
            if elements > limits.max_elements:
                raise too_many_elements(limits)
    root: etree._Element = parser.close()
    return root


_THREAD = threading.local()


def _tree_parser() -> etree.XMLPullParser:
    """Return this thread's tree-building parser (made at first use; reused one document at a time)."""
    parser: etree.XMLPullParser | None = getattr(_THREAD, "tree_parser", None)
    if parser is None:
        parser = _THREAD.tree_parser = etree.XMLPullParser(
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=True,
        )
    return parser


def _checker(limits: XmlLimits) -> tuple[etree.XMLParser, _Counter]:
    """Return this thread's parser for `limits` and the counter it reports to, made at its first use.

    Making a parser with a target costs more than checking a SOAP envelope (lxml inspects the target's methods), so
    each thread keeps one per set of limits; a parser is reused only by the thread that made it, one document at a
    time, and its counter is reset before each.
    """
    checkers: dict[XmlLimits, tuple[etree.XMLParser, _Counter]] = _THREAD.__dict__.setdefault("checkers", {})
    found = checkers.get(limits)
    if found is None:
        counter = _Counter(limits)
        # libxml2 calls the counter for each tag and builds no tree: no element objects, memory stays flat.
        parser = etree.XMLParser(
            target=counter,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=True,
        )
        found = checkers[limits] = (parser, counter)
    return found


class _Counter:
    """A parser target that only counts: depth, elements and attributes, and refuses any document type."""

    def __init__(self, limits: XmlLimits) -> None:
        self.limits = limits
        self.max_attributes = limits.max_attributes
        self.max_depth = limits.max_depth
        self.max_elements = limits.max_elements
        self.depth = 0
        self.elements = 0

    def reset(self) -> None:
        """Start counting a new document."""
        self.depth = 0
        self.elements = 0

    def doctype(self, *_declaration: object) -> None:
        raise XmlRefused(DTD_REFUSED)

    def start(self, _tag: str, attrib: dict[str, str], *_nsmap: object) -> None:
        self.depth += 1
        self.elements += 1
        if len(attrib) > self.max_attributes:
            raise too_many_attributes(self.limits)
        if self.depth > self.max_depth:
            raise too_deep(self.limits)
        if self.elements > self.max_elements:
            raise too_many_elements(self.limits)

    def end(self, _tag: str) -> None:
        self.depth -= 1

    def close(self) -> None:
        return None
