"""Store many records of one kind at once: each checked on its own, one bad record never stops the others."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qbwc_server.errors import InvalidInput
from qbwc_server.models import CompanyRef, QueueItem, Record, RecordKind
from qbwc_server.records import bulk, store
from qbwc_server.records.characters import readable_value
from qbwc_server.records.validation import validate
from qbwc_server.sync import queue

log = logging.getLogger(__name__)

MAX_BATCH = 1000
INVALID = "invalid"


@dataclass(frozen=True)
class ItemResult:
    """What happened to one record of a batch: created, updated, unchanged, or invalid with its field errors."""

    index: int
    external_id: Any
    status: str
    errors: dict[str, str] | None = None
    sync_state: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the result as the API shows it."""
        body: dict[str, Any] = {"index": self.index, "external_id": self.external_id, "status": self.status}
        if self.errors is not None:
            body["errors"] = self.errors
            # What was refused may hold text that cannot be shown; a stored record's external_id was checked.
            return cast(dict[str, Any], readable_value(body))
        body["sync_state"] = self.sync_state
        return body


@dataclass
class BatchResult:
    """Every record's result, in the order sent, and how many ended each way."""

    results: list[ItemResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Return how many records were created, updated, unchanged and invalid."""
        seen = Counter(result.status for result in self.results)
        return {name: seen.get(name, 0) for name in (*(o.value for o in store.Outcome), INVALID)}

    def as_dict(self) -> dict[str, Any]:
        """Return the batch's answer: counts first, then each record's result (its text fit to show as it is)."""
        return {"counts": self.counts, "results": [result.as_dict() for result in self.results]}


def check_batch(body: Any) -> list[Any]:
    """Return the list of records a batch carries; raise InvalidInput when the body is not such a list."""
    if not isinstance(body, list) or not body:
        raise InvalidInput({"body": "must be a JSON array of records, each with its external_id"})
    if len(body) > MAX_BATCH:
        raise InvalidInput(
            {"body": f"must have at most {MAX_BATCH} records (it has {len(body)}); send several batches"}
        )
    return body


def save_many(
    db: Session, company: CompanyRef, kind: RecordKind, items: Iterable[Any], *, first_index: int = 0
) -> BatchResult:
    """Store each record (an object with `external_id` and the kind's fields); invalid ones are reported, not stored.

    Every record is checked before anything is written, so a refused one leaves nothing behind. The records the
    company has are read in one query and their open queue items in another; the new ones go in with one INSERT
    each for the records, queue items and log entries. A record sent twice in one batch is stored in order, the
    later copy as an update of the first.
    """
    results: dict[int, ItemResult] = {}
    checked: list[tuple[int, str, dict[str, Any]]] = []
    for index, item in enumerate(items, start=first_index):
        if not isinstance(item, dict):
            errors = {"body": f"must be a JSON object with the {kind.value}'s fields and its external_id"}
            results[index] = ItemResult(index, None, INVALID, errors)
            continue
        given = item.get("external_id")
        fields = {key: value for key, value in item.items() if key != "external_id"}
        try:
            external_id = store.check_external_id(_as_text(given))
            checked.append((index, external_id, validate(kind, fields)))
        except InvalidInput as exc:
            results[index] = ItemResult(index, given, INVALID, exc.errors)
    existing = store.find_many(db, company, kind, {external_id for _, external_id, _ in checked})
    first: dict[str, tuple[int, dict[str, Any]]] = {}
    later: list[tuple[int, str, dict[str, Any]]] = []
    for index, external_id, data in checked:
        if external_id in existing or external_id in first:
            later.append((index, external_id, data))
        else:
            first[external_id] = (index, data)
    inserted = bulk.insert_new(db, company, kind, [(external_id, data) for external_id, (_, data) in first.items()])
    for new in inserted:
        index = first.pop(new.external_id)[0]
        results[index] = ItemResult(
            index, new.external_id, store.Outcome.CREATED.value, sync_state=new.sync_state.value
        )
    # Any left in `first` were inserted by another request meanwhile: stored as updates of theirs, in order.
    updates = sorted([*later, *((index, external_id, data) for external_id, (index, data) in first.items())])
    if updates:
        open_items = queue.open_items(db, list(existing.values()))
        try:
            # Queue items of records that have none go in with one flush, without a savepoint each; if another
            # request queued one of them meanwhile, the whole step is undone and done again one record at a time.
            with db.begin_nested():
                done = _update(db, company, kind, updates, existing, open_items)
                db.flush()
        except IntegrityError:
            log.info("A record of a batch was queued by another request meanwhile; storing the updates one by one")
            done = _update(db, company, kind, updates, existing, None)
        results.update(done)
    return BatchResult([results[index] for index in sorted(results)])


def _update(
    db: Session,
    company: CompanyRef,
    kind: RecordKind,
    updates: list[tuple[int, str, dict[str, Any]]],
    existing: dict[str, Record],
    open_items: dict[int, QueueItem | None] | None,
) -> dict[int, ItemResult]:
    """Store checked data on existing records, in order; `open_items` as read for the batch (None: look each up)."""
    results: dict[int, ItemResult] = {}
    for index, external_id, data in updates:
        # A repeat of a record this batch created, or one another request created meanwhile, is read now.
        record = existing.get(external_id) or store.find(db, company, kind, external_id)
        try:
            if record is None:  # pragma: no cover - not inserted only because it exists
                record, outcome = store.save(db, company, kind, external_id, data)
            else:
                # Its open item as read for the whole batch, the first time; a repeat looks again.
                item = open_items.pop(record.id, queue.LOOK) if open_items is not None else queue.LOOK
                outcome = store.update(db, company, record, data, item=item, unguarded=open_items is not None)
        except InvalidInput as exc:
            results[index] = ItemResult(index, external_id, INVALID, exc.errors)
            continue
        results[index] = ItemResult(index, record.external_id, outcome.value, sync_state=record.sync_state.value)
    return results


def _as_text(external_id: Any) -> Any:
    # Host apps often number their records; in a URL the id is text, so it is here too.
    if isinstance(external_id, int) and not isinstance(external_id, bool):
        return str(external_id)
    return external_id
