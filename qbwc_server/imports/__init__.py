"""Imports from QuickBooks: accounts, items, customers with jobs, vendors, reference lists and history.

`runs` queues and reports imports, `extension` is the sync engine's hook that sends the queries and files
the answers, `mapping` turns QuickBooks objects into our record data, and `store` links, creates and updates.
"""

from qbwc_server.imports.extension import ImportExtension
from qbwc_server.imports.kinds import KINDS, parse_kinds
from qbwc_server.imports.runs import RunStatus, cancel, start, status

__all__ = ["KINDS", "ImportExtension", "RunStatus", "cancel", "parse_kinds", "start", "status"]
