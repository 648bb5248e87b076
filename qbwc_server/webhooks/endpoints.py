"""Manage a company's webhook endpoints: add, list, remove, rotate the secret, send a test, send again.

One function per operation, used alike by the CLI, the REST API and the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.errors import InvalidInput, NotFound
from qbwc_server.models import Company, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from qbwc_server.webhooks import outbox, signing
from qbwc_server.webhooks.events import EventType

OLD_SECRET_VALID = timedelta(days=1)
RECENT = 20  # deliveries shown per endpoint


@dataclass(frozen=True)
class NewEndpoint:
    """An endpoint just made or re-keyed, with its secret: the only time the secret is shown."""

    endpoint: WebhookEndpoint
    secret: str


def check_url(url: Any) -> str:
    """Return an http(s) URL with a host; raise InvalidInput saying what is wrong."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput({"url": "must be the http(s) address of your endpoint"})
    text: str = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput({"url": "must start with https:// (or http://) and name a host"})
    if len(text) > 2000:
        raise InvalidInput({"url": "must be at most 2000 characters"})
    return text


def check_event_types(values: Any) -> list[str]:
    """Return the event type names, checked; an empty list means every type."""
    if values is None:
        return []
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise InvalidInput({"events": "must be a list of event types"})
    try:
        return sorted({EventType.parse(value).value for value in values})
    except ValueError as exc:
        raise InvalidInput({"events": str(exc)}) from None


def add(
    db: Session, company: Company, url: Any, events: Sequence[str] | None = None, description: str | None = None
) -> NewEndpoint:
    """Add an endpoint for a company's events, with a new `whsec_` secret."""
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        company_id=company.id,
        url=check_url(url),
        secret=secret,
        event_types=check_event_types(events),
        description=(description or None) and str(description)[:200],
        created_at=clock.now(),
    )
    db.add(endpoint)
    db.flush()
    outbox.forget_endpoints(db)
    return NewEndpoint(endpoint, secret)


def list_endpoints(db: Session, company: Company) -> list[WebhookEndpoint]:
    """Return the company's endpoints, oldest first."""
    return list(
        db.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.company_id == company.id).order_by(WebhookEndpoint.id)
        ).all()
    )


def get(db: Session, company: Company, endpoint_id: Any) -> WebhookEndpoint:
    """Return one of the company's endpoints; raise NotFound (another company's endpoint is not found)."""
    try:
        number = int(endpoint_id)
    except (TypeError, ValueError):
        raise NotFound(f"no webhook endpoint {endpoint_id!r}") from None
    endpoint = db.get(WebhookEndpoint, number)
    if endpoint is None or endpoint.company_id != company.id:
        raise NotFound(f"no webhook endpoint {endpoint_id!r} for {company.slug}")
    return endpoint


def remove(db: Session, company: Company, endpoint_id: Any) -> None:
    """Remove an endpoint; its deliveries go with it."""
    db.delete(get(db, company, endpoint_id))
    db.flush()
    outbox.forget_endpoints(db)


def rotate(db: Session, company: Company, endpoint_id: Any) -> NewEndpoint:
    """Give an endpoint a new secret; the old one keeps signing for a day so the host app can switch."""
    endpoint = get(db, company, endpoint_id)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = clock.now() + OLD_SECRET_VALID
    endpoint.secret = signing.new_secret()
    db.flush()
    return NewEndpoint(endpoint, endpoint.secret)


def send_test(db: Session, company: Company, endpoint_id: Any, *, claim: bool = False) -> WebhookDelivery:
    """Queue a `webhook.test` event for one endpoint; `claim` keeps it for the caller to post at once."""
    endpoint = get(db, company, endpoint_id)
    data = {"message": "A test event from qbwc-server: your endpoint is reachable and verifies signatures."}
    event = outbox.emit(db, company, EventType.TEST, None, data, [endpoint])
    db.flush()
    delivery = db.scalars(select(WebhookDelivery).where(WebhookDelivery.event_id == event.id)).one()
    if claim:
        delivery.status = DeliveryStatus.SENDING
        delivery.claimed_at = clock.now()
    return delivery


def send_again(db: Session, company: Company, delivery_id: Any) -> WebhookDelivery:
    """Start a delivery over (a failed one, or one delivered that the host app lost), with a fresh retry schedule."""
    try:
        delivery = db.get(WebhookDelivery, int(delivery_id))
    except (TypeError, ValueError):
        delivery = None
    endpoint = db.get(WebhookEndpoint, delivery.endpoint_id) if delivery is not None else None
    if delivery is None or endpoint is None or endpoint.company_id != company.id:
        raise NotFound(f"no webhook delivery {delivery_id!r} for {company.slug}")
    if delivery.status is not DeliveryStatus.SENDING:
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = clock.now()
    return delivery


def recent_deliveries(db: Session, endpoint: WebhookEndpoint, limit: int = RECENT) -> list[WebhookDelivery]:
    """Return an endpoint's latest deliveries, newest first."""
    return list(
        db.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        ).all()
    )


def delivery_counts(db: Session, endpoint: WebhookEndpoint) -> dict[str, int]:
    """Return how many of an endpoint's deliveries are in each status."""
    rows = db.execute(
        select(WebhookDelivery.status, func.count())
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .group_by(WebhookDelivery.status)
    ).all()
    counts = {status.value: 0 for status in DeliveryStatus}
    for status, number in rows:
        counts[status.value] = number
    return counts


def describe(db: Session, endpoint: WebhookEndpoint) -> dict[str, Any]:
    """Show an endpoint as the API and `--json` do (never its secret)."""
    expires = clock.aware(endpoint.previous_secret_expires_at)
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.event_types or []) or ["*"],
        "description": endpoint.description,
        "created_at": clock.aware(endpoint.created_at).isoformat(),
        "previous_secret_valid_until": expires.isoformat() if expires and expires > clock.now() else None,
        "deliveries": delivery_counts(db, endpoint),
    }


def describe_delivery(delivery: WebhookDelivery) -> dict[str, Any]:
    """Show one delivery: its event, status, attempts and what the endpoint answered each time."""
    nxt = clock.aware(delivery.next_attempt_at)
    return {
        "id": delivery.id,
        "event_id": delivery.event.public_id,
        "type": delivery.event.type,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "next_attempt_at": nxt.isoformat() if nxt else None,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "history": list(delivery.history or []),
    }
