"""Page logins: users and their company access, password checks, the login and logout views, and role checks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_login import login_required as login_required
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbwc_server import clock, passwords, throttle
from qbwc_server.models import Company, Role, User
from qbwc_server.users import create_user as create_user  # page logins live in users.py; kept importable here
from qbwc_server.users import normalise_email

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("auth", __name__)


# --- page logins ------------------------------------------------------------------------------------------


def check_login(db: Session, email: str, password: str) -> User | None:
    """Return the active user whose password matches, or None; takes as long whether or not the email exists."""
    user = db.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))
    # An unknown email is checked against a dummy hash, so it costs as long as a wrong password.
    if not passwords.verify_password(user.password_hash if user else None, password) or not user or not user.active:
        return None
    return user


def visible_companies(db: Session, user: PageUser) -> list[Company]:
    """Return the companies a user may see: all for an admin, the assigned ones for a bookkeeper."""
    query = select(Company).order_by(Company.name)
    if not user.is_admin:
        query = query.where(Company.id.in_(user.company_ids or {-1}))
    return list(db.scalars(query).all())


# --- Flask-Login ----------------------------------------------------------------------------------------------


class PageUser(UserMixin):
    """The signed-in user as the views see it, detached from any database session."""

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.generation = user.session_generation or 0
        self.email = user.email
        self.role = user.role
        self.company_ids = frozenset(company.id for company in user.companies)
        self._active = bool(user.active)

    def get_id(self) -> str:
        """Return what the session cookie holds: the user and the session generation it was signed in under."""
        return f"{self.id}:{self.generation}"

    @property
    def is_active(self) -> bool:
        return self._active

    @property
    def is_admin(self) -> bool:
        """Tell whether the user may change settings, users, tokens and companies."""
        return self.role is Role.ADMIN

    def can_see(self, company: Company) -> bool:
        """Tell whether the user may see this company's pages."""
        return self.is_admin or company.id in self.company_ids


def init_app(app: Flask, session_minutes: int) -> None:
    """Set up logins on an app: session cookie rules, the user loader and the login views."""
    app.config.update(
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=session_minutes),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
    )
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.login_message = "Please sign in to see this page."
    manager.login_message_category = "info"
    manager.init_app(app)

    @manager.user_loader
    def _load(user_id: str) -> PageUser | None:
        from qbwc_server.web import db_session

        number, _, generation = user_id.partition(":")
        try:
            user = db_session().get(User, int(number))
        except (ValueError, OverflowError):
            return None
        # A cookie from before the user's last sign-out carries an older generation: it no longer signs anyone in.
        if user is None or not user.active or generation != str(user.session_generation or 0):
            return None
        return PageUser(user)

    app.register_blueprint(bp)


def role_required(role: str) -> Callable[[F], F]:
    """Let only signed-in users with `role` reach a view; others get 403 (or the login page)."""
    wanted = Role(role)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from flask import current_app

                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if current_user.role is not wanted and not current_user.is_admin:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


# --- views ----------------------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the sign-in form and sign a user in."""
    from qbwc_server.web import db_session, runtime_of

    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")
        password = request.form.get("password", "")
        db = db_session()
        address = request.remote_addr or ""
        wait = throttle.locked_seconds(db, "page", email, address)
        if wait:
            # Answered at once without checking the password; other addresses are not held back.
            db.rollback()
            flash(f"Too many failed sign-ins from here. Try again in {_minutes(wait)}.", "error")
            return render_template("login.html", email=email), 429
        user = check_login(db, email, password)
        if user is None:
            step = runtime_of(current_app).settings.auth_failure_delay_seconds
            throttle.note_failure(db, "page", email, address, step)
            db.commit()
            flash("That email and password do not match a user of this server.", "error")
            return render_template("login.html", email=email), 401
        throttle.clear(db, "page", email, address)
        user.last_login_at = clock.now()
        db.commit()
        # A new session on sign-in: nothing set before (by anyone) carries over.
        session.clear()
        session.permanent = True
        login_user(PageUser(user))
        log.info("page user %s signed in", user.email)
        return redirect(_safe_next(request.args.get("next")) or url_for("dashboard.index"))
    return render_template("login.html", email=email)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Sign out: end every session of this user on the server, so a copied cookie stops working too."""
    from qbwc_server.web import db_session

    if current_user.is_authenticated:
        db = db_session()
        user = db.get(User, current_user.id)
        if user is not None:
            user.session_generation = (user.session_generation or 0) + 1
            db.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str | None:
    # Only paths on this server: never send someone to another site after signing in.
    if not target or any(ch in target for ch in "\r\n\t\\") or not target.isprintable():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _minutes(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = (seconds + 59) // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
