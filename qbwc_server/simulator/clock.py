"""The simulator's only source of time, so tests and freezegun can control it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] | None = None


def now() -> datetime:
    """Return the current time as an aware datetime."""
    if _now is not None:
        return _now()
    return datetime.now(UTC)


def set_clock(func: Callable[[], datetime] | None) -> None:
    """Replace the clock with `func` (returning aware datetimes); None restores the real clock."""
    global _now
    _now = func
