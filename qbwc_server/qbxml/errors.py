"""Errors raised while building, checking and reading qbXML."""

from __future__ import annotations

from qbwc_server.errors import QbwcError


class XmlError(QbwcError):
    """Raised when qbXML is malformed or not what QuickBooks sends; the message is safe to show."""


class SchemaUnavailable(QbwcError):
    """Raised when qbXML validation is asked for but the schema folder is missing."""


class FieldTooLong(QbwcError):
    """Raised when a name or reference number is longer than QuickBooks allows (these are never cut)."""

    def __init__(self, field: str, limit: int, value: str):
        self.field = field
        self.limit = limit
        self.value = value
        super().__init__(f"{field} '{value}' is {len(value)} characters long; QuickBooks allows at most {limit}.")
