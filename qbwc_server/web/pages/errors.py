"""The bell: every record that waits for a person, grouped by cause, with QuickBooks' message and what to do."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from qbwc_server.errors import QbwcError
from qbwc_server.models import Company, Record, SyncState
from qbwc_server.sync import queue
from qbwc_server.sync.planner import display_name
from qbwc_server.sync.policy import hint
from qbwc_server.web import db_session
from qbwc_server.web.pages.common import NEEDS_A_PERSON, WHO_MUST_ACT, company_or_404

bp = Blueprint("errors", __name__)

SHOWN_PER_GROUP = 25
BLOCKED_HINT = "These wait for another record that is in error. Fix and reprocess that one; these follow by themselves."


@dataclass
class Cause:
    """Records that failed for the same reason."""

    key: str
    state: SyncState
    status_code: int | None
    message: str
    hint: str
    who_must_act: str | None = None  # in the bookkeeper's words
    retryable: bool | None = None
    records: list[Record] = field(default_factory=list)

    @property
    def title(self) -> str:
        """Return a short heading: the status code when QuickBooks gave one."""
        if self.state is SyncState.BLOCKED:
            return "Waiting for a record in error"
        if self.status_code:
            return f"QuickBooks error {self.status_code}"
        return "Cannot be sent to QuickBooks"


def group_causes(db: Any, company: Company) -> list[Cause]:
    """Group the company's records in error or blocked by status code and message, biggest group first."""
    rows = db.scalars(
        select(Record)
        .where(Record.company_id == company.id, Record.sync_state.in_(NEEDS_A_PERSON))
        .order_by(Record.updated_at.desc(), Record.id.desc())
    ).all()
    causes: dict[str, Cause] = {}
    for record in rows:
        error = record.last_error
        code = error.status_code if error else None
        message = (error.message if error else "") or "No message was recorded."
        key = cause_key(record.sync_state, code, message)
        cause = causes.get(key)
        if cause is None:
            if record.sync_state is SyncState.BLOCKED:
                advice = BLOCKED_HINT
            else:
                advice = (error.hint if error else None) or hint(int(code or 0), message, record.kind.value)
            cause = causes[key] = Cause(key, record.sync_state, code, message, advice)
            if error is not None and error.who_must_act is not None and record.sync_state is SyncState.ERROR:
                cause.who_must_act = WHO_MUST_ACT[error.who_must_act.value]
                cause.retryable = error.retryable
        cause.records.append(record)
    # Errors before blocked records (fixing an error unblocks others), then the largest groups.
    return sorted(causes.values(), key=lambda c: (c.state is SyncState.BLOCKED, -len(c.records), c.message))


def cause_key(state: SyncState, status_code: Any, message: str) -> str:
    """Return a short stable id for a cause, so one form can reprocess just that group."""
    normalised = re.sub(r"\s+", " ", message).strip().rstrip(".").lower()
    raw = f"{state.value}|{status_code}|{normalised}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]


@bp.route("/c/<slug>/errors")
@login_required
def index(slug: str) -> Any:
    """List what did not sync, grouped by cause, with a plain-language hint for each."""
    company = company_or_404(slug)
    causes = group_causes(db_session(), company)
    names = {r.id: display_name(r) for cause in causes for r in cause.records[:SHOWN_PER_GROUP]}
    differing = (
        db_session()
        .scalars(
            select(Record)
            .where(Record.company_id == company.id, Record.warning_count > 0)
            .order_by(Record.updated_at.desc(), Record.id.desc())
        )
        .all()
    )
    names.update({r.id: display_name(r) for r in differing[:SHOWN_PER_GROUP]})
    return render_template("errors.html", causes=causes, names=names, shown=SHOWN_PER_GROUP, differing=differing)


@bp.route("/c/<slug>/errors/reprocess", methods=["POST"])
@login_required
def reprocess(slug: str) -> Any:
    """Queue again every record in error (or only one cause's), after the bookkeeper fixed the cause."""
    db = db_session()
    company = company_or_404(slug)
    only = request.form.get("cause", "")
    done = 0
    try:
        for cause in group_causes(db, company):
            if cause.state is not SyncState.ERROR or (only and cause.key != only):
                continue
            for record in cause.records:
                queue.reprocess(db, company, record)
                done += 1
    except QbwcError as exc:
        db.rollback()
        flash(f"Nothing changed: {exc}.", "error")
        return redirect(url_for("errors.index", slug=slug))
    db.commit()
    if done:
        flash(
            f"{done} record{'s are' if done != 1 else ' is'} queued again; "
            "they go to QuickBooks at the next Web Connector session.",
            "success",
        )
    else:
        flash("There was nothing in error to reprocess.", "info")
    return redirect(url_for("errors.index", slug=slug))
