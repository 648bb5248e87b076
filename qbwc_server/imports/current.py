"""QuickBooks' current copy of one linked record, taken into ours as an import would take it.

A refresh that reads a record after QuickBooks refused our Mod (3200: someone edited it there) hands its answer here,
so fields changed in QuickBooks are taken and conflicts settled before our change goes again.
"""

from __future__ import annotations

import logging

from lxml import etree
from sqlalchemy.orm import Session

from qbwc_server.imports.mapping import map_ret
from qbwc_server.imports.store import Store
from qbwc_server.models import Company, Origin, Record, RecordKind

log = logging.getLogger(__name__)

IMPORT_KIND_OF = {
    RecordKind.CUSTOMER: "customers",
    RecordKind.JOB: "customers",
    RecordKind.ITEM: "items",
    RecordKind.VENDOR: "vendors",
    RecordKind.INVOICE: "invoices",
    RecordKind.PAYMENT: "payments",
    RecordKind.BILL: "bills",
}


def take_current(db: Session, company: Company, record: Record, ret: etree._Element, ticket: str | None) -> None:
    """Bring QuickBooks' current copy of a linked record (a refresh's answer) into ours, as an import would.

    Fields changed in QuickBooks are taken, conflicts settled by the `conflicts` setting and logged, before our
    change goes to QuickBooks again.
    """
    if record.origin is Origin.APP and record.kind.is_transaction:
        return  # the app owns its invoices, payments and bills: nothing of QuickBooks' wording is taken
    try:
        entry = map_ret(IMPORT_KIND_OF[record.kind], ret)
    except ValueError as exc:
        log.warning("could not read QuickBooks' copy of %s %s: %s", record.kind.value, record.external_id, exc)
        return
    if entry.record_kind is None or entry.qb_id != record.qb_id:
        return
    kinds = (RecordKind.CUSTOMER, RecordKind.JOB) if record.kind in (RecordKind.CUSTOMER, RecordKind.JOB) else ()
    Store(db, company, kinds or (record.kind,), ticket=ticket).apply([entry])
