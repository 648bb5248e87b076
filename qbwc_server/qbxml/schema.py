"""Validate qbXML against Intuit's XSD files, found through ``QBWC_QBXML_SCHEMA_DIR``."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from lxml import etree

from qbwc_server.qbxml.errors import SchemaUnavailable, XmlError
from qbwc_server.qbxml.parse import parse_document

log = logging.getLogger(__name__)

ENV_VAR = "QBWC_QBXML_SCHEMA_DIR"
# Version folder -> entry file; the entry file includes the types, the aggregates and the message sets.
_ENTRY = {"v13": "qbxmlops130.xsd", "v16": "qbxmlops160.xsd"}

_cache: dict[Path, etree.XMLSchema] = {}
_lock = threading.Lock()


def schema_dir() -> Path | None:
    """Return the schema folder named by QBWC_QBXML_SCHEMA_DIR, or None when the variable is unset."""
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value) if value else None


def schema_folder_for(version: str) -> str:
    """Return "v13" for qbXML versions below 16.0 and "v16" for 16.0 and later."""
    try:
        major = float(version)
    except ValueError:
        raise ValueError(f"qbXML version {version!r} is not like '13.0'") from None
    return "v16" if major >= 16.0 else "v13"


def load_schema(version: str, directory: Path | None = None) -> etree.XMLSchema:
    """Return the compiled schema for ``version``, built once per process."""
    base = directory if directory is not None else schema_dir()
    if base is None:
        raise SchemaUnavailable(f"{ENV_VAR} is not set, so qbXML cannot be checked against the schema")
    folder = schema_folder_for(version)
    path = (base / folder / _ENTRY[folder]).resolve()
    with _lock:
        cached = _cache.get(path)
        if cached is not None:
            return cached
        if not path.is_file():
            raise SchemaUnavailable(f"The qbXML schema file {folder}/{_ENTRY[folder]} is missing in {base}")
        # The XSD files include each other by relative path; a hardened parser still reads local includes.
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
        log.debug("loading qbXML schema %s", path)
        schema = etree.XMLSchema(etree.parse(str(path), parser))
        _cache[path] = schema
        return schema


def validate(xml: str | bytes, version: str, directory: Path | None = None) -> list[str]:
    """Return the schema violations of a qbXML request (empty when valid) for ``version``.

    The requests checked are the server's own, rendered from its templates with every value escaped: parsed with
    the hardened parser, without the counting pass that guards against hostile answers (no limit QuickBooks'
    answers may reach applies to a message set of at most a few hundred requests).
    """
    schema = load_schema(version, directory)
    try:
        document = parse_document(xml, checked=True)
    except XmlError as exc:
        return [str(exc)]
    # A compiled schema keeps its error log on itself, so validations must not overlap.
    with _lock:
        if schema.validate(document):
            return []
        return [f"line {error.line}: {error.message}" for error in schema.error_log]
