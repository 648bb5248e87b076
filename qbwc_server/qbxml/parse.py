"""Read qbXML from QuickBooks with a hardened parser: no DTDs, no entities, no network.

``parse_response`` reads a whole response; ``iter_response`` streams a large one element by element so memory
stays flat during multi-megabyte imports (``answers.Answers`` hands each request of a message set its answer);
``parse_hcp`` reads the host/company/preferences answer the Web
Connector sends with the first ``sendRequestXML`` of a session.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from lxml import etree

from qbwc_server.qbxml.errors import XmlError
from qbwc_server.xmlcheck import (
    DTD_REFUSED,
    QBXML_LIMITS,
    XmlRefused,
    check_declarations,
    check_xml,
    has_declaration,
    not_well_formed,
    too_deep,
    too_many_attributes,
    too_many_elements,
)

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": True}


@dataclass(frozen=True)
class RsHeader:
    """The status attributes of one response element (e.g. ``CustomerAddRs``)."""

    request_id: str | None
    rs_type: str
    status_code: int
    severity: str
    message: str
    iterator_id: str | None
    iterator_remaining: int | None


@dataclass
class RsItem:
    """One response element with its status attributes and the ``…Ret`` elements it holds."""

    request_id: str | None
    rs_type: str
    status_code: int
    severity: str
    message: str
    rets: list[etree._Element] = field(default_factory=list)
    iterator_id: str | None = None
    iterator_remaining: int | None = None

    def stream(self) -> Iterator[etree._Element]:
        """Yield the returned objects one by one."""
        return iter(self.rets)


class Answer(Protocol):
    """QuickBooks' answer to one request: its status, and its returned objects as a list or as a stream."""

    @property
    def request_id(self) -> str | None: ...
    @property
    def rs_type(self) -> str: ...
    @property
    def status_code(self) -> int: ...
    @property
    def severity(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def iterator_id(self) -> str | None: ...
    @property
    def iterator_remaining(self) -> int | None: ...
    @property
    def rets(self) -> list[etree._Element]: ...

    def stream(self) -> Iterator[etree._Element]:
        """Yield the returned objects one at a time; each is valid only until the next is taken."""
        ...


@dataclass(frozen=True)
class HostInfo:
    """What the first message of a session tells about QuickBooks and the company file."""

    product_name: str | None
    major_version: int | None
    minor_version: int | None
    country: str | None
    supported_versions: list[str]
    company_name: str | None
    file_ids: list[tuple[str, str]]


def as_bytes(xml: str | bytes) -> bytes:
    """Return the document as bytes libxml2 can read, whatever encoding a str's declaration claims."""
    if isinstance(xml, str):
        # A str is already decoded, so its declaration's encoding no longer applies.
        data = _DECLARATION.sub("", xml.lstrip("\ufeff"), count=1).strip().encode("utf-8")
    elif isinstance(xml, bytes | bytearray | memoryview):
        data = bytes(xml).strip()
    else:
        raise TypeError("qbXML must be given as str or bytes")
    if not data:
        raise XmlError("The qbXML document is empty.")
    return data


def check_structure(data: bytes) -> None:
    """Raise XmlError if the document has a DTD, breaks `QBXML_LIMITS` or is not well-formed XML."""
    # One linear pass over the whole document before any tree is built: a DTD anywhere, in any encoding (a comment
    # holding "<QBXML" no longer hides one), or structure no QuickBooks answer has, is refused.
    try:
        check_xml(data, QBXML_LIMITS)
    except XmlRefused as exc:
        if str(exc) == DTD_REFUSED:
            raise XmlError("The qbXML document contains a DTD (DOCTYPE), which QuickBooks never sends.") from None
        raise XmlError(f"The qbXML document was refused: {exc}") from None


def _syntax_error(exc: etree.XMLSyntaxError) -> XmlError:
    reason = str(exc).splitlines()[0] if str(exc) else "unreadable XML"
    return XmlError(f"The qbXML document is not well-formed XML: {reason}")


# Up to this size a document is checked on its tree, in one pass (see `parse_document`): even made of the
# smallest elements (`<a/>`, 4 bytes) it cannot reach `QBXML_LIMITS.max_elements`, and its tree stays small.
CHECK_ON_TREE_UP_TO = 256 * 1024
assert QBXML_LIMITS.max_elements > CHECK_ON_TREE_UP_TO // 4
# An element deeper than the limit (the root is at depth 1), and an element with more attributes than it allows:
# one with an attribute at the position after the limit, which libxml2 finds without counting every element's
# attributes (a fifth of the time). Both compiled once, not at every answer.
_TOO_DEEP = etree.XPath("boolean(" + "/*" * (QBXML_LIMITS.max_depth + 1) + ")")
_TOO_MANY_ATTRIBUTES = etree.XPath(f"boolean(//@*[{QBXML_LIMITS.max_attributes + 1}])")


def parse_document(xml: str | bytes, *, checked: bool = False) -> etree._ElementTree:
    """Parse a qbXML document with the hardened parser; raise XmlError when it is not acceptable.

    `checked`: the caller already passed these very bytes through the structure check (`check_structure`).
    A document up to `CHECK_ON_TREE_UP_TO` is parsed first and its tree checked against the same limits by
    libxml2's XPath (one pass of Python callbacks fewer); whatever that refuses goes through `check_structure`,
    so the refusal and its words are the same as when the check came first. A larger one is checked first.
    """
    data = as_bytes(xml)
    on_tree = not checked and len(data) <= CHECK_ON_TREE_UP_TO
    if not checked and (not on_tree or has_declaration(data)):
        check_structure(data)
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        if on_tree:
            check_structure(data)  # the check's own refusal, word for word
        raise _syntax_error(exc) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        if on_tree:
            check_structure(data)
        raise XmlError("The qbXML document contains a DTD (DOCTYPE), which QuickBooks never sends.")
    if on_tree and (_TOO_DEEP(root) or _TOO_MANY_ATTRIBUTES(root)):
        check_structure(data)  # it refuses, saying which limit the document breaks first
    return tree


def _int_attr(el: etree._Element, name: str, required: bool) -> int | None:
    value = el.get(name)
    if value is None or value.strip() == "":
        if required:
            raise XmlError(f"{el.tag} has no {name}.")
        return None
    try:
        return int(value)
    except ValueError:
        raise XmlError(f"{el.tag} has a {name} that is not a number: {value[:20]!r}") from None


def _header(rs: etree._Element) -> RsHeader:
    return RsHeader(
        request_id=rs.get("requestID"),
        rs_type=str(rs.tag),
        status_code=_int_attr(rs, "statusCode", required=True),  # type: ignore[arg-type]
        severity=rs.get("statusSeverity", ""),
        message=rs.get("statusMessage", ""),
        iterator_id=rs.get("iteratorID") or None,
        iterator_remaining=_int_attr(rs, "iteratorRemainingCount", required=False),
    )


def _messages(root: etree._Element) -> etree._Element:
    if root.tag != "QBXML":
        raise XmlError(f"This is not qbXML: the document starts with <{root.tag}> instead of <QBXML>.")
    msgs = root.find("QBXMLMsgsRs")
    if msgs is None:
        raise XmlError("This is not a QuickBooks response: it has no QBXMLMsgsRs element.")
    return msgs


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def parse_response(xml: str | bytes, *, checked: bool = False) -> list[RsItem]:
    """Return every response element of a qbXML response with its status and returned objects, in order.

    `checked`: the caller already passed these very bytes through the structure check.
    """
    msgs = _messages(parse_document(xml, checked=checked).getroot())
    items = []
    for rs in _elements(msgs):
        header = _header(rs)
        items.append(
            RsItem(
                request_id=header.request_id,
                rs_type=header.rs_type,
                status_code=header.status_code,
                severity=header.severity,
                message=header.message,
                rets=_elements(rs),
                iterator_id=header.iterator_id,
                iterator_remaining=header.iterator_remaining,
            )
        )
    return items


def iter_response(source: bytes | str, *, checked: bool = False) -> Iterator[tuple[RsHeader, etree._Element | None]]:
    """Yield (header, returned object) for each object in a response, freeing each one after it is handed out.

    A response element with no objects (an error, or an empty query) is yielded once as (header, None).
    An element is only valid until the next one is taken: copy out what you need. The structure check (no DTD,
    the limits of `QBXML_LIMITS`, well-formed) is made in the same pass, so an error may come after objects were
    handed out: whoever files them does so in a transaction it rolls back. `checked`: the caller already passed
    these very bytes through the structure check.
    """
    data = as_bytes(source)
    limits = None if checked else QBXML_LIMITS
    if limits is not None:
        try:
            check_declarations(data)
        except XmlRefused as exc:
            raise _refused(exc) from None
    events = etree.iterparse(io.BytesIO(data), events=("start", "end"), **_PARSER_OPTIONS)
    depth = elements = 0
    max_depth = limits.max_depth if limits is not None else 1 << 30
    max_elements = limits.max_elements if limits is not None else 1 << 62
    max_attributes = limits.max_attributes if limits is not None else 1 << 30
    header: RsHeader | None = None
    yielded = 0
    try:
        for event, el in events:
            if event == "start":
                depth += 1
                elements += 1
                if depth > max_depth or elements > max_elements or len(el.attrib) > max_attributes:
                    _over_limits(depth, elements, len(el.attrib))
                if depth == 1:
                    _check_root(el, limits is not None)
                elif depth == 3 and el.getparent().tag == "QBXMLMsgsRs" and isinstance(el.tag, str):
                    header, yielded = _header(el), 0
                continue
            if depth == 4 and header is not None and isinstance(el.tag, str):
                yield header, el
                yielded += 1
                _free(el)
            elif depth == 3 and header is not None:
                if yielded == 0:
                    yield header, None
                header = None
                _free(el)
            depth -= 1
    except etree.XMLSyntaxError as exc:
        if limits is None:
            raise _syntax_error(exc) from None
        raise _refused(not_well_formed(exc)) from None


def _refused(exc: XmlRefused) -> XmlError:
    """Word a refusal of the structure check as the check before reading always did."""
    if str(exc) == DTD_REFUSED:
        return XmlError("The qbXML document contains a DTD (DOCTYPE), which QuickBooks never sends.")
    return XmlError(f"The qbXML document was refused: {exc}")


def _over_limits(depth: int, elements: int, attributes: int) -> None:
    limits = QBXML_LIMITS
    if attributes > limits.max_attributes:
        raise _refused(too_many_attributes(limits))
    if depth > limits.max_depth:
        raise _refused(too_deep(limits))
    raise _refused(too_many_elements(limits))


def _check_root(root: etree._Element, checking: bool) -> None:
    """Refuse a document type in any encoding (the parser has read the prolog by now), and anything but qbXML."""
    if checking:
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise _refused(XmlRefused(DTD_REFUSED))
    if root.tag != "QBXML":
        raise XmlError(f"This is not qbXML: the document starts with <{root.tag}> instead of <QBXML>.")


def _free(el: etree._Element) -> None:
    """Drop a finished element and the siblings before it so the tree never grows."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


class Fields:
    """An element's children by tag (the first of a repeated tag), read in one walk of them.

    Reading many fields of one returned object (an invoice's totals, balance and tax) with `text_of` walks its
    children again, through ElementPath, for each field; here each is a dict lookup after one walk.
    """

    __slots__ = ("_children",)

    def __init__(self, el: etree._Element) -> None:
        children: dict[str, etree._Element] = {}
        for child in el.iterchildren(tag=etree.Element):
            if child.tag not in children:
                children[child.tag] = child
        self._children = children

    def text(self, path: str) -> str | None:
        """Return the text at ``path`` ("Subtotal", "ItemSalesTaxRef/FullName"), as `text_of` would."""
        tag, _, rest = path.partition("/")
        child = self._children.get(tag)
        if child is None:
            return None
        return text_of(child, rest) if rest else child.text or ""


def text_of(el: etree._Element | None, path: str) -> str | None:
    """Return the text at ``path`` below ``el`` ("" for an empty element), or None when it is absent.

    ``path`` is child tags joined by "/" ("Subtotal", "CustomerRef/ListID"); each step takes the first child with
    that tag, as `find` would, without its path parser (half the time, and the steps call this for every field).
    """
    found = el
    for tag in path.split("/"):
        if found is None:
            return None
        found = next(found.iterchildren(tag), None)
    if found is None:
        return None
    return found.text or ""


def parse_hcp(xml: str | bytes) -> HostInfo:
    """Return what the strHCPResponse (HostQuery, CompanyQuery, PreferencesQuery) says about QuickBooks."""
    msgs = _messages(parse_document(xml).getroot())
    host = msgs.find("HostQueryRs/HostRet")
    company = msgs.find("CompanyQueryRs/CompanyRet")
    if host is None and company is None:
        raise XmlError("The host information from QuickBooks has neither HostRet nor CompanyRet.")

    def number(path: str) -> int | None:
        value = text_of(host, path)
        try:
            return int(value) if value else None
        except ValueError:
            return None

    file_ids = []
    if company is not None:
        for ext in company.findall("DataExtRet"):
            if text_of(ext, "DataExtName") == "FileID":
                file_ids.append((text_of(ext, "OwnerID") or "", text_of(ext, "DataExtValue") or ""))
    return HostInfo(
        product_name=text_of(host, "ProductName"),
        major_version=number("MajorVersion"),
        minor_version=number("MinorVersion"),
        country=text_of(host, "Country"),
        supported_versions=[v.text.strip() for v in host.findall("SupportedQBXMLVersion") if v.text]
        if host is not None
        else [],
        company_name=text_of(company, "CompanyName"),
        file_ids=file_ids,
    )
