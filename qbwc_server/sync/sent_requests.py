"""What a queue item carries between its request and QuickBooks' answer (`SentInfo`), and what survives a lost answer.

Only the item's sent information is written here, never its status: `lifecycle` (which re-exports these) is the
one writer of statuses, sync states and identities.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from qbwc_server.models import CHECKED_AFTER_LOSS, QueueAction, QueueItem, SentInfo
from qbwc_server.sync.planned import PlannedItem


def mark_refused_with(item: QueueItem, status_code: int) -> None:
    """Remember which refusal turned the item into another action, for the answer to that action."""
    if item.sent_info is not None:
        item.sent_info = replace(item.sent_info, refused_with=status_code)


def split_batch(item: QueueItem, size: int) -> None:
    """Send the item in message sets of at most `size` from now on (after QuickBooks refused a whole set)."""
    if item.sent_info is not None:
        item.sent_info = replace(item.sent_info, split=size)


@dataclass(frozen=True)
class Request:
    """What a rendered request carries, for the sent information of its item."""

    rq_type: str
    add: bool
    version: int
    edit_sequence: str | None = None
    group: str | None = None


def sent_info(item: QueueItem | PlannedItem, request: Request) -> SentInfo:
    """Return the sent information for the next request of an item, carrying what must survive lost answers."""
    previous = item.sent_info
    carried: dict[str, Any] = {}
    if previous is not None and item.unknown_outcome and item.action is QueueAction.LOOKUP:
        # A lookup checks an Add whose outcome is unknown: keep that Add's version through any number of lookups.
        carried["add_version"] = previous.version if previous.add else previous.add_version
    if previous is not None and item.unknown_outcome and item.action is QueueAction.REFRESH:
        # A refresh checks a Mod whose outcome is unknown: keep what that Mod carried until QuickBooks answers.
        was_mod = not previous.add and previous.edit_sequence is not None
        carried["mod_version"] = previous.version if was_mod else previous.mod_version
        carried["mod_edit_sequence"] = previous.edit_sequence if was_mod else previous.mod_edit_sequence
    if previous is not None and item.action is not QueueAction.SEND:
        carried["refused_with"] = previous.refused_with
    return SentInfo(
        rq_type=request.rq_type,
        add=request.add,
        version=request.version,
        edit_sequence=request.edit_sequence,
        split=previous.split if previous is not None else None,
        group=request.group,
        **carried,
    )


def lost_answer(item: QueueItem) -> tuple[QueueAction, bool]:
    """Return what an item whose answer was lost does next, and whether its outcome is unknown.

    An Add may have been applied: look it up before adding again. A Mod may have been applied, which changes the
    EditSequence: read QuickBooks' current one before sending again. Lookups and refreshes simply ask again.
    A void, delete or deactivation may have been applied too: its step reads QuickBooks before sending it again.
    A lost answer is not a refusal: it never counts against max_attempts.
    """
    info = item.sent_info
    if item.action in CHECKED_AFTER_LOSS:
        return item.action, True  # a void, delete, deactivation or credit may have been applied: check first
    if item.action is QueueAction.SEND and info is not None:
        return (QueueAction.LOOKUP if info.add else QueueAction.REFRESH), True
    return item.action, item.unknown_outcome
