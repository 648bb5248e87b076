"""qbXML schema lookup and validation (Intuit's XSDs, found through QBWC_QBXML_SCHEMA_DIR)."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path

from lxml import etree

SCHEMA_ENV = "QBWC_QBXML_SCHEMA_DIR"
_ROOTS = {"v13": "v13/qbxmlops130.xsd", "v16": "v16/qbxmlops160.xsd"}
# libxml2 sets its built-in schema types up on first use without a lock, and a compiled schema keeps its error
# log on itself: simulated companies in several threads (the many-companies benchmark) take turns.
_lock = threading.Lock()


def schema_dir_from_env() -> Path | None:
    """Return the schema folder named by the environment, or None."""
    value = os.environ.get(SCHEMA_ENV)
    return Path(value) if value else None


def schema_key(version: str) -> str:
    """Return which schema validates a message set of qbXML `version` (16.x: v16, older: v13)."""
    major = int(version.split(".")[0])
    return "v16" if major >= 16 else "v13"


def load_schema(schema_dir: str, key: str) -> etree.XMLSchema:
    """Load and cache one qbXML schema; loading takes a noticeable fraction of a second."""
    with _lock:
        return _load(schema_dir, key)


@functools.lru_cache(maxsize=8)
def _load(schema_dir: str, key: str) -> etree.XMLSchema:
    path = Path(schema_dir) / _ROOTS[key]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(path), parser))


def validation_errors(schema_dir: Path, version: str, doc: etree._Element) -> list[str]:
    """Validate a parsed document against the schema for `version`; return the error messages."""
    schema = load_schema(str(schema_dir), schema_key(version))
    with _lock:
        if schema.validate(doc):
            return []
        return [f"line {err.line}: {err.message}" for err in schema.error_log]
