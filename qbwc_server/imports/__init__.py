"""Imports from QuickBooks: accounts, items, customers with jobs, vendors, reference lists and history.

`runs` queues and reports imports (each run has one queue item, of action IMPORT, that goes once per page),
`step` is the sync engine's step that sends a page's query and files its answer, `mapping` turns QuickBooks
objects into our record data, and `store` links, creates and updates.
"""

from qbwc_server.imports.kinds import KINDS, parse_kinds
from qbwc_server.imports.runs import RunStatus, cancel, start, status
from qbwc_server.imports.step import ImportPageStep

__all__ = ["KINDS", "ImportPageStep", "RunStatus", "cancel", "parse_kinds", "start", "status"]
