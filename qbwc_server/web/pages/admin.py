"""Admin pages: page users, API tokens and the Web Connector's .qwc file."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from qbwc_server.errors import AlreadyExists, InvalidInput
from qbwc_server.models import Company, Role, User
from qbwc_server.users import create_user, list_users
from qbwc_server.web import db_session
from qbwc_server.web.auth import role_required

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__)


@bp.route("/admin/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> Any:
    """List page users and add one."""
    db = db_session()
    companies = list(db.scalars(select(Company).order_by(Company.name)).all())
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        password = form.get("password", "")
        slugs = form.getlist("companies")
        if password != form.get("password_confirm", ""):
            errors["password_confirm"] = "the two passwords are not the same"  # noqa: S105 (a message)
        else:
            try:
                user = create_user(db, form.get("email", ""), form.get("role", ""), password, slugs)
            except InvalidInput as exc:
                errors = exc.errors
            except AlreadyExists as exc:
                errors = {"email": str(exc)}
            else:
                db.commit()
                log.info("page user %s added by %s", user.email, current_user.email)
                flash(f"{user.email} can now sign in as {user.role.value}.", "success")
                return redirect(url_for("admin.users"))
        db.rollback()
        flash("The user was not added: correct the fields marked below.", "error")
    return render_template(
        "users.html",
        users=list_users(db),
        companies=companies,
        roles=[r.value for r in Role],
        errors=errors,
        form=form,
    ), (422 if errors else 200)


@bp.route("/admin/users/<int(max=2147483647):user_id>/active", methods=["POST"])
@role_required("admin")
def set_active(user_id: int) -> Any:
    """Let a user sign in again, or stop them from signing in."""
    db = db_session()
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        flash("You cannot switch off your own sign-in.", "error")
        return redirect(url_for("admin.users"))
    user.active = request.form.get("active") == "1"
    db.commit()
    log.info("page user %s %s by %s", user.email, "enabled" if user.active else "disabled", current_user.email)
    flash(f"{user.email} {'can sign in again' if user.active else 'can no longer sign in'}.", "success")
    return redirect(url_for("admin.users"))
