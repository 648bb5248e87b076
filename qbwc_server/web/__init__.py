"""The Flask application factory: the bookkeeper's page and the REST API."""

from __future__ import annotations

from typing import Any

from flask import Flask, g

from qbwc_server.runtime import Runtime


def create_app(runtime: Runtime | None = None, test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app for a runtime (read from QBWC_* settings when none is given)."""
    runtime = runtime or Runtime.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=runtime.settings.secret_key,
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["qbwc_runtime"] = runtime

    @app.teardown_appcontext
    def _close_db(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()

    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    return app


def _blueprints() -> list[Any]:
    from qbwc_server.web.api import api

    return [api]


def runtime_of(app: Flask) -> Runtime:
    """Return the runtime an app was built with."""
    return app.extensions["qbwc_runtime"]


def db_session() -> Any:
    """Return this request's database session (closed when the request ends)."""
    from flask import current_app

    if "db" not in g:
        g.db = runtime_of(current_app).sessions()
    return g.db
