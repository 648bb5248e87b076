"""The values that go into a request builder and come out of it."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qbwc_server.qbxml.errors import QbwcError

KINDS = ("customer", "job", "item", "invoice", "payment", "vendor", "bill", "credit_memo", "refund")
LIST_KINDS = ("customer", "job", "item", "vendor")


@dataclass(frozen=True)
class QbRef:
    """A synced record as QuickBooks knows it: its ListID or TxnID, and its FullName for list objects."""

    id: str
    full_name: str | None = None
    group: bool = False  # a QuickBooks group item, which a transaction line cannot name as its item


@dataclass(frozen=True)
class QbIdentity:
    """What we stored from QuickBooks' last answer for a record; line_ids maps our line keys to TxnLineIDs."""

    id: str
    edit_sequence: str
    full_name: str | None = None
    line_ids: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestInput:
    """Everything a builder needs: the record, the company settings and what QuickBooks already holds."""

    kind: str
    external_id: str
    data: Mapping[str, Any]
    settings: Mapping[str, Any]
    qb: QbIdentity | None
    refs: Mapping[tuple[str, str], QbRef] = field(default_factory=dict)
    name_suffix: str = ""  # keeps the name apart from one another record or list holds (" (2)", " (V)")
    # The app's data when the record was linked to what QuickBooks had, when QuickBooks keeps its own values
    # (link_policy keep_quickbooks): a Mod then sends only the fields that differ from it.
    linked: Mapping[str, Any] | None = None


@dataclass
class Built:
    """One rendered request element, its type, and plain-words warnings about text we had to change."""

    xml: str
    rq_type: str
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # plain-words facts for the record's log (fields kept, sent)
    name: str | None = None  # a list record's Add: the Name it gives the record (the last part of its FullName)


class ProblemKind(enum.Enum):
    """Why a record cannot be rendered, which decides who must fix it."""

    DATA = "data"  # the app's data does not fit QuickBooks
    TOO_LONG = "too_long"  # a field is over QuickBooks' limit
    SETTINGS = "settings"  # a format in the company's settings is wrong
    TAX_MAPPING = "tax_mapping"  # the settings map no QuickBooks sales tax item to the record's tax rate
    QUICKBOOKS = "quickbooks"  # QuickBooks no longer has what the record came from
    REFUND_ACCOUNT = "refund_account"  # the settings name no account refunds are paid from


class RecordProblem(QbwcError):
    """Raised when a record cannot be sent as it is; ``message`` tells the bookkeeper what to fix."""

    def __init__(self, field: str, message: str, problem: ProblemKind = ProblemKind.DATA):
        self.field = field
        self.message = message
        self.problem = problem
        super().__init__(message)
