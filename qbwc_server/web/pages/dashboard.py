"""The dashboard: is QuickBooks connected, what waits, what the last sessions did."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from qbwc_server.models import ImportRun
from qbwc_server.status import company_status
from qbwc_server.web import db_session
from qbwc_server.web.auth import visible_companies
from qbwc_server.web.pages.common import company_or_404, warning_count

bp = Blueprint("dashboard", __name__)

RECENT_IMPORTS = 5


@bp.route("/")
@login_required
def index() -> Any:
    """List the user's companies with their status lights (or go straight to the only one)."""
    db = db_session()
    companies = visible_companies(db, current_user)
    if len(companies) == 1:
        return redirect(url_for("dashboard.company", slug=companies[0].slug))
    rows = [(company, company_status(db, company)) for company in companies]
    return render_template("companies.html", rows=rows)


@bp.route("/c/<slug>/")
@login_required
def company(slug: str) -> Any:
    """Show one company's connection status, queue counts, latest sessions and imports."""
    db = db_session()
    company = company_or_404(slug)
    status = company_status(db, company)
    imports = db.scalars(
        select(ImportRun)
        .where(ImportRun.company_id == company.id)
        .order_by(ImportRun.created_at.desc(), ImportRun.id.desc())
        .limit(RECENT_IMPORTS)
    ).all()
    from qbwc_server.imports.kinds import KINDS

    return render_template(
        "dashboard.html",
        status=status,
        imports=imports,
        import_kinds=list(KINDS.values()),
        totals_differ=warning_count(company),
    )
