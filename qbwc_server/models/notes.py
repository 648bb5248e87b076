"""The typed notes a record carries: why it waits, is held or excluded, or what went wrong and who must act."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class NoteKind(enum.Enum):
    """What a record's note is about; the values are those stored since the first release."""

    ERROR = "error"  # QuickBooks refused it, or it cannot be sent as it is
    WAITING = "waiting"  # a prerequisite is not in QuickBooks yet (or needs a person)
    HELD = "hold"  # the settings keep it pending for now
    EXCLUDED = "excluded"  # the settings exclude it
    EXCLUDED_BY_PERSON = "manual"  # a person excluded it: only an explicit sync brings it back
    REMOVED = "removed"  # the app removed it: what QuickBooks was told, or is being told
    DELETED_IN_QUICKBOOKS = "deleted_in_quickbooks"  # its QuickBooks entry was deleted there: only a re-add sends it


class Actor(enum.Enum):
    """Who must act so that an error goes away."""

    BOOKKEEPER_IN_QUICKBOOKS = "bookkeeper_in_quickbooks"
    BOOKKEEPER_IN_SETTINGS = "bookkeeper_in_settings"
    APP = "app"  # the host app's data, or its developer
    NOBODY = "nobody"  # the server retries on its own


class Fix(enum.Enum):
    """The fix for an error, as an action someone can take."""

    NONE = "none"  # nothing to do: it is retried automatically
    CREATE_IN_QUICKBOOKS = "create_in_quickbooks"
    RENAME = "rename"
    CHANGE_SETTINGS = "change_settings"
    CORRECT_IN_APP = "correct_in_app"
    CORRECT_IN_QUICKBOOKS = "correct_in_quickbooks"
    CHECK_PERMISSIONS = "check_permissions"
    REPROCESS = "reprocess"


@dataclass(frozen=True)
class Note:
    """A record's note; errors also carry QuickBooks' code and text, who must act, the fix and whether to retry."""

    kind: NoteKind
    message: str
    status_code: int | None = None
    qb_message: str | None = None
    hint: str | None = None
    who_must_act: Actor | None = None
    fix: Fix | None = None
    retryable: bool | None = None

    @property
    def is_error(self) -> bool:
        """Tell whether the note reports an error (rather than a reason to wait)."""
        return self.kind is NoteKind.ERROR

    def to_json(self) -> dict[str, Any]:
        """Return the note as the API shows it (and as it is stored)."""
        out: dict[str, Any] = {"kind": self.kind.value, "message": self.message}
        if self.kind is NoteKind.ERROR:
            out.update(
                status_code=self.status_code,
                hint=self.hint,
                quickbooks=(
                    {"code": self.status_code, "message": self.qb_message} if self.status_code is not None else None
                ),
                who_must_act=self.who_must_act.value if self.who_must_act else None,
                fix=self.fix.value if self.fix else None,
                retryable=self.retryable,
            )
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Note:
        """Read a stored note back (older rows carry only a message, a hint and a code)."""
        kind = NoteKind(data["kind"]) if data.get("kind") in {k.value for k in NoteKind} else NoteKind.ERROR
        qb = data.get("quickbooks") or {}
        return cls(
            kind=kind,
            message=str(data.get("message") or ""),
            status_code=data.get("status_code"),
            qb_message=qb.get("message"),
            hint=data.get("hint"),
            who_must_act=Actor(data["who_must_act"]) if data.get("who_must_act") else None,
            fix=Fix(data["fix"]) if data.get("fix") else None,
            retryable=data.get("retryable"),
        )
