"""The OpenAPI description: a valid OpenAPI 3 document that names every route the API serves."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from qbwc_server.models import RecordKind
from qbwc_server.records.schemas import SCHEMAS


def _document(client) -> dict:
    # Fetched without a token: a host app generates its client before it has one.
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi(client):
    validate(_document(client))


def test_every_route_the_api_serves_is_described(app, client):
    paths = _document(client)["paths"]
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        expanded = [template.replace("{resource}", kind.resource) for kind in RecordKind]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if not any(method.lower() in paths.get(path, {}) for path in expanded):
                missing.append(f"{method} {template}")
    assert missing == []


def test_record_bodies_are_the_schemas_the_api_validates_with(client):
    schemas = _document(client)["components"]["schemas"]
    for kind in RecordKind:
        assert schemas[f"{kind.value.title()}Input"] == SCHEMAS[kind]
    invoice_put = _document(client)["paths"]["/api/v1/invoices/{external_id}"]["put"]
    assert set(invoice_put["responses"]) >= {"200", "201", "401", "422"}
