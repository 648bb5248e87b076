"""`qbwc-server qwc SLUG --url URL`: write the .qwc file a company's Web Connector user adds."""

from __future__ import annotations

from pathlib import Path

import click

from qbwc_server import companies
from qbwc_server.qwc import render_qwc


@click.command("qwc")
@click.argument("slug")
@click.option("--url", required=True, help="The SOAP endpoint's public address, such as https://sync.example.com/qbwc.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
@click.pass_obj
def qwc_command(obj, slug: str, url: str, output: Path | None) -> None:
    """Write the .qwc file for a company (to standard output unless -o is given)."""
    with obj.runtime.transaction() as db:
        document = render_qwc(companies.get_company(db, slug), url)
    if output is None:
        click.echo(document, nl=False)
        return
    output.write_bytes(document.encode("utf-8"))
    click.echo(
        f"Wrote {output}. In the Web Connector choose 'Add an application', pick this file, "
        "then type the company's Web Connector password.",
        err=True,
    )


COMMANDS = [qwc_command]
