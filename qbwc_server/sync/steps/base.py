"""The shape every step has: render a queue item's request, and turn QuickBooks' answer into a transition."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from sqlalchemy.orm import Session

from qbwc_server.models import Company, LogEvent, Note, QueueAction, QueueItem, Record
from qbwc_server.qbxml.parse import RsItem
from qbwc_server.sync import builders
from qbwc_server.sync.lifecycle import Identity
from qbwc_server.sync.outgoing import Outgoing, Predicted


@dataclass
class Drafting:
    """What rendering one batch shares between its requests."""

    db: Session
    company: Company
    # Full names of list records added earlier in the same message set (they have no ListID yet).
    predicted: Predicted = field(default_factory=dict)
    # Items a step keeps to render together at the end of the batch (lookups sharing one query).
    kept: dict[QueueAction, list[tuple[QueueItem, Record]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Answering:
    """What handling an answer may read: the database, the company and the session's ticket."""

    db: Session
    company: Company
    ticket: str


class Result(enum.Enum):
    """How an answered item ends up."""

    DONE = "done"  # QuickBooks has what the item asked for
    AGAIN = "again"  # the item goes again, as `next_action`
    FAILED = "failed"  # a person must act


@dataclass(frozen=True)
class LogLine:
    """One line for the record's sync log."""

    event: LogEvent
    message: str
    status_code: int | None = None
    rq_type: str | None = None
    response_xml: str | None = None


@dataclass(frozen=True)
class Refusal:
    """A QuickBooks refusal of the request: it counts against max_attempts."""

    status_code: int
    message: str


@dataclass(frozen=True)
class Transition:
    """What an answer does to the item and its record; `transitions.apply` carries it out."""

    result: Result
    next_action: QueueAction | None = None
    unknown_outcome: bool | None = None
    delay_seconds: float = 0
    identity: Identity | None = None  # store it, with `synced_version` as the version QuickBooks has
    synced_version: int | None = None
    refreshed: Identity | None = None  # take QuickBooks' current EditSequence only
    forget_identity: bool = False
    look_up_first: Record | None = None  # a prerequisite QuickBooks says is missing: look for it first
    error: Note | None = None
    item_error: str | None = None  # QuickBooks' words, kept on the queue item for the next answer's log
    refusal: Refusal | None = None
    refused_with: int | None = None  # remembered for the next action's answer (3100: the name is in use)
    log: tuple[LogLine, ...] = ()


class Step(Protocol):
    """One QuickBooks action: its request, and what its answer means."""

    action: ClassVar[QueueAction]

    def render(self, ctx: Drafting, item: QueueItem, record: Record) -> Outgoing | None:
        """Return the item's request (None when it is kept to render with others); RecordProblem if it cannot go."""
        ...

    def flush(self, ctx: Drafting) -> list[Outgoing]:
        """Return the requests of the items kept during the batch."""
        ...

    def handle(self, ctx: Answering, item: QueueItem, record: Record, rs: RsItem) -> Transition:
        """Return what QuickBooks' answer does to the item and its record (nothing is written here)."""
        ...


def identity(qb: builders.QbIdentity) -> Identity:
    """Return the lifecycle's identity for what a builder read from QuickBooks' answer."""
    return Identity(qb.id, qb.edit_sequence, qb.full_name, dict(qb.line_ids) if qb.line_ids else None)
