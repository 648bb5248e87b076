"""Files shipped inside the package: the qbXML and .qwc templates, found with importlib.resources."""

from __future__ import annotations

from importlib import resources

from jinja2 import FunctionLoader

# The repository keeps these folders at its top level; the build maps them into the package under these names.
QBXML_TEMPLATES = "qbwc_server.qbxml_templates"
QWC_TEMPLATES = "qbwc_server.qwc_templates"


def template_loader(package: str) -> FunctionLoader:
    """Return a Jinja loader reading templates from a data package, from a checkout or an installed wheel alike."""
    root = resources.files(package)

    def load(name: str) -> str | None:
        source = root.joinpath(name)
        return source.read_text(encoding="utf-8") if source.is_file() else None

    return FunctionLoader(load)
