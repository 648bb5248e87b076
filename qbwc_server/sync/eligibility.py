"""Whether a record should go to QuickBooks now, under its company's sync settings."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

from qbwc_server.models import Record, RecordKind

DATED_KINDS = {RecordKind.CUSTOMER, RecordKind.INVOICE, RecordKind.PAYMENT}


class Verdict(enum.Enum):
    """What to do with a record."""

    SEND = "send"
    HOLD = "hold"  # keep it pending: it may sync later (draft, manual sync, kind switched off)
    EXCLUDE = "exclude"  # never sync it under these settings (before the start date, filtered payment method)


@dataclass(frozen=True)
class Decision:
    """A verdict and, unless it is SEND, the reason in plain words."""

    verdict: Verdict
    reason: str = ""


def decide(record: Record, settings: dict[str, Any], *, explicit: bool = False) -> Decision:
    """Decide for one record; `explicit` is a person or the API asking to sync it now."""
    kind = record.kind
    data = record.data or {}
    if kind.value not in settings["sync_kinds"]:
        return Decision(Verdict.HOLD, f"{kind.resource} do not sync for this company (setting sync_kinds)")
    if before_start_date(record, settings):
        when, start = _record_date(record), settings["sync_start_date"]
        assert when is not None
        return Decision(Verdict.EXCLUDE, f"dated {when.isoformat()}, before the sync start date {start}")
    if kind is RecordKind.INVOICE:
        status = data.get("status") or "draft"
        if status == "draft":
            return Decision(Verdict.HOLD, "draft invoices never go to QuickBooks")
        if status not in settings["invoice_sync_statuses"]:
            return Decision(
                Verdict.HOLD, f"invoices with status '{status}' do not sync (setting invoice_sync_statuses)"
            )
    if kind is RecordKind.PAYMENT:
        methods = settings.get("payment_methods")
        method = data.get("method")
        if methods and method not in methods:
            return Decision(
                Verdict.EXCLUDE,
                f"payments by '{method or 'no method'}' do not sync; the company syncs {', '.join(methods)} payments",
            )
    if not settings["auto_sync"] and not explicit:
        return Decision(Verdict.HOLD, "automatic sync is off: press sync to send it")
    return Decision(Verdict.SEND)


def before_start_date(record: Record, settings: dict[str, Any]) -> bool:
    """Tell whether a record not yet in QuickBooks is dated before the sync start date (so it is not sent alone)."""
    start = settings.get("sync_start_date")
    if not start or record.kind not in DATED_KINDS or record.qb_id is not None:
        return False
    when = _record_date(record)
    return when is not None and when < date.fromisoformat(start)


def _record_date(record: Record) -> date | None:
    data = record.data or {}
    raw = data.get("date") or data.get("created_at")
    if raw:
        try:
            return date.fromisoformat(str(raw)[:10])
        except ValueError:
            return None
    return record.created_at.date() if record.created_at else None
