"""Render qbXML requests from the packaged Jinja templates (``qbxml_templates/``) and wrap them in a message set."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from qbwc_server.qbxml import elements, values
from qbwc_server.resources import QBXML_TEMPLATES, template_loader

ON_ERROR_CHOICES = ("continueOnError", "stopOnError", "rollbackOnError")
_VERSION = re.compile(r"^\d{1,2}\.\d{1,2}$")


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(Environment):
    """Jinja's environment, reading a plain dict's key by ``r.name`` without trying (and failing) an attribute first.

    The builders hand the templates dicts; Jinja looks ``r.name`` up as an attribute, and only after the
    AttributeError as a key, which was a fifth of rendering a request. A name that is also a dict attribute
    (``items``, ``get``…) is still looked up as Jinja does, so every template reads what it read before.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Get an item or attribute of an object, as Jinja does, a plain dict's key first."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Return the one Jinja environment: XML-escaped output, errors on any undefined name.

    The templates ship in the package and do not change while it runs, so each is compiled once and kept in a plain
    dict (`cache_size=-1`): Jinja's default cache is an LRU behind a lock that reorders its queue at every look-up,
    and each request's template and its includes (three for an invoice) are looked up at every render.
    """
    env = _Environment(  # noqa: S701 - autoescape is on for every template, they are all XML
        loader=template_loader(QBXML_TEMPLATES),
        cache_size=-1,
        auto_reload=False,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["money"] = values.money
    env.filters["price"] = values.price
    env.filters["qty"] = values.quantity
    env.filters["boolean"] = values.boolean
    env.filters["isodate"] = values.iso_date
    env.filters.update(elements.filters(env.getattr))  # the shared pieces: r.memo | el("Memo"), ...
    return env


def render(template: str, **context: Any) -> str:
    """Render one request template (e.g. ``customer_add.xml.j2``) into a request element."""
    return environment().get_template(template).render(**context).strip()


def message_set(requests: list[str], version: str, on_error: str = "continueOnError") -> str:
    """Wrap already-rendered request elements in a complete qbXML request document for ``version``."""
    if not _VERSION.match(version):
        raise ValueError(f"qbXML version {version!r} is not like '13.0'")
    if on_error not in ON_ERROR_CHOICES:
        raise ValueError(f"onError must be one of {', '.join(ON_ERROR_CHOICES)}")
    # The requests were produced by our own escaped templates, so they are inserted as markup.
    body = Markup("\n").join(Markup(rq) for rq in requests)  # noqa: S704
    return render("message_set.xml.j2", requests=body, version=version, on_error=on_error)
