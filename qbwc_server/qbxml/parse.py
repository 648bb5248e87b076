"""Read qbXML from QuickBooks with a hardened parser: no DTDs, no entities, no network.

``parse_response`` reads a whole response; ``iter_response`` streams a large one element by element so memory
stays flat during multi-megabyte imports; ``Answers`` hands each request its answer, streaming a large response
unless someone asks for its objects as a list; ``parse_hcp`` reads the host/company/preferences answer the Web
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


def _as_bytes(xml: str | bytes) -> bytes:
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


def _refuse_dtd(data: bytes) -> None:
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


def parse_document(xml: str | bytes) -> etree._ElementTree:
    """Parse a qbXML document with the hardened parser; raise XmlError when it is not acceptable."""
    data = _as_bytes(xml)
    _refuse_dtd(data)
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XmlError("The qbXML document contains a DTD (DOCTYPE), which QuickBooks never sends.")
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


def parse_response(xml: str | bytes) -> list[RsItem]:
    """Return every response element of a qbXML response with its status and returned objects, in order."""
    msgs = _messages(parse_document(xml).getroot())
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
    data = _as_bytes(source)
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


def text_of(el: etree._Element | None, path: str) -> str | None:
    """Return the text at ``path`` below ``el`` ("" for an empty element), or None when it is absent."""
    if el is None:
        return None
    found = el.find(path)
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


# Responses up to this size are read into a tree at once (a batch of records); larger ones (import pages) are
# streamed, and read into a tree only when a step asks for its objects as a list.
STREAM_ABOVE = 64 * 1024


class Answers:
    """The answers to one message set, found by requestID; a large response is never read into a tree unasked.

    A large response is checked (no DTD, limits, well-formed) as a whole before any status of it is read, unless
    its reader streams its objects first: then the check is made in that same pass (an import page, read once).
    """

    def __init__(self, response: str | bytes) -> None:
        self._data = _as_bytes(response)
        self._items: dict[str, RsItem] | None = None
        self._headers: dict[str, RsHeader] = {}
        self._scan: Iterator[tuple[RsHeader, etree._Element | None]] | None = None
        self._checked = False  # the whole document passed the structure check
        self._streaming = False  # a reader streams it, checking in the same pass
        if len(self._data) <= STREAM_ABOVE:
            self._read_tree()

    def get(self, request_id: str) -> Answer | None:
        """Return the answer to a request, or None when the response has none."""
        if self._items is not None:
            return self._items.get(request_id)
        header = self._find_header(request_id)
        return _Streamed(self, header) if header is not None else None

    def stream(self, request_id: str) -> Iterator[etree._Element]:
        """Yield the objects answering one request, reading the response as a stream (and checking it on the way)."""
        self._streaming = True
        for header, ret in iter_response(self._data, checked=self._checked):
            if header.request_id == request_id and ret is not None:
                yield ret
        self._checked = True

    def listed(self, request_id: str) -> list[etree._Element]:
        """Return the objects answering one request as a list (reads the whole response into a tree)."""
        found = self._read_tree().get(request_id)
        return found.rets if found is not None else []

    def check(self) -> None:
        """Check the whole response's structure once, unless a reader streams it (and so checks it) already."""
        if not self._checked and not self._streaming:
            _refuse_dtd(self._data)
            self._checked = True

    def _read_tree(self) -> dict[str, RsItem]:
        if self._items is None:
            self._items = {str(rs.request_id): rs for rs in parse_response(self._data)}
            self._checked = True
        return self._items

    def _find_header(self, request_id: str) -> RsHeader | None:
        """Read the stream only as far as the request's answer (an import page's is the first and only one)."""
        if request_id in self._headers:
            return self._headers[request_id]
        if self._scan is None:
            # What this reads it checks as it goes; the rest is checked when a status is read (`check`) or streamed.
            self._scan = iter_response(self._data)
        # Go on from where the last search stopped: the whole response is read at most once.
        for header, _ in self._scan:
            self._headers.setdefault(str(header.request_id), header)
            if header.request_id == request_id:
                return header
        return None


class _Streamed:
    """The answer to one request of a large response: its status and objects when asked for.

    Its status is read only after the whole response passed the structure check, as if it had been read at once,
    unless its objects are streamed first (`stream`), which checks the response in the same pass.
    """

    def __init__(self, answers: Answers, header: RsHeader) -> None:
        self._answers = answers
        self._header = header
        self.request_id = header.request_id
        self.rs_type = header.rs_type

    @property
    def status_code(self) -> int:
        self._answers.check()
        return self._header.status_code

    @property
    def severity(self) -> str:
        self._answers.check()
        return self._header.severity

    @property
    def message(self) -> str:
        self._answers.check()
        return self._header.message

    @property
    def iterator_id(self) -> str | None:
        self._answers.check()
        return self._header.iterator_id

    @property
    def iterator_remaining(self) -> int | None:
        self._answers.check()
        return self._header.iterator_remaining

    @property
    def rets(self) -> list[etree._Element]:
        return self._answers.listed(str(self.request_id))

    def stream(self) -> Iterator[etree._Element]:
        """Return the objects as a stream; the response's structure is checked in the same pass."""
        self._answers._streaming = True  # before the generator starts: a status read next must not check it again
        return self._answers.stream(str(self.request_id))
