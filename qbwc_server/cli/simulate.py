"""`qbwc-server simulate`: run Web Connector update sessions against a server with the built-in QuickBooks."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from qbwc_server.simulator import FakeCompany, FakeWebConnector, ServerUnreachableError, SessionReport

PASSWORD_ENV = "QBWC_SIMULATE_PASSWORD"  # noqa: S105 - the name of a variable, not a password


@click.command("simulate")
@click.option("--url", required=True, help="The server's QBWC endpoint (AppURL), e.g. http://127.0.0.1:8080/qbwc.")
@click.option("--user", required=True, help="The QBWC user name.")
@click.option("--password-stdin", is_flag=True, help=f"Read the password from stdin (otherwise from ${PASSWORD_ENV}).")
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON company file; created with the demo company if missing, saved after each session.",
)
@click.option("--sessions", default=1, show_default=True, type=click.IntRange(min=1), help="Sessions to run.")
@click.option("--owner-id", help="OwnerID from the .qwc file (the FileID is stored under it).")
@click.option("--file-id", help="FileID from the .qwc file, written into the company on the first session.")
@click.option("--json", "as_json", is_flag=True, help="Print the session reports as JSON.")
def simulate(
    url: str,
    user: str,
    password_stdin: bool,
    state_file: Path | None,
    sessions: int,
    owner_id: str | None,
    file_id: str | None,
    as_json: bool,
) -> None:
    """Run Web Connector update sessions against URL with a simulated QuickBooks company."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = os.environ.get(PASSWORD_ENV, "")
        if not password:
            raise click.ClickException(f"no password: use --password-stdin or set {PASSWORD_ENV}")
    company = _load(state_file)
    connector = FakeWebConnector(url, user, password, company, owner_id=owner_id, file_id=file_id)
    reports: list[SessionReport] = []
    for _ in range(sessions):
        try:
            report = connector.run_session()
        except ServerUnreachableError as exc:
            raise click.ClickException(f"cannot reach the server: {exc.reason}") from None
        finally:
            if state_file is not None:
                company.save(state_file)
        reports.append(report)
    if as_json:
        click.echo(json.dumps([report.to_json() for report in reports], indent=2))
    else:
        for number, report in enumerate(reports, start=1):
            _print_report(number, report)
    refused = [report for report in reports if report.outcome in REFUSED_OUTCOMES]
    if refused:
        raise click.ClickException(REFUSED_OUTCOMES[refused[0].outcome])


# Sessions whose Web Connector login or version was refused: the command failed at what it was asked to do.
REFUSED_OUTCOMES = {
    "invalid_user": "the server refused the Web Connector login (wrong user name or password)",
    "client_version_rejected": "the server refused this Web Connector version",
}


def _load(state_file: Path | None) -> FakeCompany:
    """Load the company from its JSON file, or start from the demo company."""
    if state_file is not None and state_file.exists():
        try:
            return FakeCompany.load(state_file)
        except (ValueError, KeyError) as exc:
            raise click.ClickException(f"cannot read company file {state_file}: {exc}") from None
    return FakeCompany.demo()


def _print_report(number: int, report: SessionReport) -> None:
    """Print a short human summary of one session."""
    click.echo(f"session {number}: {report.outcome}, {report.round_trips} round trip(s), {report.seconds:.2f} s")
    for kind, count in sorted(report.added.items()):
        click.echo(f"  added    {count:5d} {kind}")
    for kind, count in sorted(report.modified.items()):
        click.echo(f"  modified {count:5d} {kind}")
    for kind, count in sorted(report.voided.items()):
        click.echo(f"  voided   {count:5d} {kind}")
    for kind, count in sorted(report.deleted.items()):
        click.echo(f"  deleted  {count:5d} {kind}")
    for error in report.errors:
        click.echo(f"  {error['severity'].lower():5s} {error['code']} in {error['request']}: {error['message']}")
    for message in report.messages:
        click.echo(f"  note: {message}")


COMMANDS = [simulate]
