"""Small XML and value helpers shared by the simulator: hardened parsing, QuickBooks text and money."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from lxml import etree

from .errors import QuickBooksParseError

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, remove_blank_text=False
)
CENT = Decimal("0.01")


def parse_xml(text: str | bytes) -> etree._Element:
    """Parse untrusted XML with entity expansion and network access disabled."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    # lxml refuses str input that carries an encoding declaration; bytes with the declaration removed are safe.
    if isinstance(text, str) and data.lstrip().startswith(b"<?xml"):
        end = data.find(b"?>")
        data = data[end + 2 :]
    return etree.fromstring(data, _PARSER)


def parse_qbxml(text: str) -> etree._Element:
    """Parse a qbXML message set, turning any well-formedness error into QuickBooks' parse error."""
    try:
        return parse_xml(text)
    except etree.XMLSyntaxError as exc:
        raise QuickBooksParseError(detail=str(exc)) from exc


def qb_text(value: str) -> str:
    """Return text as QuickBooks stores it: characters outside ISO-8859-1 become '?'."""
    return value.encode("latin-1", "replace").decode("latin-1")


def child_text(elem: etree._Element, name: str) -> str | None:
    """Return the text of the first child called `name`, or None."""
    found = elem.find(name)
    if found is None:
        return None
    return qb_text(found.text or "")


def children_text(elem: etree._Element, name: str) -> list[str]:
    """Return the text of every child called `name`."""
    return [qb_text(found.text or "") for found in elem.findall(name)]


def to_value(elem: etree._Element) -> Any:
    """Convert an element to plain data: text for leaves, dicts (lists for repeats) for aggregates."""
    if len(elem) == 0:
        return qb_text(elem.text or "")
    result: dict[str, Any] = {}
    for child in elem:
        if not isinstance(child.tag, str):
            continue
        value = to_value(child)
        if child.tag in result:
            existing = result[child.tag]
            if not isinstance(existing, list):
                result[child.tag] = [existing]
            result[child.tag].append(value)
        else:
            result[child.tag] = value
    return result


def money(value: str | Decimal | int | None) -> Decimal:
    """Return a Decimal rounded to cents; None or '' is zero."""
    if value is None or value == "":
        return Decimal("0.00")
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def fmt_money(value: Decimal) -> str:
    """Format an amount the QuickBooks way: two decimals."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def fmt_number(value: Decimal) -> str:
    """Format a quantity or rate without trailing zeros beyond what is needed."""
    text = format(value.normalize(), "f")
    return text


def ref_key(name: str) -> str:
    """Return the case-insensitive key QuickBooks uses to compare names."""
    return name.strip().casefold()


class RetBuilder:
    """Build response elements laid out like QuickBooks' own output: one element per line, no indent.

    Elements are built bare, aggregates with a newline inside (so an empty one stays `<X>` newline `</X>`);
    `tostring` then puts every element on its own line in one pass (lxml's indent with no indentation).
    """

    @staticmethod
    def element(tag: str, attrib: dict[str, str] | None = None) -> etree._Element:
        """Return a new root element whose tail is a newline."""
        elem = etree.Element(tag, attrib or {})
        elem.text = "\n"
        elem.tail = "\n"
        return elem

    @staticmethod
    def sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        """Append a child element; leaves carry text, aggregates get a newline inside."""
        elem = etree.SubElement(parent, tag)
        elem.text = "\n" if text is None else text
        return elem

    @staticmethod
    def tostring(root: etree._Element) -> str:
        """Serialize a response document with QuickBooks' XML declaration, each element followed by a newline."""
        # With no indentation lxml's indent gives every child a newline tail and every aggregate's whitespace-only
        # text a newline, in C; leaves' texts are left alone.
        etree.indent(root, space="")
        return '<?xml version="1.0" ?>\n' + etree.tostring(root, encoding="unicode")
