"""The queue and records: filtered lists, a record's page with its sync timeline, and what a person can do to it."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import String, cast, func, or_, select

from qbwc_server import synclog
from qbwc_server.company_settings import effective, kind_choice
from qbwc_server.errors import InvalidInput, QbwcError
from qbwc_server.models import QbListEntry, QueueStatus, Record, RecordKind, SyncState
from qbwc_server.sync import queue, removal
from qbwc_server.sync.linking import link_record
from qbwc_server.sync.planner import display_name
from qbwc_server.sync.policy import hint
from qbwc_server.web import db_session
from qbwc_server.web.pages.common import WHO_MUST_ACT, company_or_404

bp = Blueprint("records", __name__)

PAGE_SIZE = 50
LINK_CHOICES = 100

# The imported QuickBooks lists a record of each kind can be linked to.
LINK_LISTS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.CUSTOMER: ("customer",),
    RecordKind.JOB: ("job", "customer"),
    RecordKind.ITEM: ("item", "item_service", "item_non_inventory", "item_other_charge", "item_inventory"),
    RecordKind.VENDOR: ("vendor",),
}


@bp.route("/c/<slug>/records")
@login_required
def index(slug: str) -> Any:
    """List records with kind, state and text filters, a page at a time."""
    db = db_session()
    company = company_or_404(slug)
    kind = _enum_arg(RecordKind, "kind")
    state = _enum_arg(SyncState, "state")
    text = request.args.get("q", "").strip()
    page = max(_int_arg("page", 1), 1)

    query = select(Record).where(Record.company_id == company.id)
    if kind is not None:
        query = query.where(Record.kind == kind)
    if state is not None:
        query = query.where(Record.sync_state == state)
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(
                func.lower(Record.external_id).like(pattern),
                func.lower(Record.qb_full_name).like(pattern),
                func.lower(cast(Record.data, String)).like(pattern),
            )
        )
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    page = min(page, pages)
    records = db.scalars(
        query.order_by(Record.updated_at.desc(), Record.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return render_template(
        "records.html",
        records=records,
        names={r.id: display_name(r) for r in records},
        kinds=list(RecordKind),
        states=list(SyncState),
        kind=kind,
        state=state,
        text=text,
        page=page,
        pages=pages,
        total=total,
        counts=queue.counts(db, company),
    )


@bp.route("/c/<slug>/records/<int(max=2147483647):record_id>")
@login_required
def show(slug: str, record_id: int) -> Any:
    """Show a record: its fields, its QuickBooks identity, its sync timeline and the actions it allows."""
    db = db_session()
    company = company_or_404(slug)
    record = _record(company.id, record_id)
    item = queue.open_item(db, record)
    error = record.last_error.to_json() if record.last_error else {}
    if error and not error.get("hint") and error.get("status_code"):
        error["hint"] = hint(int(error["status_code"]), str(error.get("message", "")), record.kind.value)
    find = request.args.get("find", "").strip()
    return render_template(
        "record.html",
        record=record,
        name=display_name(record),
        error=error,
        who_must_act=WHO_MUST_ACT,
        item=item,
        busy=item is not None and item.status is QueueStatus.SENT,
        entries=synclog.entries(db, record),
        fields=_flatten(record.data or {}),
        link_choices=_link_choices(company.id, record.kind, find),
        link_lists=LINK_LISTS.get(record.kind, ()),
        find=find,
        remove_label=None if removal.is_removed(record) else _remove_label(record, company),
        conflicts=list((record.qb_data or {}).get("conflicts") or []),
    )


_REMOVE_LABELS = {
    "void": "Remove, and void it in QuickBooks",
    "delete": "Remove, and delete it in QuickBooks",
    "deactivate": "Remove, and make it inactive in QuickBooks",
}


def _remove_label(record: Record, company: Any) -> str:
    return _REMOVE_LABELS[removal.action_for(record, effective(company.settings)).value]


@bp.route("/c/<slug>/records/<int(max=2147483647):record_id>/<action>", methods=["POST"])
@login_required
def act(slug: str, record_id: int, action: str) -> Any:
    """Reprocess, sync, cancel, exclude or link a record, then show it again with what happened."""
    db = db_session()
    company = company_or_404(slug)
    record = _record(company.id, record_id)
    name = f"{record.kind.value} '{display_name(record)}'"
    try:
        if action == "reprocess":
            queue.reprocess(db, company, record)
            message = f"The {name} is queued again; it goes to QuickBooks at the next Web Connector session."
        elif action == "sync":
            queue.request_sync(db, company, record)
            message = f"The {name} is queued; it goes to QuickBooks at the next Web Connector session."
        elif action == "cancel":
            queue.cancel(db, record, f"Taken off the queue by {current_user.email}.")
            message = f"The {name} is off the queue. It stays here until it changes or someone syncs it."
        elif action == "exclude":
            reason = request.form.get("reason", "").strip() or "no reason given"
            queue.exclude(db, record, f"{reason} (by {current_user.email})")
            message = f"The {name} will not be synced."
        elif action == "readd":
            queue.readd(db, company, record)
            message = f"The {name} goes to QuickBooks again, as a new entry, at the next Web Connector session."
        elif action == "link":
            message = _link(db, company, record)
        elif action == "remove":
            done = removal.remove(db, company, record)
            message = " ".join([done.message, *done.effects])
        else:
            abort(404)
    except QbwcError as exc:
        db.rollback()
        reason = "; ".join(exc.errors.values()) if isinstance(exc, InvalidInput) else str(exc)
        flash(f"Nothing changed: {reason}.", "error")
        return redirect(url_for("records.show", slug=slug, record_id=record_id))
    db.commit()
    if record.sync_state is SyncState.EXCLUDED and action in ("reprocess", "sync"):
        message = f"The {name} is not synced: {_reason(record)}"
        flash(message, "warning")
    else:
        flash(message, "success")
    return redirect(url_for("records.show", slug=slug, record_id=record_id))


def _link(db: Any, company: Any, record: Record) -> str:
    typed = request.form.get("qb_id", "").strip()
    chosen = request.form.get("entry", "").strip()
    full_name = None
    if typed:
        qb_id = typed
    elif chosen:
        entry = db.scalar(
            select(QbListEntry).where(QbListEntry.company_id == company.id, QbListEntry.id == int(chosen or 0))
        )
        if entry is None:
            raise QbwcError("that QuickBooks entry is not in the imported lists")
        qb_id, full_name = entry.list_id, entry.full_name
    else:
        raise QbwcError("choose a QuickBooks record from the list or type its ListID / TxnID")
    link_record(db, company, record, qb_id, full_name, by=current_user.email)
    shown = f"'{full_name}'" if full_name else qb_id
    if record.kind.is_list and (
        (record.data or {}).get("link_only")
        or kind_choice(effective(company.settings), "link_policy", record.kind.value) == "keep_quickbooks"
    ):
        return (
            f"Linked to {shown} in QuickBooks. The next Web Connector session reads it; QuickBooks keeps its own "
            "values, and only fields the app changes from now on are sent."
        )
    return f"Linked to {shown} in QuickBooks. The next Web Connector session reads it and sends the app's data to it."


def _reason(record: Record) -> str:
    entries = synclog.entries(record=record, db=db_session(), limit=1)
    return entries[-1].message if entries else "it is excluded by the company's settings."


def _record(company_id: int, record_id: int) -> Record:
    record = db_session().get(Record, record_id)
    if record is None or record.company_id != company_id:
        abort(404)
    return record


def _link_choices(company_id: int, kind: RecordKind, find: str) -> list[QbListEntry]:
    lists = LINK_LISTS.get(kind)
    if not lists:
        return []
    query = select(QbListEntry).where(QbListEntry.company_id == company_id, QbListEntry.list_type.in_(lists))
    if find:
        query = query.where(func.lower(QbListEntry.full_name).like(f"%{find.lower()}%"))
    return list(db_session().scalars(query.order_by(QbListEntry.full_name).limit(LINK_CHOICES)).all())


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Turn nested record data into (field, value) rows such as ('lines 1 › item', 'labor-1')."""
    rows: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            label = f"{prefix} › {key}" if prefix else str(key)
            rows.extend(_flatten(value, label))
    elif isinstance(data, list):
        if not data:
            rows.append((prefix, "(none)"))
        for index, value in enumerate(data, start=1):
            rows.extend(_flatten(value, f"{prefix} {index}"))
    else:
        text = "" if data is None else ("yes" if data is True else "no" if data is False else str(data))
        rows.append((prefix, text))
    return rows


def _enum_arg(enum_class: Any, name: str) -> Any:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        return enum_class(raw)
    except ValueError:
        return None


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        return default
