"""`qbwc-server serve`: run the server (SOAP endpoint, page and REST API) with waitress, or gunicorn workers."""

from __future__ import annotations

import signal
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from qbwc_server import db as database
from qbwc_server.errors import ConfigError
from qbwc_server.logging_setup import configure

if TYPE_CHECKING:
    from qbwc_server.runtime import Runtime

# How long a stopping server lets the requests in progress finish.
GRACE_SECONDS = 30
# Request threads per process when `--threads` is not given. One waitress process answers everything (the Web
# Connector, the page, the API) with its threads. Each of several gunicorn processes needs only enough threads to
# keep its interpreter busy while calls wait for PostgreSQL: more share one interpreter lock and stretch every call
# in it (fifty companies at once on three processes: p99 553-647 ms with 3 threads, 615-811 with 8, measured in
# alternating pairs; benchmarks/README.md, "Threads per worker, round twelve").
THREADS_ALONE = 8
THREADS_PER_WORKER = 3


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: QBWC_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default: QBWC_PORT or 8080).")
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=None,
    help=f"Threads per process (default: {THREADS_ALONE} for one process, {THREADS_PER_WORKER} for each of several).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes (gunicorn; Linux and PostgreSQL only, otherwise one waitress process).",
)
@click.pass_obj
def serve(obj, host: str | None, port: int | None, threads: int | None, workers: int) -> None:
    """Serve the Web Connector endpoint at /qbwc, the page at / and the REST API at /api/v1."""
    runtime = obj.runtime
    host, port = prepare_serving(runtime, host, port)
    shown = f"[{host}]" if ":" in host else host
    if workers > 1:
        why_not = single_process_reason(runtime.settings.database_url)
        if why_not is None:
            threads = threads or THREADS_PER_WORKER
            click.echo(f"Serving on http://{shown}:{port}/ with {workers} processes of {threads} threads (gunicorn)")
            # Each worker builds its own runtime after the fork: database connections are never shared.
            runtime.close()
            from qbwc_server import gunicorn_conf

            gunicorn_conf.exec_gunicorn(host, port, workers, threads, GRACE_SECONDS)
        click.echo(f"Note: --workers {workers} is ignored: {why_not}; serving with one waitress process.")
    click.echo(f"Serving on http://{shown}:{port}/ - Web Connector endpoint http://{shown}:{port}/qbwc")
    run_waitress(runtime, host, port, threads or THREADS_ALONE)


def single_process_reason(database_url: str) -> str | None:
    """Return why the server must stay one process here, or None when it may run several."""
    if sys.platform == "win32":
        return "several processes need Linux (gunicorn); on Windows waitress serves alone"
    if not database_url.startswith("postgresql"):
        return "SQLite lets one process write at a time; several processes need PostgreSQL"
    return None


def prepare_serving(runtime, host: str | None, port: int | None) -> tuple[str, int]:
    """Configure logging, check the schema is migrated, and settle the address to listen on."""
    configure(runtime.settings.log_level)
    if database.current_revision(runtime.engine) is None:
        raise ConfigError("the database has no tables yet: run `qbwc-server db upgrade` first")
    return host or runtime.settings.host, port or runtime.settings.port


def run_waitress(runtime: Runtime, host: str, port: int, threads: int) -> None:
    """Serve with waitress until SIGTERM or Ctrl-C, delivering webhooks in the background; let requests finish."""
    from qbwc_server.checkins import CheckinWatch
    from qbwc_server.serving import make_server
    from qbwc_server.webhooks.delivery import Deliverer
    from qbwc_server.wsgi import make_wsgi_app, settle_before_serving

    # Waitress refuses a body over QBWC_MAX_BODY_BYTES from its Content-Length, and cuts a chunked one off there.
    server = make_server(make_wsgi_app(runtime), host, port, threads, runtime.settings)
    # Webhooks go out from a thread of their own, never from a request: a dead endpoint cannot slow a session.
    deliverer = Deliverer(runtime).start()
    # A Web Connector that stopped checking in starts no session to say so: a thread watches for it.
    watch = CheckinWatch(runtime).start()
    settle_before_serving()
    try:
        serve_until_stopped(server, GRACE_SECONDS)
    finally:
        watch.stop()
        deliverer.stop()


def serve_until_stopped(server, grace_seconds: float) -> None:
    """Run a waitress server; on SIGTERM or SIGINT stop accepting, finish and send what is in progress, then exit."""
    from waitress import wasyncore
    from waitress.server import BaseWSGIServer

    # One listening socket gives a server with its own map; several (a name with IPv4 and IPv6) share one map.
    sockets = server.map if hasattr(server, "map") else server._map
    stop: list[int] = []

    def request_stop(signum: int, _frame: object) -> None:
        stop.append(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stop:
            wasyncore.loop(timeout=0.5, map=sockets, count=1)
        for listener in [d for d in sockets.values() if isinstance(d, BaseWSGIServer)]:
            # The plain dispatcher close: the server's own would also close the loop's wake-up pipe.
            wasyncore.dispatcher.close(listener)
        deadline = time.monotonic() + grace_seconds
        while _busy(sockets) and time.monotonic() < deadline:
            wasyncore.loop(timeout=0.1, map=sockets, count=1)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.task_dispatcher.shutdown(timeout=1)
        wasyncore.close_all(sockets)


def _busy(sockets: dict[int, Any]) -> bool:
    """Tell whether any connection has a request being answered or an answer not yet sent."""
    return any(
        getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0)
        for channel in list(sockets.values())
    )


COMMANDS = [serve]
