"""File QuickBooks' answer to each request on its record: identity, sync log, and the error policy."""

from __future__ import annotations

import logging
from xml.sax.saxutils import quoteattr

from lxml import etree
from sqlalchemy.orm import Session

from qbwc_server import clock, queue, synclog
from qbwc_server.company_settings import effective
from qbwc_server.models import Company, LogEvent, QueueAction, QueueItem, QueueStatus, Record, SyncState, WcSession
from qbwc_server.qbxml.parse import RsItem
from qbwc_server.sync import builders
from qbwc_server.sync.builders import invoices
from qbwc_server.sync.outgoing import request_input
from qbwc_server.sync.planner import display_name
from qbwc_server.sync.policy import Action, classify, missing_reference, plain_error, retry_delay

log = logging.getLogger(__name__)


class Outcome:
    """Counts of what one response did, for the session's summary."""

    def __init__(self) -> None:
        self.succeeded = 0
        self.failed = 0


def handle(
    db: Session,
    company: Company,
    session: WcSession,
    item: QueueItem,
    record: Record,
    rs: RsItem | None,
    outcome: Outcome,
) -> None:
    """Apply one request's answer (or its absence) to its record and queue item."""
    ticket = session.ticket
    if rs is None:
        # No answer for it (stopOnError cut the set short): it simply goes again.
        queue.back_to_ready(item)
        _restore_queued(db, record)
        return
    sent = item.sent_info or {}
    body = _response_part(rs)
    if item.action is QueueAction.LOOKUP:
        _handle_lookup(db, company, item, record, rs, ticket, body, outcome)
        return
    if item.action is QueueAction.REFRESH:
        _handle_refresh(db, company, item, record, rs, ticket, body, outcome)
        return
    action = classify(rs.status_code, was_add=bool(sent.get("add")))
    missing = _missing_prerequisite(db, company, record, rs.message) if action is Action.PREREQUISITE else None
    if action is Action.PREREQUISITE and missing is None:
        action = Action.FAIL  # what is missing is not ours to create: a person must
    kind = record.kind.value
    if action is Action.SUCCEED and rs.rets:
        inp = request_input(db, company, record)
        _store_identity(record, builders.identity_from_ret(inp, rs.rets[0]), int(sent.get("version") or record.version))
        message = (
            f"{'Added to' if sent.get('add') else 'Updated in'} QuickBooks as {record.qb_full_name or record.qb_id}."
        )
        synclog.append(
            db,
            record,
            LogEvent.SYNCED,
            message,
            status_code=rs.status_code,
            rq_type=sent.get("rq_type"),
            response_xml=body,
            ticket=ticket,
        )
        for warning in builders.total_warnings(inp, rs.rets[0]):
            synclog.append(db, record, LogEvent.WARNING, warning, ticket=ticket)
        _finish_synced(db, company, item, record)
        outcome.succeeded += 1
        return
    synclog.append(
        db,
        record,
        LogEvent.FAILED if action is Action.FAIL else LogEvent.RETRIED,
        f"QuickBooks answered {rs.status_code}: {rs.message}",
        status_code=rs.status_code,
        rq_type=sent.get("rq_type"),
        response_xml=body,
        ticket=ticket,
    )
    max_attempts = int(effective(company.settings)["max_attempts"])
    if item.attempts >= max_attempts and action is not Action.FAIL:
        _fail(db, item, record, rs.status_code, f"{rs.message} (gave up after {item.attempts} attempts)", kind, outcome)
        return
    if action is Action.LINK_EXISTING:
        queue.back_to_ready(item, action=QueueAction.LOOKUP, error=rs.message)
        synclog.append(
            db,
            record,
            LogEvent.RETRIED,
            f"QuickBooks already has {_article(kind)} {kind} named "
            f"'{display_name(record)}'; looking it up to link it instead of adding a second one.",
        )
        _restore_queued(db, record)
    elif action is Action.REFRESH:
        queue.back_to_ready(item, action=QueueAction.REFRESH, error=rs.message)
        _restore_queued(db, record)
    elif action is Action.RETRY_LATER:
        queue.back_to_ready(item, delay_seconds=retry_delay(item.attempts), error=rs.message)
        _restore_queued(db, record)
    elif action is Action.PREREQUISITE and missing is not None:
        # We believed it was there; QuickBooks says not: look it up (and add it when it is gone), then retry.
        missing.qb_id = None
        missing.synced_version = None
        queue.enqueue(db, company, missing, action=QueueAction.LOOKUP)
        queue.back_to_ready(item, error=rs.message)
        _restore_queued(db, record)
    elif action is Action.RESYNC:
        _forget_identity(record)
        queue.back_to_ready(item, error=rs.message)
        synclog.append(db, record, LogEvent.RETRIED, "QuickBooks no longer has this record; it will be added again.")
        _restore_queued(db, record)
    else:
        _fail(db, item, record, rs.status_code, rs.message, kind, outcome)


