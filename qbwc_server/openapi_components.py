"""The OpenAPI document's components: the error bodies, a record as the API shows it, a batch entry, sync status,
and the other shared schemas the paths refer to by `ref`. Record fields are `records.schemas` themselves.
"""

from __future__ import annotations

import copy
from typing import Any

from qbwc_server import company_settings
from qbwc_server.models import REMOVALS, DeliveryStatus, QueueAction, RecordKind, SyncState
from qbwc_server.records.schemas import EXTERNAL_ID, SCHEMAS
from qbwc_server.records.store import Outcome
from qbwc_server.webhooks.events import EventType


def ref(name: str) -> dict[str, str]:
    """Point at a schema of the components."""
    return {"$ref": f"#/components/schemas/{name}"}


def title(kind: RecordKind) -> str:
    """A record kind's name as the schemas are named ("Invoice", "Credit_Memo" …)."""
    return kind.value.title()


def _record_output(kind: RecordKind) -> dict[str, Any]:
    fields = copy.deepcopy(SCHEMAS[kind]["properties"])
    return {
        "type": "object",
        "properties": {
            "external_id": {"type": "string", "maxLength": EXTERNAL_ID},
            **fields,
            "quickbooks": ref("QuickBooksIdentity"),
            "sync": ref("SyncStatus"),
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


def components() -> dict[str, Any]:
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
        schemas[f"{title(kind)}Input"] = copy.deepcopy(SCHEMAS[kind])
        schemas[title(kind)] = _record_output(kind)
        schemas[f"{title(kind)}BatchItem"] = _batch_item(kind)
        schemas[f"{title(kind)}Removal"] = {
            "type": "object",
            "properties": {
                "record": ref(title(kind)),
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
