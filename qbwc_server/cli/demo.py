"""`qbwc-server demo`: serve with a demo company whose QuickBooks is simulated (what `make run` starts)."""

from __future__ import annotations

import click

from qbwc_server import demo as demo_company
from qbwc_server.cli.serve import prepare_serving, run_waitress


@click.command("demo")
@click.option("--host", default=None, help="Address to listen on (default: QBWC_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default: QBWC_PORT or 8080).")
@click.option(
    "--interval",
    type=click.FloatRange(5, 3600),
    default=20,
    show_default=True,
    help="Seconds between simulated Web Connector sessions.",
)
@click.pass_obj
def demo(obj, host: str | None, port: int | None, interval: float) -> None:
    """Serve, with the `demo` company synced to the built-in QuickBooks simulator on a timer."""
    runtime = obj.runtime
    host, port = prepare_serving(runtime, host, port)
    company = demo_company.prepare(runtime)
    login = demo_company.page_login(runtime)
    base = f"http://{host}:{port}"
    connector = demo_company.SimulatedWebConnector(f"{base}/qbwc", company, interval)
    connector.start()
    click.echo(
        f"""
qbwc-server is running.

  Page:      {base}/   (log in as {login[0]} / {login[1]})
  REST API:  {base}/api/v1/   (a token: qbwc-server token create demo)
  SOAP:      {base}/qbwc

The `demo` company syncs with the built-in QuickBooks simulator every {interval:g} seconds, so its sample
records move from queued to synced on the page within a minute.

For a real QuickBooks company:
  qbwc-server company add acme --name "Acme Plumbing" --qbwc-user acme-qbwc
  qbwc-server qwc acme --url https://YOUR-HOST/qbwc -o acme.qwc     # add this file to the Web Connector
  qbwc-server token create acme                                      # for your app's REST calls
Press Ctrl+C to stop.
"""
    )
    try:
        run_waitress(runtime, host, port, threads=8)
    finally:
        connector.stopped.set()


COMMANDS = [demo]
