"""Render qbXML requests from the packaged Jinja templates (``qbxml_templates/``) and wrap them in a message set."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import Environment, StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from markupsafe import Markup, escape

from qbwc_server.qbxml import elements, values
from qbwc_server.resources import QBXML_TEMPLATES, template_loader

ON_ERROR_CHOICES = ("continueOnError", "stopOnError", "rollbackOnError")
_VERSION = re.compile(r"^\d{1,2}\.\d{1,2}$")


_DICT_ATTRIBUTES = frozenset(dir(dict))


def markup_text(value: Any) -> Markup:
    """Return an element filter's output as it is when it is Markup (its text escaped already), else escaped."""
    return value if type(value) is Markup else escape(value)


class _Generator(CodeGenerator):
    """Jinja's code generator, writing an element filter's output without escaping it a second time.

    With autoescape on, every ``{{ … }}`` goes through markupsafe's ``escape``; an element filter
    (``r.memo | el("Memo")``) returns Markup whose text it has escaped, which ``escape`` only copied into a new
    Markup (two constructions and as many look-ups of ``__html__`` per element: a quarter of rendering an invoice).
    An output that is one such filter call goes through `markup_text` instead, which hands Markup on as it is and
    escapes anything else as before; every other output is written as Jinja writes it.
    """

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if (
            isinstance(node, nodes.Filter)
            and node.name in elements.MARKUP_FILTERS
            and frame.eval_ctx.autoescape
            and not frame.eval_ctx.volatile
            and finalize.src is None
        ):
            self.write("environment.markup_text(")  # closed by _output_child_post, as escape( is
            return
        super()._output_child_pre(node, frame, finalize)


class _Environment(Environment):
    """Jinja's environment, reading a plain dict's key by ``r.name`` without trying (and failing) an attribute first.

    The builders hand the templates dicts; Jinja looks ``r.name`` up as an attribute, and only after the
    AttributeError as a key, which was a fifth of rendering a request. A name that is also a dict attribute
    (``items``, ``get``…) is still looked up as Jinja does, so every template reads what it read before.
    """

    code_generator_class = _Generator
    markup_text = staticmethod(markup_text)

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
