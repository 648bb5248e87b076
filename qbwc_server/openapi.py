"""The OpenAPI 3.1 description of the REST API, built from the JSON Schemas the API validates records with.

Record bodies are `records.schemas` themselves (OpenAPI 3.1 speaks JSON Schema 2020-12), so the description and
the validation cannot drift apart; a host app can generate its client from `GET /api/v1/openapi.json`.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from qbwc_server import __version__, company_settings
from qbwc_server.models import REMOVALS, DeliveryStatus, QueueAction, RecordKind, SyncState
from qbwc_server.records.batch import MAX_BATCH
from qbwc_server.records.schemas import EXTERNAL_ID, SCHEMAS
from qbwc_server.records.store import MAX_PAGE, Outcome
from qbwc_server.webhooks.events import EventType

PREFIX = "/api/v1"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _title(kind: RecordKind) -> str:
    return kind.value.title()


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
    return {str(code): _json_body(_ref(known[code][2]), known[code][1]) for code in codes}


# --- components -----------------------------------------------------------------------------------------------


def _record_output(kind: RecordKind) -> dict[str, Any]:
    fields = copy.deepcopy(SCHEMAS[kind]["properties"])
    return {
        "type": "object",
        "properties": {
            "external_id": {"type": "string", "maxLength": EXTERNAL_ID},
            **fields,
            "quickbooks": _ref("QuickBooksIdentity"),
            "sync": _ref("SyncStatus"),
        },
        "required": ["external_id", "quickbooks", "sync"],
    }


def _batch_item(kind: RecordKind) -> dict[str, Any]:
    schema = copy.deepcopy(SCHEMAS[kind])
    schema["properties"] = {
        "external_id": {"type": ["string", "integer"], "maxLength": EXTERNAL_ID},
        **schema["properties"],
    }
    schema["required"] = ["external_id", *schema.get("required", [])]
    return schema


def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
        "FieldErrors": {
            "type": "object",
            "properties": {"errors": {"type": "object", "additionalProperties": {"type": "string"}}},
            "required": ["errors"],
        },
        "QuickBooksIdentity": {
            "type": "object",
            "properties": {
                "id": {"type": ["string", "null"], "description": "ListID or TxnID; null until synced"},
                "edit_sequence": {"type": ["string", "null"]},
                "full_name": {"type": ["string", "null"]},
                "totals": {
                    "type": "object",
                    "description": "QuickBooks' own figures for a transaction (null until QuickBooks answered)",
                    "properties": {
                        key: {"type": ["string", "null"]} for key in ("subtotal", "tax", "total", "balance")
                    },
                },
                "paid": {"type": ["boolean", "null"], "description": "whether QuickBooks shows it paid in full"},
            },
        },
        "SyncStatus": {
            "type": "object",
            "properties": {
                "state": {"type": "string", "enum": [state.value for state in SyncState]},
                "last_error": {"type": ["object", "null"]},
                "removal": {
                    "type": ["string", "null"],
                    "enum": [*(a.value for a in QueueAction if a in REMOVALS), None],
                    "description": "set when the app removed the record: what QuickBooks is told (void, delete, "
                    "deactivate)",
                },
                "warnings": {
                    "type": "array",
                    "description": "QuickBooks' figures differ from the app's by more than a cent, with the cause",
                    "items": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "causes": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
                "deleted_in_quickbooks_at": {
                    "type": ["string", "null"],
                    "description": "when QuickBooks' entry was deleted there (QuickBooks' time); null otherwise",
                },
                "conflicts": {
                    "type": "array",
                    "description": "fields changed both in the app and in QuickBooks at the latest import, and how "
                    "the setting `conflicts` settled each",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "app_value": {},
                            "quickbooks_value": {},
                            "resolved": {"type": "string", "enum": ["app_wins", "quickbooks_wins"]},
                            "at": {"type": "string", "format": "date-time"},
                        },
                    },
                },
                "log": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "at": {"type": ["string", "null"], "format": "date-time"},
                            "event": {"type": "string"},
                            "message": {"type": "string"},
                            "status_code": {"type": ["integer", "null"]},
                        },
                    },
                },
            },
        },
        "BatchResult": {
            "type": "object",
            "properties": {
                "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "index": {"type": "integer"},
                            "external_id": {},
                            "status": {"type": "string", "enum": [*(o.value for o in Outcome), "invalid"]},
                            "sync_state": {"type": "string"},
                            "errors": {"type": "object", "additionalProperties": {"type": "string"}},
                        },
                        "required": ["index", "external_id", "status"],
                    },
                },
            },
            "required": ["counts", "results"],
        },
        "Settings": {
            "type": "object",
            "properties": {
                key: {"description": company_settings.DESCRIPTIONS.get(key, key)} for key in company_settings.DEFAULTS
            },
        },
        "Status": {"type": "object", "description": "The connection state, last check-in, counts and sessions."},
        "Imports": {"type": "object", "properties": {"imports": {"type": "array", "items": {"type": "object"}}}},
        "WebhookEndpoint": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "url": {"type": "string", "format": "uri"},
                "events": {"type": "array", "items": {"type": "string"}},
                "description": {"type": ["string", "null"]},
                "created_at": {"type": "string", "format": "date-time"},
                "previous_secret_valid_until": {"type": ["string", "null"], "format": "date-time"},
                "deliveries": {"type": "object", "additionalProperties": {"type": "integer"}},
                "secret": {"type": "string", "description": "only when just made or rotated"},
            },
        },
        "WebhookEndpointInput": {
            "type": "object",
            "properties": {
                "url": {"type": "string", "format": "uri", "maxLength": 2000},
                "events": {
                    "type": "array",
                    "items": {"type": "string", "enum": [t.value for t in EventType if t is not EventType.TEST]},
                    "description": "the event types wanted; empty or absent: all",
                },
                "description": {"type": "string", "maxLength": 200},
            },
            "required": ["url"],
        },
        "WebhookDelivery": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "event_id": {"type": "string"},
                "type": {"type": "string"},
                "status": {"type": "string", "enum": [s.value for s in DeliveryStatus]},
                "attempts": {"type": "integer"},
                "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
                "last_status_code": {"type": ["integer", "null"]},
                "last_error": {"type": ["string", "null"]},
                "history": {"type": "array", "items": {"type": "object"}},
            },
        },
    }
    for kind in RecordKind:
        schemas[f"{_title(kind)}Input"] = copy.deepcopy(SCHEMAS[kind])
        schemas[_title(kind)] = _record_output(kind)
        schemas[f"{_title(kind)}BatchItem"] = _batch_item(kind)
        schemas[f"{_title(kind)}Removal"] = {
            "type": "object",
            "properties": {
                "record": _ref(_title(kind)),
                "removal": {"type": ["string", "null"], "description": "void, delete, deactivate; null: dropped"},
                "message": {"type": "string"},
                "effects": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "what the removal does to the payments QuickBooks has on it, in words",
                },
            },
            "required": ["record", "removal", "message", "effects"],
        }
    return {
        "schemas": schemas,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "a company's API token"}},
    }


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
    name, res = _title(kind), kind.resource
    one, body = _ref(name), {"required": True, **_json_body(_ref(f"{name}Input"), f"the {kind.value}'s fields")}
    state = _param("sync_state", "query", {"type": "string", "enum": [s.value for s in SyncState]}, "", False)
    limit = _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "page size", False)
    cursor = _param("cursor", "query", {"type": "string"}, "next_cursor of the previous page", False)
    batch = {"type": "array", "items": _ref(f"{name}BatchItem"), "minItems": 1, "maxItems": MAX_BATCH}
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
                {"200": _json_body(_ref("BatchResult"), "each record's result"), **_errors(400, 422)},
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
                    "200": _json_body(_ref(f"{name}Removal"), "the record, and what its removal does"),
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
        f"{PREFIX}/status": {"get": _op("status", "Connection status", {"200": _json_body(_ref("Status"), "")})},
        f"{PREFIX}/imports": {
            "get": _op("list_imports", "Each kind's latest import", {"200": _json_body(_ref("Imports"), "")}),
            "post": _op(
                "start_imports",
                "Queue imports from QuickBooks",
                {"202": _json_body(_ref("Imports"), "queued"), **_errors(400, 422)},
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
                requestBody=_json_body(_ref("Settings"), "the settings to change"),
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
    return {"type": "object", "properties": {"settings": _ref("Settings")}}


def _webhook_paths() -> dict[str, Any]:
    endpoint, delivery = _ref("WebhookEndpoint"), _ref("WebhookDelivery")
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
                requestBody={"required": True, **_json_body(_ref("WebhookEndpointInput"), "")},
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
        "components": _components(),
    }


def document() -> dict[str, Any]:
    """Return the OpenAPI document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_built())
