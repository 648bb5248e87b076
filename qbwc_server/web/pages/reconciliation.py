"""The reconciliation page: the company's invoices, payments and bills against QuickBooks, with a fix per line."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from qbwc_server import reconciliation
from qbwc_server.errors import InvalidInput
from qbwc_server.imports import runs
from qbwc_server.imports.kinds import KINDS
from qbwc_server.web import db_session
from qbwc_server.web.pages.common import company_or_404

bp = Blueprint("reconciliation", __name__)

REFRESHED_KINDS = ("invoices", "payments", "bills")


@bp.route("/c/<slug>/reconciliation")
@login_required
def index(slug: str) -> Any:
    """Show the report for the period in ?from=&to= (transaction dates; empty: everything)."""
    company = company_or_404(slug)
    raw_from, raw_to = request.args.get("from", ""), request.args.get("to", "")
    errors: dict[str, str] = {}
    try:
        start, end = reconciliation.parse_period(raw_from, raw_to)
    except InvalidInput as exc:
        errors = dict(exc.errors)
        start = end = None
    report = reconciliation.build(db_session(), company, start, end)
    return render_template(
        "reconciliation.html", report=report, period={"from": raw_from, "to": raw_to}, errors=errors
    ), (422 if errors else 200)


@bp.route("/c/<slug>/reconciliation/refresh", methods=["POST"])
@login_required
def refresh(slug: str) -> Any:
    """Queue imports of invoices, payments and bills, so the next session brings QuickBooks' side up to date."""
    db = db_session()
    company = company_or_404(slug)
    kinds = [kind for kind in REFRESHED_KINDS if kind in KINDS]
    runs.start(db, company, kinds)
    db.commit()
    flash(f"Imports of {', '.join(kinds)} are queued for the next Web Connector session.", "success")
    period: dict[str, Any] = {k: v for k, v in request.form.items() if k in ("from", "to") and v}
    return redirect(url_for("reconciliation.index", slug=slug, **period))
