"""Which records must be in QuickBooks before a record can be sent there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qbwc_server.models import RecordKind

Ref = tuple[RecordKind, str]


def prerequisites(kind: RecordKind, data: Mapping[str, Any]) -> list[Ref]:
    """Return the records this one references, prerequisites first and without repeats."""
    refs: list[Ref] = []

    def add(ref_kind: RecordKind, external_id: Any) -> None:
        if external_id not in (None, "") and (ref_kind, str(external_id)) not in refs:
            refs.append((ref_kind, str(external_id)))

    if kind is RecordKind.JOB:
        add(RecordKind.CUSTOMER, data.get("customer"))
    elif kind is RecordKind.INVOICE:
        add(RecordKind.CUSTOMER, data.get("customer"))
        add(RecordKind.JOB, data.get("job"))
        for line in data.get("lines") or []:
            add(RecordKind.ITEM, line.get("item"))
    elif kind is RecordKind.PAYMENT:
        add(RecordKind.CUSTOMER, data.get("customer"))
        for applied in data.get("applied_to") or []:
            add(RecordKind.INVOICE, applied.get("invoice"))
    elif kind is RecordKind.CREDIT_MEMO:
        add(RecordKind.CUSTOMER, data.get("customer"))
        add(RecordKind.JOB, data.get("job"))
        for line in data.get("lines") or []:
            add(RecordKind.ITEM, line.get("item"))
        for applied in data.get("applied_to") or []:
            add(RecordKind.INVOICE, applied.get("invoice"))  # its credit is applied to them once it is there
    elif kind is RecordKind.REFUND:
        add(RecordKind.CUSTOMER, data.get("customer"))
        add(RecordKind.CREDIT_MEMO, data.get("credit_memo"))  # the credit it pays back must be in QuickBooks first
        add(RecordKind.PAYMENT, data.get("payment"))
    elif kind is RecordKind.BILL:
        add(RecordKind.VENDOR, data.get("vendor"))
        for line in data.get("item_lines") or []:
            add(RecordKind.ITEM, line.get("item"))
        for line in [*(data.get("expense_lines") or []), *(data.get("item_lines") or [])]:
            add(RecordKind.CUSTOMER, line.get("customer"))
            add(RecordKind.JOB, line.get("job"))
    return refs


# Lists go before the transactions that reference them; parents before their jobs.
PRIORITY = {
    RecordKind.CUSTOMER: 10,
    RecordKind.VENDOR: 10,
    RecordKind.ITEM: 20,
    RecordKind.JOB: 30,
    RecordKind.INVOICE: 40,
    RecordKind.BILL: 40,
    RecordKind.PAYMENT: 50,
    RecordKind.CREDIT_MEMO: 45,
    RecordKind.REFUND: 55,
}
