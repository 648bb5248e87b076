"""The one seam for time: everything asks `now()`, so tests (freezegun) control it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import overload


def now() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(timezone.utc)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
@overload
def aware(value: datetime | None) -> datetime | None: ...
def aware(value: datetime | None) -> datetime | None:
    """Return `value` with UTC attached when a database handed it back naive (SQLite does)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)
