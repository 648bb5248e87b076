"""A record's QuickBooks identity and QuickBooks' figures for it: the one writer of each (part of the lifecycle).

The functions here are the only code that writes a record's qb_id, EditSequence, full name, line ids and
synced_version, the app's data at link time, its name suffix, and QuickBooks' totals, balance and paid status.
`sync.lifecycle` re-exports them, so callers name them as part of the lifecycle.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

from qbwc_server import clock
from qbwc_server.models import Record
from qbwc_server.sync import staging

# --- the QuickBooks identity -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """What QuickBooks calls a record: its ListID or TxnID, EditSequence, full name and our lines' TxnLineIDs."""

    id: str
    edit_sequence: str | None
    full_name: str | None = None
    line_ids: dict[str, str] | None = None


def store_identity(
    record: Record,
    identity: Identity,
    version: int | None,
    *,
    linked: bool = False,
    figures: dict[str, Any] | None = None,
    warnings: list[dict[str, Any]] | None = None,
) -> None:
    """Store what QuickBooks answered for the record, and which of its versions QuickBooks now has.

    `linked`: the entry was already in QuickBooks; remember the app's data now, so that later Mods can send only
    what the app changes (link policy keep_quickbooks). `figures` (and `warnings`): QuickBooks' figures in the same
    answer, stored as `store_figures` stores them, with the identity in one step (an Add's or Mod's answer has both).
    """
    values: dict[str, Any] = {"qb_id": identity.id, "qb_edit_sequence": identity.edit_sequence}
    if linked:
        values.update(_link_values(record))
    if identity.full_name:
        values["qb_full_name"] = identity.full_name
    if identity.line_ids:
        values["qb_line_ids"] = dict(identity.line_ids)
    values["synced_version"] = version
    values["synced_at"] = clock.now()
    if version is not None and version == record.version:
        # What QuickBooks now holds from us: the version both sides agree on, against which a later change in
        # QuickBooks and one in the app are told apart (and a change on both sides is a conflict).
        values["qb_data"] = {
            **(record.qb_data or {}),
            "synced_data": _copy(record.data),
            "synced_es": identity.edit_sequence,
        }
    if figures is not None:
        values.update(_figure_values(record, figures, warnings))
    staging.write(record, values)


def _copy(data: Any) -> Any:
    """Return a deep copy of a record's data (JSON values): a pickle round trip copies a five-line invoice's data in
    a quarter of `copy.deepcopy`'s time, which walks it in Python."""
    return pickle.loads(pickle.dumps(data, pickle.HIGHEST_PROTOCOL))  # noqa: S301 - our own bytes, just made


def refresh_identity(record: Record, identity: Identity) -> None:
    """Take QuickBooks' current EditSequence (and line ids) without saying it has our version."""
    record.qb_edit_sequence = identity.edit_sequence
    if identity.line_ids:
        record.qb_line_ids = dict(identity.line_ids)


def forget_identity(record: Record) -> None:
    """Forget a QuickBooks id that no longer exists there, so the record is added again."""
    record.qb_id = record.qb_edit_sequence = None
    record.qb_line_ids = None
    record.linked_data = record.linked_version = None


def forget_deleted(record: Record) -> None:
    """Forget the identity of an entry deleted in QuickBooks, so the record is added as a new one."""
    record.qb_id = record.qb_edit_sequence = record.qb_full_name = None
    record.qb_line_ids = None
    record.synced_version = None


def forget_synced_version(record: Record) -> None:
    """Say QuickBooks may not have the record after all (it answered that it is missing)."""
    record.qb_id = None
    record.synced_version = None
    record.linked_data = record.linked_version = None


def _remember_link(record: Record) -> None:
    staging.write(record, _link_values(record))


def _link_values(record: Record) -> dict[str, Any]:
    return {"linked_data": dict(record.data or {}), "linked_version": record.version}


def set_name_suffix(record: Record, suffix: str | None) -> None:
    """Give the record's QuickBooks name a suffix that keeps it apart from an entry another record or list holds."""
    record.name_suffix = suffix or None


def accept_version(record: Record) -> None:
    """Say QuickBooks has all it needs of the record's current version without being sent it (a link-only item)."""
    record.synced_version = record.version


def link(record: Record, qb_id: str, full_name: str | None) -> None:
    """Point a record at a QuickBooks object a person chose; its EditSequence and lines are read before sending."""
    _remember_link(record)
    record.qb_id = qb_id
    record.qb_full_name = full_name or None
    record.qb_edit_sequence = None
    record.qb_line_ids = None
    record.synced_version = None


def adopt(record: Record, identity: Identity, *, line_ids: bool, confirm_version: bool, linked: bool = False) -> None:
    """Take an imported object's identity: QuickBooks has it, so our copy of it needs no sending back."""
    if linked:
        _remember_link(record)
    record.qb_id = identity.id
    record.qb_edit_sequence = identity.edit_sequence
    if identity.full_name is not None:
        record.qb_full_name = identity.full_name
    if line_ids:
        record.qb_line_ids = dict(identity.line_ids or {}) or None
    if confirm_version:
        record.synced_version = record.version


def rename(record: Record, full_name: str) -> None:
    """Follow a rename QuickBooks made (a job's full name changes with its customer's)."""
    record.qb_full_name = full_name


# --- QuickBooks' figures -----------------------------------------------------------------------------------------


def store_figures(record: Record, figures: dict[str, Any], warnings: list[dict[str, Any]] | None) -> None:
    """Store QuickBooks' figures for a transaction (totals, balance, paid) and, when compared, the warnings.

    `warnings` None keeps the warnings the last comparison gave (an answer that cannot be compared to the app's data,
    such as an import of a newer QuickBooks copy, changes only the figures).
    """
    staging.write(record, _figure_values(record, figures, warnings))


def _figure_values(record: Record, figures: dict[str, Any], warnings: list[dict[str, Any]] | None) -> dict[str, Any]:
    kept = {k: v for k, v in (record.qb_totals or {}).items() if k not in figures}
    values: dict[str, Any] = {"qb_totals": {**kept, **figures}}
    if warnings is not None:
        values["warnings"] = list(warnings) or None
        values["warning_count"] = len(warnings)
    return values


def store_balance(record: Record, balance: str, paid: bool, paid_by: str | None, paid_on: str = "") -> None:
    """Store an invoice's balance in QuickBooks after a payment, and which payment paid it in full (and its date)."""
    figures: dict[str, Any] = {**(record.qb_totals or {}), "balance": balance, "paid": paid}
    if paid and paid_by:
        figures["paid_by"], figures["paid_on"] = paid_by, paid_on
    elif not paid:
        figures.pop("paid_by", None)
        figures.pop("paid_on", None)
    staging.write(record, {"qb_totals": figures})