def _handle_lookup(
    db: Session,
    company: Company,
    item: QueueItem,
    record: Record,
    rs: RsItem,
    ticket: str,
    body: str | None,
    outcome: Outcome,
) -> None:
    inp = request_input(db, company, record)
    match = builders.pick_match(inp, rs.rets) if rs.status_code == 0 else None
    if match is None and rs.status_code == 0 and record.kind.value == "invoice" and not item.unknown_outcome:
        # First sync of an invoice: one entered in QuickBooks with our number for this customer is ours to update.
        match = next((ret for ret in rs.rets if invoices.same_number(inp, ret)), None)
    if match is not None and _other_item_type(record, match):
        kind_found = match.tag.removeprefix("Item").removesuffix("Ret")
        message = (
            f'The name "{display_name(record)}" of the list element is already in use by a {kind_found} item in '
            f"QuickBooks, and an item cannot change its type there."
        )
        _fail(db, item, record, 3100, message, record.kind.value, outcome)
        return
    if match is not None:
        identity = builders.identity_from_ret(inp, match)
        add_version = (item.sent_info or {}).get("add_version")
        _store_identity(record, identity, add_version)
        synclog.append(
            db,
            record,
            LogEvent.LINKED,
            f"Found in QuickBooks as {identity.full_name or identity.id}; linked to it instead of adding it again.",
            status_code=rs.status_code,
            response_xml=body,
            ticket=ticket,
        )
        if add_version is not None and add_version == record.version:
            # It was our own Add whose answer was lost, and nothing changed since: it is in QuickBooks as it is.
            _finish_synced(db, company, item, record)
            outcome.succeeded += 1
            return
        # Send our current data once as a Mod so QuickBooks matches what the app has.
        queue.back_to_ready(item, action=QueueAction.SEND, unknown_outcome=False)
        _restore_queued(db, record)
        return
    if rs.status_code not in (0, 1, 500):
        _fail(db, item, record, rs.status_code, rs.message, record.kind.value, outcome)
        return
    was_3100 = bool(item.last_error) and "already in use" in (item.last_error or "")
    if was_3100:
        _fail(db, item, record, 3100, item.last_error or "", record.kind.value, outcome)
        return
    synclog.append(
        db, record, LogEvent.RETRIED, "Not in QuickBooks yet; sending it.", status_code=rs.status_code, ticket=ticket
    )
    queue.back_to_ready(item, action=QueueAction.SEND, unknown_outcome=False)
    _restore_queued(db, record)


