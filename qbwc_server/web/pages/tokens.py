"""API tokens for a company (admins only): create one and see it once, list them, revoke."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from qbwc_server import tokens
from qbwc_server.models import ApiToken
from qbwc_server.web import db_session
from qbwc_server.web.auth import role_required
from qbwc_server.web.pages.common import company_or_404

log = logging.getLogger(__name__)

bp = Blueprint("tokens", __name__)


@bp.route("/c/<slug>/tokens", methods=["GET", "POST"])
@role_required("admin")
def index(slug: str) -> Any:
    """List the company's API tokens; on submit create one and show it this one time."""
    db = db_session()
    company = company_or_404(slug)
    created = None
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        token, plain = tokens.create(db, company, name or f"made by {current_user.email}")
        db.commit()
        log.info("API token %s… for %s created by %s", token.prefix, company.slug, current_user.email)
        created = plain
    return render_template("tokens.html", tokens=tokens.list_tokens(db, company), created=created, scheme=tokens.SCHEME)


@bp.route("/c/<slug>/tokens/<int(max=2147483647):token_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke(slug: str, token_id: int) -> Any:
    """Stop a token from working, at once and for good."""
    db = db_session()
    company = company_or_404(slug)
    token = db.get(ApiToken, token_id)
    if token is None or token.company_id != company.id:
        abort(404)
    if token.revoked_at is None:
        tokens.revoke(db, company, token.prefix)
        db.commit()
        log.info("API token %s… of %s revoked by %s", token.prefix, company.slug, current_user.email)
    flash(f"The token {tokens.SCHEME}{token.prefix}… no longer works.", "success")
    return redirect(url_for("tokens.index", slug=slug))
