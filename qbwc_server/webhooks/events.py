"""The event types a host app can subscribe to, and how a record looks inside an event."""

from __future__ import annotations

import enum
from typing import Any

from qbwc_server.models import Record


class EventType(enum.Enum):
    """What happened; the value is the `type` field of the delivered JSON."""

    RECORD_SYNCED = "record.synced"  # QuickBooks has the record's current version (with its QuickBooks id)
    RECORD_ERROR = "record.error"  # QuickBooks refused it or it cannot be sent; waits for a fix
    RECORD_BLOCKED = "record.blocked"  # waits for a prerequisite that is in error
    RECORD_OUTCOME_UNKNOWN = "record.outcome_unknown"  # sent, but the answer was lost; QuickBooks is checked next
    RECORD_OUTCOME_RESOLVED = "record.outcome_resolved"  # the check found it in QuickBooks, or did not
    RECORD_CHANGED_IN_QUICKBOOKS = "record.changed_in_quickbooks"  # an import brought QuickBooks-side edits
    RECORD_REMOVED = "record.removed"  # the app removed it: QuickBooks voided, deleted or inactivated it (or dropped)
    RECORD_DELETED_IN_QUICKBOOKS = "record.deleted_in_quickbooks"  # someone deleted its entry in QuickBooks
    IMPORT_FINISHED = "import.finished"  # an import from QuickBooks ended (done, failed or cancelled)
    CONNECTION_STATE_CHANGED = "connection.state_changed"  # connected, syncing, error, paused, never_connected
    TEST = "webhook.test"  # sent on request, to check an endpoint

    @classmethod
    def parse(cls, value: str) -> EventType:
        """Return the type named `value`; raise ValueError listing the types when it is none."""
        for member in cls:
            if member.value == value:
                return member
        raise ValueError(f"unknown event type {value!r}; the types are {', '.join(m.value for m in cls)}")


def record_view(record: Record) -> dict[str, Any]:
    """Show a record as events carry it: who it is in the app and in QuickBooks, and its sync state."""
    return {
        "resource": record.kind.resource,
        "external_id": record.external_id,
        "version": record.version,
        "quickbooks": {
            "id": record.qb_id,
            "edit_sequence": record.qb_edit_sequence,
            "full_name": record.qb_full_name,
        },
        "sync_state": record.sync_state.value,
    }


def error_view(record: Record) -> dict[str, Any]:
    """Return a record's note as events carry it: the API's structured error, or why it waits, with its message."""
    note = record.last_error
    # A waiting reason has no code or hint; the keys stay, so a host app reads every event the same way.
    return {"status_code": None, "message": None, "hint": None, **(note.to_json() if note is not None else {})}
