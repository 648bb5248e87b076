"""Page logins: users and their company access, password checks, the login and logout views, and role checks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_login import login_required as login_required
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbwc_server import clock, passwords
from qbwc_server.models import Company, LoginThrottle, Role, User
from qbwc_server.users import create_user as create_user  # page logins live in users.py; kept importable here
from qbwc_server.users import normalise_email

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

# Failed page logins per email before each further try has to wait (doubling, at most 15 minutes).
FREE_FAILURES = 5
MAX_LOCK_SECONDS = 900

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
        self.email = user.email
        self.role = user.role
        self.company_ids = frozenset(company.id for company in user.companies)
        self._active = bool(user.active)

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

        try:
            user = db_session().get(User, int(user_id))
        except ValueError:
            return None
        if user is None or not user.active:
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
    from qbwc_server.web import db_session

    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")
        password = request.form.get("password", "")
        db = db_session()
        wait = _locked_seconds(db, email)
        if wait:
            flash(f"Too many failed sign-ins for this email. Try again in {_minutes(wait)}.", "error")
            return render_template("login.html", email=email), 429
        user = check_login(db, email, password)
        if user is None:
            _note_failure(db, email)
            db.commit()
            flash("That email and password do not match a user of this server.", "error")
            return render_template("login.html", email=email), 401
        _clear_failures(db, email)
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
    """Sign out and forget the session."""
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str | None:
    # Only paths on this server: never send someone to another site after signing in.
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _throttle_key(email: str) -> str:
    return ("page:" + normalise_email(email))[:100]


def _locked_seconds(db: Session, email: str) -> int:
    row = db.get(LoginThrottle, _throttle_key(email))
    if row is None or row.failures < FREE_FAILURES or row.last_failure_at is None:
        return 0
    lock = min(2 ** (row.failures - FREE_FAILURES), MAX_LOCK_SECONDS)
    waited = (clock.now() - clock.aware(row.last_failure_at)).total_seconds()  # type: ignore[operator]
    return max(0, int(lock - waited))


def _note_failure(db: Session, email: str) -> None:
    key = _throttle_key(email)
    row = db.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(username=key, failures=0)
        db.add(row)
    row.failures = (row.failures or 0) + 1
    row.last_failure_at = clock.now()


def _clear_failures(db: Session, email: str) -> None:
    row = db.get(LoginThrottle, _throttle_key(email))
    if row is not None:
        db.delete(row)


def _minutes(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = (seconds + 59) // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
