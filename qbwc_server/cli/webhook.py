"""`qbwc-server webhook …`: endpoints that hear about a company's events, and their deliveries."""

from __future__ import annotations

import json

import click

from qbwc_server.cli.token import find_company
from qbwc_server.webhooks import endpoints
from qbwc_server.webhooks.delivery import Deliverer
from qbwc_server.webhooks.events import EventType

EVENT_NAMES = [member.value for member in EventType if member is not EventType.TEST]


@click.group("webhook")
def webhook_group() -> None:
    """Add, list, test and remove webhook endpoints."""


@webhook_group.command("add")
@click.argument("slug")
@click.option("--url", required=True, help="The https address that receives the events.")
@click.option(
    "--event", "events", multiple=True, type=click.Choice(EVENT_NAMES), help="An event type wanted (default: all)."
)
@click.option("--description", default="", help="What the endpoint is, for the list.")
@click.option("--json", "as_json", is_flag=True, help="Print the endpoint and its secret as JSON.")
@click.pass_obj
def add(obj, slug: str, url: str, events: tuple[str, ...], description: str, as_json: bool) -> None:
    """Add an endpoint and print its signing secret (shown this once)."""
    with obj.runtime.transaction() as db:
        made = endpoints.add(db, find_company(db, slug), url, list(events), description)
        details = {**endpoints.describe(db, made.endpoint), "secret": made.secret}
    if as_json:
        click.echo(json.dumps(details))
        return
    click.echo(made.secret)
    click.echo(
        f"Endpoint {details['id']} added. Keep the secret now: it verifies the webhook-signature header and "
        "cannot be shown again.",
        err=True,
    )


@webhook_group.command("list")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the endpoints as JSON.")
@click.pass_obj
def list_(obj, slug: str, as_json: bool) -> None:
    """List a company's endpoints with their deliveries by status."""
    with obj.runtime.transaction() as db:
        rows = [endpoints.describe(db, e) for e in endpoints.list_endpoints(db, find_company(db, slug))]
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo(f"{slug} has no webhook endpoints.")
        return
    for row in rows:
        counts = ", ".join(f"{number} {status}" for status, number in row["deliveries"].items() if number)
        click.echo(f"{row['id']}  {row['url']}  events: {', '.join(row['events'])}  ({counts or 'no deliveries'})")


@webhook_group.command("remove")
@click.argument("slug")
@click.argument("endpoint_id")
@click.pass_obj
def remove(obj, slug: str, endpoint_id: str) -> None:
    """Remove an endpoint; nothing more is sent to it."""
    with obj.runtime.transaction() as db:
        endpoints.remove(db, find_company(db, slug), endpoint_id)
    click.echo(f"Endpoint {endpoint_id} removed.")


@webhook_group.command("rotate")
@click.argument("slug")
@click.argument("endpoint_id")
@click.pass_obj
def rotate(obj, slug: str, endpoint_id: str) -> None:
    """Print a new secret for an endpoint; deliveries carry both signatures for a day."""
    with obj.runtime.transaction() as db:
        made = endpoints.rotate(db, find_company(db, slug), endpoint_id)
    click.echo(made.secret)
    click.echo("The old secret stays valid for 24 hours; switch your endpoint to the new one before then.", err=True)


@webhook_group.command("test")
@click.argument("slug")
@click.argument("endpoint_id", required=False)
@click.pass_obj
def test(obj, slug: str, endpoint_id: str | None) -> None:
    """Send a test event to an endpoint (the only one when none is named) now, and say what it answered."""
    with obj.runtime.transaction() as db:
        company = find_company(db, slug)
        if endpoint_id is None:
            found = endpoints.list_endpoints(db, company)
            if len(found) != 1:
                raise click.UsageError(f"{slug} has {len(found)} endpoints: name the one to test")
            endpoint_id = str(found[0].id)
        delivery = endpoints.send_test(db, company, endpoint_id, claim=True)
        delivery_id = delivery.id
    attempt = Deliverer(obj.runtime).deliver(delivery_id)
    if not attempt.ok:
        raise click.ClickException(f"the endpoint did not take the test event: {attempt.error}; it is retried later")
    click.echo(f"Delivered: the endpoint answered HTTP {attempt.status_code} in {attempt.duration_ms} ms.")


COMMANDS = [webhook_group]
