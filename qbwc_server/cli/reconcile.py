"""`qbwc-server reconcile SLUG`: the company's records against QuickBooks for a period."""

from __future__ import annotations

import json

import click

from qbwc_server import reconciliation
from qbwc_server.companies import get_company
from qbwc_server.imports import runs
from qbwc_server.imports.kinds import KINDS


@click.command("reconcile")
@click.argument("slug")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="First transaction date of the period.")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="Last transaction date of the period.")
@click.option(
    "--refresh", is_flag=True, help="Also queue imports of invoices, payments and bills for the next session."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def reconcile(obj, slug: str, start: str | None, end: str | None, refresh: bool, as_json: bool) -> None:
    """Compare SLUG's invoices, payments and bills with QuickBooks: differing totals, deletions, sums.

    QuickBooks' side is what its answers and the latest imports said; --refresh queues new imports, and the
    report after the next Web Connector session includes them.
    """
    first, last = reconciliation.parse_period(start, end)
    with obj.runtime.transaction() as db:
        company = get_company(db, slug)
        if refresh:
            runs.start(db, company, [kind for kind in ("invoices", "payments", "bills") if kind in KINDS])
        report = reconciliation.build(db, company, first, last)
        click.echo(json.dumps(report.to_json(), indent=2) if as_json else reconciliation.to_text(report))


COMMANDS = [reconcile]
