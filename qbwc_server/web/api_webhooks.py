"""The REST API's webhook endpoints: the host app registers its URLs, tests them and sends deliveries again."""

from __future__ import annotations

from flask import Response

from qbwc_server.errors import InvalidInput
from qbwc_server.web import db_session
from qbwc_server.web.api import _company, _json, _json_body, api
from qbwc_server.webhooks import endpoints


@api.get("/webhooks")
def list_webhooks() -> Response:
    """Return the company's webhook endpoints (without their secrets) and their deliveries by status."""
    db = db_session()
    body = {"data": [endpoints.describe(db, e) for e in endpoints.list_endpoints(db, _company())]}
    db.commit()
    return _json(body)


@api.post("/webhooks")
def add_webhook() -> Response:
    """Add an endpoint: {"url": …, "events": [...]}; 201 with its secret, shown this once."""
    body = _json_body()
    if not isinstance(body, dict):
        raise InvalidInput({"body": 'must be a JSON object such as {"url": "https://…"}'})
    db = db_session()
    made = endpoints.add(db, _company(), body.get("url"), body.get("events"), body.get("description"))
    answer = {**endpoints.describe(db, made.endpoint), "secret": made.secret}
    db.commit()
    return _json(answer, 201)


@api.delete("/webhooks/<int:endpoint_id>")
def remove_webhook(endpoint_id: int) -> Response:
    """Remove an endpoint and its deliveries."""
    db = db_session()
    endpoints.remove(db, _company(), endpoint_id)
    db.commit()
    return Response(status=204)


@api.post("/webhooks/<int:endpoint_id>/rotate")
def rotate_webhook_secret(endpoint_id: int) -> Response:
    """Give an endpoint a new secret (shown this once); the old one keeps signing for a day."""
    db = db_session()
    made = endpoints.rotate(db, _company(), endpoint_id)
    answer = {**endpoints.describe(db, made.endpoint), "secret": made.secret}
    db.commit()
    return _json(answer)


@api.post("/webhooks/<int:endpoint_id>/test")
def test_webhook(endpoint_id: int) -> Response:
    """Queue a test event for an endpoint; 202 with its delivery."""
    db = db_session()
    delivery = endpoints.send_test(db, _company(), endpoint_id)
    answer = endpoints.describe_delivery(delivery)
    db.commit()
    return _json(answer, 202)


@api.get("/webhooks/<int:endpoint_id>/deliveries")
def list_webhook_deliveries(endpoint_id: int) -> Response:
    """Return an endpoint's latest deliveries, newest first, with every attempt."""
    db = db_session()
    endpoint = endpoints.get(db, _company(), endpoint_id)
    body = {"data": [endpoints.describe_delivery(d) for d in endpoints.recent_deliveries(db, endpoint)]}
    db.commit()
    return _json(body)


@api.post("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/retry")
def retry_webhook_delivery(endpoint_id: int, delivery_id: int) -> Response:
    """Send a delivery again with a fresh retry schedule; 202."""
    db = db_session()
    company = _company()
    endpoints.get(db, company, endpoint_id)
    delivery = endpoints.send_again(db, company, delivery_id)
    if delivery.endpoint_id != endpoint_id:
        raise InvalidInput({"delivery_id": "is not a delivery of this endpoint"})
    answer = endpoints.describe_delivery(delivery)
    db.commit()
    return _json(answer, 202)
