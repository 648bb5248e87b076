"""The shape every step has: render a queue item's request, and turn QuickBooks' answer into a transition.

Most items are about one record; an item of an import has none (`record` is None for it).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, overload

from sqlalchemy.orm import Session

from qbwc_server.models import Company, LogEvent, Note, QueueAction, QueueItem, Record, RecordKind, WcSession
from qbwc_server.qbxml.parse import Answer
from qbwc_server.sync import builders, policy
from qbwc_server.sync.lifecycle import Event, Identity
from qbwc_server.sync.outgoing import Outgoing, Predicted
from qbwc_server.sync.planned import Queued, Renderable
from qbwc_server.sync.totals import Figures


class ReferencesRead(enum.Enum):
    """What filing an answer reads of the records its record references (looked up ahead by the engine)."""

    NONE = "none"  # nothing
    ROWS = "rows"  # only their names and identities (through `request_input`): read as rows
    RECORDS = "records"  # the records themselves, which filing may change (a payment's invoices)


@dataclass
class Drafting:
    """What rendering one batch shares between its requests."""

    db: Session
    company: Company
    ticket: str = ""  # the session the batch goes to (an import continues only its own session's iterator)
    # Full names of list records added earlier in the same message set (they have no ListID yet).
    predicted: Predicted = field(default_factory=dict)
    # Items a step keeps to render together at the end of the batch (lookups sharing one query).
    kept: dict[QueueAction, list[tuple[Queued, Renderable]]] = field(default_factory=dict)


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
    linked: bool = False  # the identity is of an entry QuickBooks already had: remember the app's data now
    name_suffix: str | None = None  # a new suffix for the record's QuickBooks name (before it goes again)
    refreshed: Identity | None = None  # take QuickBooks' current EditSequence only
    forget_identity: bool = False
    # QuickBooks no longer has the entry our Mod was for: it was deleted there, and is not added again on its own.
    deleted_in_quickbooks: bool = False
    look_up_first: Record | None = None  # a prerequisite QuickBooks says is missing: look for it first
    error: Note | None = None
    item_error: str | None = None  # QuickBooks' words, kept on the queue item for the next answer's log
    refusal: Refusal | None = None
    refused_with: int | None = None  # remembered for the next action's answer (3100: the name is in use)
    log: tuple[LogLine, ...] = ()
    imported: int = 0  # objects read from QuickBooks (the session summary's "Imported N")
    finish: Event | None = None  # a removal QuickBooks carried out: the record ends by this event, not confirmed
    figures: Figures | None = None  # QuickBooks' totals, balance and paid status in the answer, and any warnings


class Step(Protocol):
    """One QuickBooks action: its request, and what its answer means."""

    action: ClassVar[QueueAction]

    def render(self, ctx: Drafting, item: Queued, record: Renderable | None) -> Outgoing | None:
        """Return the item's request (None when it is kept or cannot go now); RecordProblem if it never can.

        The item and record are the batch's rows of them (`planned`) when the engine renders a batch."""
        ...

    def flush(self, ctx: Drafting) -> list[Outgoing]:
        """Return the requests of the items kept during the batch."""
        ...

    def handle(self, ctx: Answering, item: QueueItem, record: Record | None, rs: Answer) -> Transition:
        """Return what QuickBooks' answer does to the item and its record (the record's data is not written here)."""
        ...

    def refused(self, ctx: Answering, item: QueueItem, record: Record | None, hresult: str, message: str) -> Transition:
        """Return what it means when QuickBooks refused the item's message set and the item was alone in it."""
        ...

    def progress(self, db: Session, company: Company, wc_session: WcSession) -> int | None:
        """Return how far the step's own work is (0-99), or None when the queue's counts say it (reads only)."""
        ...


def refusal_text(hresult: str, message: str) -> str:
    """Return the words for a message set QuickBooks refused as a whole."""
    return f"QuickBooks rejected the request ({hresult or 'no response'}): {message or 'no message'}"


@overload
def need(record: Record | None) -> Record: ...
@overload
def need(record: Renderable | None) -> Renderable: ...
def need(record: Renderable | None) -> Renderable:
    """Return the record of a record step's item (every send, lookup and refresh item has one)."""
    assert record is not None, "a record step was given an item without a record"
    return record


class RecordStep:
    """What the record steps share: a refused message set fails the record, and the queue's counts are progress."""

    def refused(self, ctx: Answering, item: QueueItem, record: Record | None, hresult: str, message: str) -> Transition:
        """Fail the record with QuickBooks' refusal (the set was split until this item was alone)."""
        text = refusal_text(hresult, message)
        error = policy.quickbooks_error(None, text, need(record).kind.value, policy.REFUSED_SET)
        return Transition(Result.FAILED, error=error, log=(LogLine(LogEvent.FAILED, text),))

    def progress(self, db: Session, company: Company, wc_session: WcSession) -> int | None:
        """Return None: the engine counts the queue's items."""
        return None

    def references_read(self, record: Record, answer: Answer | None) -> ReferencesRead:
        """Tell how filing this answer about the record reads the records it references, so the engine looks them up
        ahead for the whole message set in one query: as records (the default: filing may change them)."""
        return ReferencesRead.RECORDS

    def references_filed(self, record: Record, refs: list[tuple[RecordKind, str]]) -> Iterable[tuple[RecordKind, str]]:
        """Return which of the record's references filing reads as records (looked up ahead): all of them."""
        return refs


def identity(qb: builders.QbIdentity) -> Identity:
    """Return the lifecycle's identity for what a builder read from QuickBooks' answer."""
    return Identity(qb.id, qb.edit_sequence, qb.full_name, dict(qb.line_ids) if qb.line_ids else None)
