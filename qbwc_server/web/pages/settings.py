"""The company's sync settings in one form (admins only)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from qbwc_server import companies
from qbwc_server.company_settings import effective
from qbwc_server.errors import InvalidInput
from qbwc_server.web import db_session
from qbwc_server.web.auth import role_required
from qbwc_server.web.pages.common import company_or_404
from qbwc_server.web.pages.settings_form import build_fields, group_fields, parse_form, tax_rows

log = logging.getLogger(__name__)

bp = Blueprint("settings", __name__)


@bp.route("/c/<slug>/settings", methods=["GET", "POST"])
@role_required("admin")
def edit(slug: str) -> Any:
    """Show the settings form; on submit validate every field and save them all, or none."""
    db = db_session()
    company = company_or_404(slug)
    current = effective(company.settings)
    if request.method == "POST":
        submitted = parse_form(request.form, request.form.getlist)
        try:
            result = companies.change_settings(db, company, submitted)
        except InvalidInput as exc:
            fields = build_fields(db, company.id, {**current, **submitted}, exc.errors)
            flash("Nothing was saved: correct the fields marked below.", "error")
            page = render_template("settings.html", sections=group_fields(fields), tax_rows=tax_rows, errors=exc.errors)
            return page, 422
        changed, moved = result.changed, result.moved
        db.commit()
        log.info("settings of %s changed by %s: %s", company.slug, current_user.email, ", ".join(changed) or "none")
        if changed:
            note = f" {moved} held-back record{'s' if moved != 1 else ''} moved under the new settings." * bool(moved)
            flash(
                f"Saved.{note} Records that failed before are not sent again by themselves: "
                "reprocess them on the errors page.",
                "success",
            )
        else:
            flash("Nothing changed.", "info")
        return redirect(url_for("settings.edit", slug=slug))
    fields = build_fields(db, company.id, current)
    return render_template("settings.html", sections=group_fields(fields), tax_rows=tax_rows, errors={})
