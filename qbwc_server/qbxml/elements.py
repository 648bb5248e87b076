"""The shared pieces of qbXML the request templates use as filters: ``{{ r.memo | el("Memo") }}``,
``{{ r.customer | ref("CustomerRef") }}``, ``{{ line.amount | money_el("Amount") }}`` and so on.

They were Jinja macros, imported by every template; a macro call and an import cost a Jinja context each, and a
CustomerAdd made a dozen of them. Then they were functions in a global namespace (``m.el("Memo", r.memo)``), but
Jinja looks a global's attribute up and passes each call through the context at every use; a filter is resolved
once, when the template is compiled, and called straight away. Each makes the same text: an element on a line of
its own, its text XML-escaped, nothing at all for an absent value. Tags are the templates' own literal names, so
only the text needs escaping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from qbwc_server.qbxml import values

NOTHING = Markup("")


def _element(tag: str, text: object) -> Markup:
    return Markup(f"<{tag}>{escape(text)}</{tag}>\n")  # noqa: S704 - the text is escaped, the tag is a literal


def el(value: Any, tag: str) -> Markup:
    """``<Tag>text</Tag>`` for a value that is there and not empty."""
    if value is not None and value != "":
        return _element(tag, value)
    return NOTHING


def _formatted(format_value: Callable[[Any], str]) -> Callable[[Any, str], Markup]:
    # A formatted amount, quantity, date or flag is digits, '-', '.' or true/false: nothing to escape.
    def piece(value: Any, tag: str) -> Markup:
        if value is None:
            return NOTHING
        return Markup(f"<{tag}>{format_value(value)}</{tag}>\n")  # noqa: S704 - see above; the tag is a literal

    return piece


money = _formatted(values.money)
price = _formatted(values.price)
qty = _formatted(values.quantity)
flag = _formatted(values.boolean)
date = _formatted(values.iso_date)


def _ref_text(list_id: Any, full_name: Any, tag: str) -> str:
    # A reference to a list object (the `ref` filter's and a line's): by ListID when QuickBooks gave us one, else by
    # FullName, its text escaped; nothing when it has neither.
    if list_id:
        return f"<{tag}><ListID>{escape(list_id)}</ListID></{tag}>\n"
    if full_name:
        return f"<{tag}><FullName>{escape(full_name)}</FullName></{tag}>\n"
    return ""


def sales_lines(lines: list[dict[str, Any]], tag: str) -> Markup:
    """An invoice's or a credit memo's lines, each a ``tag`` element (a Mod's with its TxnLineID).

    One piece for all the lines, written as the template's loop over the single pieces wrote them: a line's six
    elements cost as many template outputs, filter calls and Markup objects. The builder gives each line's
    references as dicts and its quantity, rate and amount as the qbXML text it checked them with
    (`Draft.figure`), so each figure is formatted once; the other text is escaped here.
    """
    mod = "Mod" in tag
    parts = []
    for line in lines:
        parts.append(f"<{tag}>\n")
        if mod:
            parts.append(f"<TxnLineID>{escape(line['txn_line_id'])}</TxnLineID>\n")
        item = line["item"]
        if item is not None:
            parts.append(_ref_text(item["list_id"], item["full_name"], "ItemRef"))
        parts.append(el(line["description"], "Desc"))
        for key, element in _FIGURES:
            text = line[key]
            if text is not None:
                parts.append(f"<{element}>{text}</{element}>\n")
        tax_code = line["tax_code"]
        if tax_code is not None:
            parts.append(_ref_text(tax_code["list_id"], tax_code["full_name"], "SalesTaxCodeRef"))
        parts.append(f"</{tag}>\n")
    return Markup("".join(parts))  # noqa: S704 - each text is escaped or a formatted figure, the tags are literals


_FIGURES = (("quantity", "Quantity"), ("rate", "Rate"), ("amount", "Amount"))


def filters(getattr_: Callable[[Any, str], Any]) -> dict[str, Callable[[Any, str], Markup]]:
    """Return the pieces by filter name; `getattr_` reads a field as a template does (attribute or key)."""

    def ref(r: Any, tag: str) -> Markup:
        """A reference to a list object: by ListID when QuickBooks gave us one, else by FullName."""
        if r is None:
            return NOTHING
        list_id = getattr_(r, "list_id")
        text = _ref_text(list_id, None if list_id else getattr_(r, "full_name"), tag)
        return Markup(text) if text else NOTHING  # noqa: S704 - `_ref_text` escapes the id or name

    def address(a: Any, tag: str) -> Markup:
        """An address block with the lines it has."""
        if not a:
            return NOTHING
        lines = [
            el(getattr_(a, "addr1"), "Addr1"),
            el(getattr_(a, "addr2"), "Addr2"),
            el(getattr_(a, "city"), "City"),
            el(getattr_(a, "state"), "State"),
            el(getattr_(a, "postal_code"), "PostalCode"),
            el(getattr_(a, "country"), "Country"),
        ]
        return Markup(f"<{tag}>\n{''.join(lines)}</{tag}>\n")  # noqa: S704 - each line is escaped

    return {
        "el": el,
        "money_el": money,
        "price_el": price,
        "qty_el": qty,
        "flag_el": flag,
        "date_el": date,
        "ref": ref,
        "address": address,
        "sales_lines": sales_lines,
    }


# The filters' names: each returns Markup with its text escaped, so the templates' output need not escape it again.
MARKUP_FILTERS = frozenset(filters(getattr))
