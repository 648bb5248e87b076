"""The OpenAPI 3.1 description of the REST API, built from the JSON Schemas the API validates records with.

Record bodies are `records.schemas` themselves (OpenAPI 3.1 speaks JSON Schema 2020-12), so the description and
the validation cannot drift apart; a host app can generate its client from `GET /api/v1/openapi.json`.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from qbwc_server import __version__
from qbwc_server.models import RecordKind, SyncState
from qbwc_server.openapi_components import components, ref, title
from qbwc_server.records.batch import MAX_BATCH
from qbwc_server.records.schemas import EXTERNAL_ID
from qbwc_server.records.store import MAX_PAGE

PREFIX = "/api/v1"


def _json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    """Return the error answers an operation can give, each with its body."""
    known = {
        400: ("BadRequest", "The body is not valid JSON.", "Error"),
        401: ("Unauthorized", "No API token, or one that is unknown or revoked.", "Error"),
        404: ("NotFound", "No such resource or record (another company's records are not found).", "Error"),
        409: ("Conflict", "The record is being sent to QuickBooks right now; try again shortly.", "Error"),
        422: ("Invalid", "The input is invalid; `errors` maps each field path to what is wrong.", "FieldErrors"),
    }
    return {str(code): _json_body(ref(known[code][2]), known[code][1]) for code in codes}


# --- paths --------------------------------------------------------------------------------------------------------


def _param(name: str, where: str, schema: dict[str, Any], description: str, required: bool = True) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema, "description": description}


EXTERNAL_ID_PARAM = _param("external_id", "path", {"type": "string", "maxLength": EXTERNAL_ID}, "your own id")
ENDPOINT_PARAM = _param("endpoint_id", "path", {"type": "integer"}, "the webhook endpoint's id")


def _op(op_id: str, summary: str, answers: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"operationId": op_id, "summary": summary, "responses": {**answers, **_errors(401)}, **more}


_REMOVES = {
    True: "made inactive in QuickBooks, never deleted",
    False: "voided, or deleted with the setting delete_transactions; payments are deleted",
}


def _record_paths(kind: RecordKind) -> dict[str, Any]:
    name, res = title(kind), kind.resource
    one, body = ref(name), {"required": True, **_json_body(ref(f"{name}Input"), f"the {kind.value}'s fields")}
    state = _param("sync_state", "query", {"type": "string", "enum": [s.value for s in SyncState]}, "", False)
    limit = _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "page size", False)
    cursor = _param("cursor", "query", {"type": "string"}, "next_cursor of the previous page", False)
    batch = {"type": "array", "items": ref(f"{name}BatchItem"), "minItems": 1, "maxItems": MAX_BATCH}
    page = {"type": "object", "properties": {"data": {"type": "array", "items": one}, "next_cursor": {}}}
    return {
        f"{PREFIX}/{res}": {
            "get": _op(
                f"list_{res}",
                f"A page of {res}",
                {"200": _json_body(page, "a page"), **_errors(422)},
                parameters=[state, limit, cursor],
            ),
            "put": _op(
                f"put_{res}_batch",
                f"Create or update up to {MAX_BATCH} {res}; each record's result",
                {"200": _json_body(ref("BatchResult"), "each record's result"), **_errors(400, 422)},
                requestBody={"required": True, **_json_body(batch, "records, each with its external_id")},
            ),
        },
        f"{PREFIX}/{res}/{{external_id}}": {
            "parameters": [EXTERNAL_ID_PARAM],
            "get": _op(
                f"get_{kind.value}", f"One {kind.value}", {"200": _json_body(one, "the record"), **_errors(404)}
            ),
            "put": _op(
                f"put_{kind.value}",
                f"Create or replace a {kind.value}",
                {
                    "200": _json_body(one, "updated"),
                    "201": _json_body(one, "created"),
                    **_errors(400, 422),
                },
                requestBody=body,
            ),
            "delete": _op(
                f"remove_{kind.value}",
                f"Remove a {kind.value} from sync and make QuickBooks agree ({_REMOVES[kind.is_list]})",
                {
                    "200": _json_body(ref(f"{name}Removal"), "the record, and what its removal does"),
                    **_errors(404, 409),
                },
            ),
        },
        f"{PREFIX}/{res}/{{external_id}}/sync": {
            "parameters": [EXTERNAL_ID_PARAM],
            "post": _op(
                f"sync_{kind.value}",
                f"Queue a {kind.value} now",
                {"200": _json_body(one, "the record"), **_errors(404, 409)},
            ),
        },
        f"{PREFIX}/{res}/{{external_id}}/readd": {
            "parameters": [EXTERNAL_ID_PARAM],
            "post": _op(
                f"readd_{kind.value}",
                f"Add a {kind.value} deleted in QuickBooks to QuickBooks again, as a new entry",
                {"200": _json_body(one, "the record, queued"), **_errors(404, 409)},
            ),
        },
    }


def _company_paths() -> dict[str, Any]:
    any_object = {"type": "object"}
    return {
        f"{PREFIX}/sync": {
            "post": _op("force_sync", "Queue every unsynced record", {"200": _json_body(any_object, "how many")})
        },
        f"{PREFIX}/status": {"get": _op("status", "Connection status", {"200": _json_body(ref("Status"), "")})},
        f"{PREFIX}/imports": {
            "get": _op("list_imports", "Each kind's latest import", {"200": _json_body(ref("Imports"), "")}),
            "post": _op(
                "start_imports",
                "Queue imports from QuickBooks",
                {"202": _json_body(ref("Imports"), "queued"), **_errors(400, 422)},
                requestBody=_json_body(
                    {"type": "object", "properties": {"kinds": {"type": "array"}, "full": {"type": "boolean"}}}, ""
                ),
            ),
        },
        f"{PREFIX}/settings": {
            "get": _op("get_settings", "Sync settings", {"200": _json_body(_settings_answer(), "")}),
            "patch": _op(
                "patch_settings",
                "Change sync settings",
                {"200": _json_body(_settings_answer(), ""), **_errors(400, 422)},
                requestBody=_json_body(ref("Settings"), "the settings to change"),
            ),
        },
        f"{PREFIX}/reconciliation": {
            "get": _op(
                "reconciliation",
                "Our records against QuickBooks for a period",
                {"200": _json_body(any_object, "the report"), **_errors(422)},
                parameters=[
                    _param(
                        "from", "query", {"type": "string", "format": "date"}, "first day (transaction date)", False
                    ),
                    _param("to", "query", {"type": "string", "format": "date"}, "last transaction date", False),
                ],
            )
        },
        f"{PREFIX}/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This description",
                "security": [],
                "responses": {"200": _json_body(any_object, "OpenAPI 3.1")},
            }
        },
    }


def _settings_answer() -> dict[str, Any]:
    return {"type": "object", "properties": {"settings": ref("Settings")}}


def _webhook_paths() -> dict[str, Any]:
    endpoint, delivery = ref("WebhookEndpoint"), ref("WebhookDelivery")
    listed = {"type": "object", "properties": {"data": {"type": "array", "items": endpoint}}}
    deliveries = {"type": "object", "properties": {"data": {"type": "array", "items": delivery}}}
    delivery_param = _param("delivery_id", "path", {"type": "integer"}, "the delivery's id")
    return {
        f"{PREFIX}/webhooks": {
            "get": _op("list_webhooks", "Webhook endpoints", {"200": _json_body(listed, "")}),
            "post": _op(
                "add_webhook",
                "Add a webhook endpoint; its secret is shown this once",
                {"201": _json_body(endpoint, "with its secret"), **_errors(400, 422)},
                requestBody={"required": True, **_json_body(ref("WebhookEndpointInput"), "")},
            ),
        },
        f"{PREFIX}/webhooks/{{endpoint_id}}": {
            "parameters": [ENDPOINT_PARAM],
            "delete": _op("remove_webhook", "Remove an endpoint", {"204": {"description": "removed"}, **_errors(404)}),
        },
        f"{PREFIX}/webhooks/{{endpoint_id}}/rotate": {
            "parameters": [ENDPOINT_PARAM],
            "post": _op(
                "rotate_webhook_secret",
                "New secret; the old one signs for a day",
                {"200": _json_body(endpoint, "with the new secret"), **_errors(404)},
            ),
        },
        f"{PREFIX}/webhooks/{{endpoint_id}}/test": {
            "parameters": [ENDPOINT_PARAM],
            "post": _op("test_webhook", "Send a test event", {"202": _json_body(delivery, "queued"), **_errors(404)}),
        },
        f"{PREFIX}/webhooks/{{endpoint_id}}/deliveries": {
            "parameters": [ENDPOINT_PARAM],
            "get": _op(
                "list_webhook_deliveries",
                "Latest deliveries, newest first",
                {"200": _json_body(deliveries, ""), **_errors(404)},
            ),
        },
        f"{PREFIX}/webhooks/{{endpoint_id}}/deliveries/{{delivery_id}}/retry": {
            "parameters": [ENDPOINT_PARAM, delivery_param],
            "post": _op(
                "retry_webhook_delivery",
                "Send a delivery again",
                {"202": _json_body(delivery, "queued again"), **_errors(404, 422)},
            ),
        },
    }


@cache
def _built() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for kind in RecordKind:
        paths.update(_record_paths(kind))
    paths.update(_company_paths())
    paths.update(_webhook_paths())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "qbwc-server REST API",
            "version": __version__,
            "description": "Push records to QuickBooks Desktop through the Web Connector, and read back their state.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": components(),
    }


def document() -> dict[str, Any]:
    """Return the OpenAPI document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_built())
