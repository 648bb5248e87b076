"""`qbwc-server serve`: run the server (SOAP endpoint, page and REST API) with waitress."""

from __future__ import annotations

import click

from qbwc_server import db as database
from qbwc_server.errors import ConfigError
from qbwc_server.logging_setup import configure

# Waitress' own limit only needs to sit above ours, so oversized bodies get our SOAP Fault instead of its page.
_WAITRESS_HEADROOM = 1024 * 1024


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: QBWC_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default: QBWC_PORT or 8080).")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="Worker threads.")
@click.pass_obj
def serve(obj, host: str | None, port: int | None, threads: int) -> None:  # type: ignore[no-untyped-def]
    """Serve the Web Connector endpoint at /qbwc, the page at / and the REST API at /api/v1."""
    runtime = obj.runtime
    host, port = prepare_serving(runtime, host, port)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Serving on http://{shown}:{port}/ - Web Connector endpoint http://{shown}:{port}/qbwc")
    run_waitress(runtime, host, port, threads)


def prepare_serving(runtime, host: str | None, port: int | None) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """Configure logging, check the schema is migrated, and settle the address to listen on."""
    configure(runtime.settings.log_level)
    if database.current_revision(runtime.engine) is None:
        raise ConfigError("the database has no tables yet: run `qbwc-server db upgrade` first")
    return host or runtime.settings.host, port or runtime.settings.port


def run_waitress(runtime, host: str, port: int, threads: int) -> None:  # type: ignore[no-untyped-def]
    """Serve the composed app with waitress until interrupted, delivering webhooks in the background."""
    import waitress

    from qbwc_server.webhooks.delivery import Deliverer
    from qbwc_server.wsgi import make_wsgi_app

    # Webhooks go out from a thread of their own, never from a request: a dead endpoint cannot slow a session.
    deliverer = Deliverer(runtime).start()
    try:
        waitress.serve(
            make_wsgi_app(runtime),
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=max(runtime.settings.max_body_bytes + _WAITRESS_HEADROOM, 1024**3),
            ident="qbwc-server",
        )
    finally:
        deliverer.stop()


COMMANDS = [serve]
