"""What a request handler hands back to the processor to turn into a *Rs element."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUS_OK = "Status OK"
NO_MATCH = "A query request did not find a matching object in QuickBooks"


@dataclass
class Answer:
    """Hold the Ret records and status of one answered request."""

    rets: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    code: int = 0
    severity: str = "Info"
    message: str = STATUS_OK
    skip: frozenset[str] = frozenset()
    only: set[str] | None = None
    owner_ids: list[str] | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    # Elements of the *Rs itself, in order, for answers without a Ret (TxnVoidRs, TxnDelRs, ListDelRs).
    fields: list[tuple[str, str]] = field(default_factory=list)
    # ("add" | "mod" | "void" | "delete", kind) when the request changed the company, for the session counters.
    change: tuple[str, str] | None = None


def not_found_warning(value: str) -> Answer:
    """Return QuickBooks' 500 warning for a ListID/FullName/TxnID that matched nothing."""
    return Answer(
        code=500,
        severity="Warn",
        message=(
            "The query request has not been fully completed. There was a required element "
            f'("{value}") that could not be found in QuickBooks.'
        ),
    )
