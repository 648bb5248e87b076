"""The Flask application factory: the bookkeeper's page and the REST API."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from flask import Flask, g, request
from flask.sessions import NullSession, SecureCookieSessionInterface
from flask.wrappers import Request
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup
from werkzeug.wrappers import Response

from qbwc_server.records.characters import readable
from qbwc_server.runtime import Runtime

# A browser that once reached the page over HTTPS keeps to HTTPS for a year.
HSTS = "max-age=31536000"

# The REST API's paths: a bearer token is the only way in, so their requests have no cookie session at all.
API_PREFIX = "/api/v1"
# Paths whose callers prove who they are with a bearer token or a SOAP ticket, never with a page session.
CSRF_EXEMPT_PREFIXES = (API_PREFIX, "/qbwc")


def create_app(runtime: Runtime | None = None, test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app for a runtime (read from QBWC_* settings when none is given)."""
    runtime = runtime or Runtime.from_env()
    app = _App(__name__)
    app.config.update(
        SECRET_KEY=runtime.settings.secret_key,
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        JSON_SORT_KEYS=False,
        # Forms stay valid as long as the login does; the session lifetime bounds them.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_CHECK_DEFAULT=False,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["qbwc_runtime"] = runtime

    @app.teardown_appcontext
    def _close_db(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()

    app.session_interface = _SessionCookies()
    # Text stored before it was checked may hold a lone surrogate; shown replaced, it never breaks a page.
    app.jinja_env.finalize = _readable
    _protect_forms(app)

    @app.after_request
    def _strict_transport(response: Response) -> Response:
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    from qbwc_server.web import auth

    auth.init_app(app, runtime.settings.login_session_minutes)
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    return app


class _App(Flask):
    """Flask, with the check whether a view or hook is an `async def` made once per function, not at every request.

    Flask asks it of each hook and the view at every request (`inspect.iscoroutinefunction`, a few calls each): for an
    API request, the nine functions it runs cost as much as the rest of its hooks' own work.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Weakly held: a function made for one request (a copied request context) is not kept alive by the cache.
        self._synchronous: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()

    def ensure_sync(self, func: Any) -> Any:
        try:
            known = self._synchronous.get(func)
            if known is None:
                known = self._synchronous[func] = super().ensure_sync(func)
        except TypeError:  # a callable that cannot be held weakly or hashed: asked every time, as Flask does
            return super().ensure_sync(func)
        return known


def _readable(value: Any) -> Any:
    if isinstance(value, Markup):
        # Already-safe markup stays safe: replacing a surrogate adds no tag or entity.
        return Markup(readable(str(value)))  # noqa: S704
    if isinstance(value, str):
        return readable(value)
    return value


class _SessionCookies(SecureCookieSessionInterface):
    """Page sessions in a signed cookie, Secure whenever the request came over HTTPS (directly or through a trusted
    proxy); none for the REST API.

    An API request proves who it is with its bearer token alone: its session cookie, if it sends one, is not even
    read (a page login cannot ride along on an API call), and nothing about it is written back (no `Set-Cookie`,
    no `Vary: Cookie`).
    """

    def open_session(self, app: Flask, request: Request) -> Any:
        if request.path.startswith(API_PREFIX):
            return _NoApiSession()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


class _NoApiSession(NullSession):
    """The session of an API request: empty, and an attempt to store something in it is a bug, said plainly."""

    def _no_session(self, *_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("an API request has no session: it is authenticated by its bearer token alone")

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _no_session


def _protect_forms(app: Flask) -> None:
    """Require the CSRF token on every page form; the REST API and SOAP paths are exempt."""
    csrf = CSRFProtect(app)

    @app.before_request
    def _check_csrf() -> None:
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return
        if request.path.startswith(CSRF_EXEMPT_PREFIXES):
            return
        csrf.protect()


def _blueprints() -> list[Any]:
    from qbwc_server.web import api_webhooks  # noqa: F401  (adds its routes to the API blueprint)
    from qbwc_server.web.api import api
    from qbwc_server.web.ops import ops
    from qbwc_server.web.pages import BLUEPRINTS

    return [api, ops, *BLUEPRINTS]


def runtime_of(app: Flask) -> Runtime:
    """Return the runtime an app was built with."""
    return app.extensions["qbwc_runtime"]


def db_session() -> Any:
    """Return this request's database session (closed when the request ends)."""
    from flask import current_app

    if "db" not in g:
        g.db = runtime_of(current_app).sessions()
    return g.db
