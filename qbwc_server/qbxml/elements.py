"""The shared pieces of qbXML the request templates call as ``m.el(...)``, ``m.ref(...)`` and so on.

They were Jinja macros, imported by every template; a macro call and an import cost a Jinja context each, and a
CustomerAdd made a dozen of them, the largest share of rendering it. Written here, and given to every template as
the global ``m``, they make the same text: each element on a line of its own, its text XML-escaped, nothing at all
for an absent value. Tags are the templates' own literal names, so only the text needs escaping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from qbwc_server.qbxml import values

NOTHING = Markup("")


def _element(tag: str, text: object) -> Markup:
    return Markup(f"<{tag}>{escape(text)}</{tag}>\n")  # noqa: S704 - the text is escaped, the tag is a literal


def el(tag: str, value: Any) -> Markup:
    """``<Tag>text</Tag>`` for a value that is there and not empty."""
    if value is not None and value != "":
        return _element(tag, value)
    return NOTHING


def _formatted(format_value: Callable[[Any], str]) -> Callable[[str, Any], Markup]:
    def piece(tag: str, value: Any) -> Markup:
        return _element(tag, format_value(value)) if value is not None else NOTHING

    return piece


money = _formatted(values.money)
price = _formatted(values.price)
qty = _formatted(values.quantity)
flag = _formatted(values.boolean)
date = _formatted(values.iso_date)


def pieces(getattr_: Callable[[Any, str], Any]) -> dict[str, Callable[..., Markup]]:
    """Return the pieces for an environment by name; `getattr_` reads a field as a template does (attribute or key).

    A plain dict, so that the environment reads ``m.el`` as a key straight away (see `render._Environment`).
    """

    def ref(tag: str, r: Any) -> Markup:
        """A reference to a list object: by ListID when QuickBooks gave us one, else by FullName."""
        if r is None:
            return NOTHING
        list_id = getattr_(r, "list_id")
        if list_id:
            return Markup(f"<{tag}><ListID>{escape(list_id)}</ListID></{tag}>\n")  # noqa: S704
        full_name = getattr_(r, "full_name")
        if full_name:
            return Markup(f"<{tag}><FullName>{escape(full_name)}</FullName></{tag}>\n")  # noqa: S704
        return NOTHING

    def address(tag: str, a: Any) -> Markup:
        """An address block with the lines it has."""
        if not a:
            return NOTHING
        lines = [
            el("Addr1", getattr_(a, "addr1")),
            el("Addr2", getattr_(a, "addr2")),
            el("City", getattr_(a, "city")),
            el("State", getattr_(a, "state")),
            el("PostalCode", getattr_(a, "postal_code")),
            el("Country", getattr_(a, "country")),
        ]
        return Markup(f"<{tag}>\n{''.join(lines)}</{tag}>\n")  # noqa: S704 - each line is escaped

    return {
        "el": el,
        "money": money,
        "price": price,
        "qty": qty,
        "flag": flag,
        "date": date,
        "ref": ref,
        "address": address,
    }
