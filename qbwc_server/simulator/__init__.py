"""A faithful stand-in for QuickBooks Desktop and the QuickBooks Web Connector, for tests, demos and benchmarks."""

from __future__ import annotations

from .clock import set_clock
from .errors import QuickBooksParseError, ServerUnreachableError, SimulatorError
from .quickbooks import FakeCompany
from .report import SessionReport
from .webconnector import FakeWebConnector, Faults

__all__ = [
    "FakeCompany",
    "FakeWebConnector",
    "Faults",
    "QuickBooksParseError",
    "ServerUnreachableError",
    "SessionReport",
    "SimulatorError",
    "set_clock",
]
