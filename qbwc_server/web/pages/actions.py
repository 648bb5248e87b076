"""Company-wide actions: force sync of everything unsynced, pause and resume."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from qbwc_server import companies
from qbwc_server.errors import QbwcError
from qbwc_server.sync import queue
from qbwc_server.web import db_session
from qbwc_server.web.pages.common import company_or_404

log = logging.getLogger(__name__)

bp = Blueprint("actions", __name__)


@bp.route("/c/<slug>/sync", methods=["POST"])
@login_required
def force_sync(slug: str) -> Any:
    """Queue every record that is not in QuickBooks in its current version."""
    db = db_session()
    company = company_or_404(slug)
    try:
        queued = queue.force_sync(db, company)
    except QbwcError as exc:
        db.rollback()
        flash(f"Nothing changed: {exc}.", "error")
        return redirect(url_for("dashboard.company", slug=slug))
    db.commit()
    log.info("force sync of %s by %s queued %d records", company.slug, current_user.email, queued)
    if queued:
        note = " Sync is paused: resume it to send them." if company.paused else ""
        flash(
            f"{queued} record{'s are' if queued != 1 else ' is'} queued for the next Web Connector session.{note}",
            "success",
        )
    else:
        flash("Nothing to queue: every record is synced, queued or deliberately left out.", "info")
    return redirect(url_for("dashboard.company", slug=slug))


@bp.route("/c/<slug>/pause", methods=["POST"])
@login_required
def pause(slug: str) -> Any:
    """Stop sending anything to QuickBooks until someone resumes."""
    return _set_paused(slug, True)


@bp.route("/c/<slug>/resume", methods=["POST"])
@login_required
def resume(slug: str) -> Any:
    """Send to QuickBooks again from the next Web Connector session."""
    return _set_paused(slug, False)


def _set_paused(slug: str, paused: bool) -> Any:
    db = db_session()
    company = companies.set_paused(db, company_or_404(slug).slug, paused)
    db.commit()
    log.info("%s %s by %s", company.slug, "paused" if paused else "resumed", current_user.email)
    if paused:
        flash("Sync is paused. Records are still stored and queued, but nothing goes to QuickBooks.", "warning")
    else:
        flash("Sync is resumed. Queued records go to QuickBooks at the next Web Connector session.", "success")
    return redirect(url_for("dashboard.company", slug=slug))


@bp.route("/c/<slug>/import", methods=["POST"])
@login_required
def start_import(slug: str) -> Any:
    """Queue imports of the chosen QuickBooks lists for the next Web Connector session."""
    from flask import request

    from qbwc_server.imports import runs

    db = db_session()
    company = company_or_404(slug)
    kinds = request.form.getlist("kinds")
    try:
        started = runs.start(db, company, kinds, full=bool(request.form.get("full")))
    except QbwcError as exc:
        db.rollback()
        flash(f"Nothing imported: {exc}.", "error")
        return redirect(url_for("dashboard.company", slug=slug))
    db.commit()
    log.info("import of %s started by %s: %s", company.slug, current_user.email, ", ".join(r.kind for r in started))
    flash(
        f"Import of {', '.join(r.kind.replace('_', ' ') for r in started)} queued: it runs at the next Web Connector "
        "session, and its progress shows below.",
        "success",
    )
    return redirect(url_for("dashboard.company", slug=slug))