def _handle_refresh(
    db: Session,
    company: Company,
    item: QueueItem,
    record: Record,
    rs: RsItem,
    ticket: str,
    body: str | None,
    outcome: Outcome,
) -> None:
    if rs.status_code == 0 and rs.rets:
        inp = request_input(db, company, record)
        identity = builders.identity_from_ret(inp, rs.rets[0])
        record.qb_edit_sequence = identity.edit_sequence
        if identity.line_ids:
            record.qb_line_ids = dict(identity.line_ids)
        synclog.append(
            db,
            record,
            LogEvent.RETRIED,
            "Read QuickBooks' current version; sending the change again.",
            status_code=0,
            ticket=ticket,
        )
        queue.back_to_ready(item, action=QueueAction.SEND)
        _restore_queued(db, record)
        return
    if rs.status_code in (1, 500, 3120):
        _forget_identity(record)
        synclog.append(
            db,
            record,
            LogEvent.RETRIED,
            "QuickBooks no longer has this record; it will be added again.",
            status_code=rs.status_code,
            ticket=ticket,
        )
        queue.back_to_ready(item, action=QueueAction.LOOKUP)
        _restore_queued(db, record)
        return
    _fail(db, item, record, rs.status_code, rs.message, record.kind.value, outcome)


def _missing_prerequisite(db: Session, company: Company, record: Record, message: str) -> Record | None:
    """After a 3140, return the record of ours that QuickBooks says is missing, or None when it is not ours."""
    missing = missing_reference(message)
    if missing is None:
        return None
    for prerequisite in queue.referenced_records(db, company, record):
        if missing.name in {prerequisite.qb_id, prerequisite.qb_full_name, display_name(prerequisite)}:
            return prerequisite
    return None


def _forget_identity(record: Record) -> None:
    record.qb_id = record.qb_edit_sequence = None
    record.qb_line_ids = None


def _store_identity(record: Record, identity: builders.QbIdentity, version: int | None) -> None:
    record.qb_id = identity.id
    record.qb_edit_sequence = identity.edit_sequence
    if identity.full_name:
        record.qb_full_name = identity.full_name
    if identity.line_ids:
        record.qb_line_ids = dict(identity.line_ids)
    record.synced_version = version
    record.synced_at = clock.now()


def _finish_synced(db: Session, company: Company, item: QueueItem, record: Record) -> None:
    queue.finish(item, QueueStatus.DONE)
    if record.synced_version == record.version:
        queue.set_state(db, record, SyncState.SYNCED, error=None)
    else:
        # It changed while QuickBooks was busy with the previous version: send the newer one.
        queue.set_state(db, record, SyncState.PENDING, error=None)
        queue.record_changed(db, company, record)


def _fail(
    db: Session, item: QueueItem, record: Record, status_code: int | None, message: str, kind: str, outcome: Outcome
) -> None:
    error = plain_error(status_code, message, kind)
    queue.finish(item, QueueStatus.FAILED, error=str(error["message"]))
    queue.set_state(db, record, SyncState.ERROR, error=error)
    outcome.failed += 1


def _restore_queued(db: Session, record: Record) -> None:
    if record.sync_state is not SyncState.QUEUED:
        queue.set_state(db, record, SyncState.QUEUED, error=None)


def _response_part(rs: RsItem) -> str:
    # Keep the log readable: only this request's answer, not the whole message set.
    head = (
        f'<{rs.rs_type} requestID={quoteattr(str(rs.request_id))} statusCode="{rs.status_code}"'
        f" statusMessage={quoteattr(rs.message or '')}>"
    )
    rets = "".join(etree.tostring(ret, encoding="unicode") for ret in rs.rets[:5])
    return f"{head}{rets}</{rs.rs_type}>"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


_ITEM_RETS = {"service": "ItemServiceRet", "non_inventory": "ItemNonInventoryRet", "other_charge": "ItemOtherChargeRet"}


def _other_item_type(record: Record, ret: etree._Element) -> bool:
    """Tell whether QuickBooks' item with our item's name is of another type (it cannot be updated as ours)."""
    if record.kind.value != "item":
        return False
    return ret.tag != _ITEM_RETS.get(str((record.data or {}).get("type")), ret.tag)
