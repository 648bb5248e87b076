"""Webhook endpoints for a company (admins only): add one and see its secret once, recent deliveries, test, resend."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from qbwc_server.errors import InvalidInput, NotFound
from qbwc_server.web import db_session
from qbwc_server.web.auth import role_required
from qbwc_server.web.pages.common import company_or_404
from qbwc_server.webhooks import endpoints
from qbwc_server.webhooks.events import EventType

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

EVENT_CHOICES = [member.value for member in EventType if member is not EventType.TEST]


@bp.route("/c/<slug>/webhooks", methods=["GET", "POST"])
@role_required("admin")
def index(slug: str) -> Any:
    """List the endpoints with their recent deliveries; on submit add one and show its secret this one time."""
    db = db_session()
    company = company_or_404(slug)
    created = None
    error = None
    if request.method == "POST":
        try:
            made = endpoints.add(db, company, request.form.get("url"), request.form.getlist("events"))
        except InvalidInput as exc:
            db.rollback()
            error = "; ".join(exc.errors.values())
        else:
            db.commit()
            log.info("Webhook endpoint %d for %s added by %s", made.endpoint.id, company.slug, current_user.email)
            created = made.secret
    rows = [
        {"endpoint": e, "counts": endpoints.delivery_counts(db, e), "deliveries": endpoints.recent_deliveries(db, e)}
        for e in endpoints.list_endpoints(db, company)
    ]
    return render_template(
        "webhooks.html",
        rows=rows,
        created=created,
        error=error,
        choices=EVENT_CHOICES,
        form_url=request.form.get("url"),
    )


@bp.route("/c/<slug>/webhooks/<int:endpoint_id>/test", methods=["POST"])
@role_required("admin")
def send_test(slug: str, endpoint_id: int) -> Any:
    """Queue a test event for an endpoint."""
    db = db_session()
    try:
        endpoints.send_test(db, company_or_404(slug), endpoint_id)
    except NotFound:
        abort(404)
    db.commit()
    flash("A test event is on its way; its delivery shows below.", "success")
    return redirect(url_for("webhooks.index", slug=slug))


@bp.route("/c/<slug>/webhooks/deliveries/<int:delivery_id>/again", methods=["POST"])
@role_required("admin")
def send_again(slug: str, delivery_id: int) -> Any:
    """Send a delivery again with a fresh retry schedule."""
    db = db_session()
    try:
        endpoints.send_again(db, company_or_404(slug), delivery_id)
    except NotFound:
        abort(404)
    db.commit()
    flash("The event will be sent again.", "success")
    return redirect(url_for("webhooks.index", slug=slug))


@bp.route("/c/<slug>/webhooks/<int:endpoint_id>/remove", methods=["POST"])
@role_required("admin")
def remove(slug: str, endpoint_id: int) -> Any:
    """Remove an endpoint; nothing more is sent to it."""
    db = db_session()
    try:
        endpoints.remove(db, company_or_404(slug), endpoint_id)
    except NotFound:
        abort(404)
    db.commit()
    flash("The endpoint was removed.", "success")
    return redirect(url_for("webhooks.index", slug=slug))
