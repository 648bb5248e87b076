"""The project's exceptions: one base class, one line each on when they are raised."""

from __future__ import annotations


class QbwcError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigError(QbwcError):
    """Raised when a QBWC_* setting is missing or invalid."""


class NotFound(QbwcError):
    """Raised when a company, record, user or token does not exist."""


class AlreadyExists(QbwcError):
    """Raised when creating something whose unique name is taken."""


class InvalidInput(QbwcError):
    """Raised when input fails validation; `errors` maps field paths to messages."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


class CannotSync(QbwcError):
    """Raised when nothing may be sent to this QuickBooks this session; the message is shown in the Web Connector."""
