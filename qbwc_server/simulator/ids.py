"""Identifiers in the formats QuickBooks Desktop uses (ListID, TxnID, TxnLineID, EditSequence)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# QuickBooks numbers records the user creates from 0x80000001 upwards; transactions count from small numbers.
FIRST_LIST_COUNTER = 0x80000001
FIRST_TXN_COUNTER = 0x1A
FIRST_LINE_COUNTER = 0x1A


@dataclass
class IdCounters:
    """Hold the next hex counter for each identifier kind."""

    list_id: int = FIRST_LIST_COUNTER
    txn_id: int = FIRST_TXN_COUNTER
    line_id: int = FIRST_LINE_COUNTER
    txn_number: int = 1

    def next_list_id(self, when: datetime) -> str:
        """Return a new ListID such as ``80000001-1700000000``."""
        value = f"{self.list_id:X}-{unix(when)}"
        self.list_id += 1
        return value

    def next_txn_id(self, when: datetime) -> str:
        """Return a new TxnID such as ``1A-1700000000``."""
        value = f"{self.txn_id:X}-{unix(when)}"
        self.txn_id += 1
        return value

    def next_line_id(self, when: datetime) -> str:
        """Return a new TxnLineID in the same shape as a TxnID."""
        value = f"{self.line_id:X}-{unix(when)}"
        self.line_id += 1
        return value

    def next_txn_number(self) -> int:
        """Return QuickBooks' internal running transaction number."""
        value = self.txn_number
        self.txn_number += 1
        return value

    def to_json(self) -> dict[str, int]:
        """Return the counters as a JSON-ready dict."""
        return {
            "list_id": self.list_id,
            "txn_id": self.txn_id,
            "line_id": self.line_id,
            "txn_number": self.txn_number,
        }

    @classmethod
    def from_json(cls, data: dict[str, int]) -> IdCounters:
        """Build counters from `to_json` output."""
        return cls(**{key: int(value) for key, value in data.items()})


def unix(when: datetime) -> int:
    """Return whole unix seconds for an aware datetime."""
    return int(when.timestamp())


def first_edit_sequence(when: datetime) -> str:
    """Return the EditSequence of a new record: unix seconds as a decimal string."""
    return str(unix(when))


def next_edit_sequence(current: str, when: datetime) -> str:
    """Return the EditSequence after a Mod, always greater than the current one."""
    return str(max(int(current) + 1, unix(when)))


def format_time(when: datetime, offset_minutes: int) -> str:
    """Format a time the way QuickBooks does: local time with the UTC offset, no fraction."""
    tz = timezone(timedelta(minutes=offset_minutes))
    return when.astimezone(tz).replace(microsecond=0).isoformat()


def parse_time(text: str, offset_minutes: int) -> datetime:
    """Parse a qbXML date-time; a value without offset is the company's local time."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    return value
