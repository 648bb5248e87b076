"""The ORM tables, one module per noun; import from here."""

from qbwc_server.models.auth import ApiToken, LoginThrottle, Role, ThrottleScope, User, user_companies
from qbwc_server.models.base import Base
from qbwc_server.models.company import Company, CompanyRef
from qbwc_server.models.imports import ImportCursor, ImportFrontierId, ImportRun, ImportStatus, ImportWatermark
from qbwc_server.models.notes import Actor, Fix, Note, NoteKind
from qbwc_server.models.queue import (
    CHECKED_AFTER_LOSS,
    OPEN_STATUSES,
    REMOVALS,
    QueueAction,
    QueueItem,
    QueueStatus,
    SentInfo,
    is_open,
)
from qbwc_server.models.record import Origin, Record, RecordKind, SyncState
from qbwc_server.models.reference import QbListEntry
from qbwc_server.models.synclog import LogEvent, SyncLogEntry
from qbwc_server.models.wc_session import SessionState, WcSession
from qbwc_server.models.webhook import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "CHECKED_AFTER_LOSS",
    "OPEN_STATUSES",
    "REMOVALS",
    "Actor",
    "Fix",
    "Note",
    "NoteKind",
    "SentInfo",
    "ApiToken",
    "Base",
    "Company",
    "CompanyRef",
    "DeliveryStatus",
    "ImportCursor",
    "ImportFrontierId",
    "ImportRun",
    "ImportStatus",
    "ImportWatermark",
    "LogEvent",
    "LoginThrottle",
    "ThrottleScope",
    "Origin",
    "QbListEntry",
    "QueueAction",
    "QueueItem",
    "QueueStatus",
    "Record",
    "RecordKind",
    "Role",
    "SessionState",
    "SyncLogEntry",
    "SyncState",
    "User",
    "WcSession",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "is_open",
    "user_companies",
]
