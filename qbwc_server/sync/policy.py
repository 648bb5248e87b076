"""What to do with each QuickBooks status code, and how to say it to a bookkeeper."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Action(enum.Enum):
    """The engine's answer to a status code on a request."""

    SUCCEED = "succeed"
    LINK_EXISTING = "link_existing"  # 3100 on an Add: find the QuickBooks record with that name and link it
    REFRESH = "refresh"  # 3200: re-read the EditSequence, then send again
    PREREQUISITE = "prerequisite"  # 3140: something referenced is missing in QuickBooks
    RETRY_LATER = "retry_later"  # 3170-3180: someone else is editing in QuickBooks
    RESYNC = "resync"  # 3120: the object we hold an id for is gone
    FAIL = "fail"


TRANSIENT = {3170, 3175, 3176, 3180}
RETRY_BASE_SECONDS = 60


@dataclass(frozen=True)
class MissingReference:
    """What a 3140 says is missing: the QuickBooks list ('Customer', 'Item', 'Account', …) and the name."""

    list_name: str
    name: str


def classify(status_code: int, *, was_add: bool) -> Action:
    """Choose the action for a status code."""
    if status_code < 1000 and status_code not in (500,):
        return Action.SUCCEED
    if status_code == 3100 and was_add:
        return Action.LINK_EXISTING
    if status_code == 3200:
        return Action.REFRESH
    if status_code == 3140:
        return Action.PREREQUISITE
    if status_code in TRANSIENT:
        return Action.RETRY_LATER
    if status_code == 3120:
        return Action.RESYNC
    return Action.FAIL


def retry_delay(attempts: int) -> float:
    """Seconds to wait before retrying a transient failure: doubling from one minute, at most an hour."""
    return float(min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), 3600))


_REFERENCE = re.compile(r'invalid reference to QuickBooks (?P<list>[A-Za-z ]+?) "(?P<name>[^"]*)"')


def missing_reference(message: str) -> MissingReference | None:
    """Read the list and name out of a 3140 message."""
    match = _REFERENCE.search(message.replace("&quot;", '"'))
    if not match:
        return None
    return MissingReference(match.group("list").strip(), match.group("name"))


_HINTS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"QuickBooks PaymentMethod|payment method", re.I),
        "Create the payment method '{name}' in QuickBooks, or stop syncing '{name}' payments in the settings.",
    ),
    (
        re.compile(r"QuickBooks Account", re.I),
        "Create the account '{name}' in QuickBooks, or choose another account in the settings' account mappings.",
    ),
    (
        re.compile(r"QuickBooks (Standard)?Terms", re.I),
        "Create the terms '{name}' in QuickBooks or change them on the invoice.",
    ),
    (re.compile(r"QuickBooks Class", re.I), "Create the class '{name}' in QuickBooks or remove it from the record."),
    (
        re.compile(r"QuickBooks (ItemSalesTax|Sales ?Tax)", re.I),
        "Create the sales tax item '{name}' in QuickBooks, or map the tax rate to an existing one in the settings.",
    ),
]


def hint(status_code: int, message: str, kind: str = "record") -> str:
    """Return a plain-language suggestion of what to fix for a QuickBooks error."""
    if status_code == 3140:
        missing = missing_reference(message)
        name = missing.name if missing else "it"
        for pattern, text in _HINTS:
            if pattern.search(message):
                return text.format(name=name)
        return f"QuickBooks does not have '{name}' that this {kind} refers to; sync or create it first, then reprocess."
    if status_code == 3100:
        if kind == "vendor":
            return (
                "A customer, employee or other name in QuickBooks already uses this name, and QuickBooks names must "
                "be unique across all of them. Rename the vendor (for example 'Name (vendor)'), then reprocess."
            )
        if kind in ("customer", "job"):
            return (
                "A vendor, employee or other name in QuickBooks already uses this name, and QuickBooks names must "
                "be unique across all of them. Rename one of them, then reprocess."
            )
        return "This name is already used in QuickBooks. Rename one of them, or link this record to the existing one."
    if status_code == 3210:
        if "more than the amount due" in message:
            return "The payment is more than the invoice's open balance in QuickBooks; check the amounts applied."
        return "QuickBooks refused a value in this record; correct it and reprocess."
    if status_code == 3200:
        return "Someone changed this record in QuickBooks at the same time; reprocess to send it again."
    if status_code in TRANSIENT:
        return "QuickBooks was busy (someone is editing in multi-user mode). It will be retried automatically."
    if status_code == 3120:
        return "The record was deleted in QuickBooks. Reprocess to create it again, or exclude it."
    if status_code in (3250, 3260, 3261):
        return (
            "QuickBooks does not allow this for the connected user or edition; check the Web Connector's permissions."
        )
    return "Correct the record, then reprocess it."


def plain_error(status_code: int | None, message: str, kind: str = "record") -> dict[str, object]:
    """Build the `last_error` a record shows: QuickBooks' code and message, and what to do."""
    text = (message or "").replace("&quot;", '"').strip()
    return {
        "status_code": status_code,
        "message": f"QuickBooks error {status_code}: {text}" if status_code is not None else text,
        "hint": hint(status_code or 0, text, kind),
    }
