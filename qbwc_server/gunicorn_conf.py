"""Several server processes with gunicorn (Linux): its settings, hooks and the app each worker builds."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Any

# Read by prometheus_client; the same name as qbwc_server.metrics.exposition.MULTIPROCESS_DIR.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Passed from `serve` to the gunicorn master it becomes; not a setting.
_OWN_DIR = "_QBWC_SERVE_METRICS_DIR"

# gthread: each process answers with a pool of threads, as waitress does alone. The Web Connector's calls spend
# most of their time waiting for the database or in scrypt (which releases the GIL), so threads overlap them;
# a slow call never holds a whole process, and nothing needs the monkey-patching of gevent or eventlet.
worker_class = "gthread"
# Workers load the app after the fork, so no database connection is ever shared between processes.
preload_app = False
# The worker heartbeat runs beside the request threads; this only catches a process that hangs entirely.
timeout = 120
# No access log: the server writes its own line per SOAP call, without customer data.
accesslog = None
# Every answer closes its connection, so each call is accepted by whichever worker takes it first (a busy one, its
# interpreter lock held by its request threads, is the slowest to). A Web Connector calls again and again on one
# kept-alive connection, which would tie its whole session to the worker that accepted its first call.
keepalive = 0


def exec_gunicorn(host: str, port: int, workers: int, threads: int, grace_seconds: int) -> None:
    """Replace this process by a gunicorn master with `workers` processes of `threads` threads each."""
    env = dict(os.environ)
    # prometheus_client picks its file-backed values when it is first imported: the variable must be set before.
    own = "" if os.environ.get(MULTIPROCESS_DIR) else tempfile.mkdtemp(prefix="qbwc-metrics-")
    if own:
        env[MULTIPROCESS_DIR] = own
    # Only a folder made here is removed at exit; one the operator chose is theirs.
    env[_OWN_DIR] = own
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:qbwc_server.gunicorn_conf",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        # A worker takes a connection only while one of its threads is free. The calls no thread can start yet wait
        # in the listening socket's queue, which every worker takes from in arrival order; with gunicorn's default
        # (1,000 per worker) a busy worker accepted them and queued them behind its own calls, even while another
        # worker had a thread idle (benchmarks/README.md, "Fifty companies, round eight").
        "--worker-connections",
        str(threads),
        "--graceful-timeout",
        str(grace_seconds),
        "qbwc_server.gunicorn_conf:application()",
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)  # noqa: S606 - our own interpreter, with arguments built here


def application() -> Any:
    """Build the served app in a worker process from the QBWC_* settings."""
    from qbwc_server.checkins import CheckinWatch
    from qbwc_server.logging_setup import configure
    from qbwc_server.runtime import Runtime
    from qbwc_server.webhooks.delivery import Deliverer
    from qbwc_server.wsgi import make_wsgi_app, settle_before_serving

    runtime = Runtime.from_env()
    configure(runtime.settings.log_level)
    # Each worker delivers webhooks from a thread of its own; claims (SKIP LOCKED) keep them from sending one twice.
    Deliverer(runtime).start()
    # And watches for companies whose Web Connector stopped checking in (the outbox announces each change once).
    CheckinWatch(runtime).start()
    app = make_wsgi_app(runtime)
    settle_before_serving()
    return app


def child_exit(_server: Any, worker: Any) -> None:
    """Drop a finished worker's live gauges from the shared metrics folder (its counters stay counted)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(_server: Any) -> None:
    """Remove the metrics folder this server made for itself when it stops."""
    own = os.environ.get(_OWN_DIR)
    if own:
        shutil.rmtree(own, ignore_errors=True)
