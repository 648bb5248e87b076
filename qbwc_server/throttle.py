"""Failed-login throttling for both doors (the Web Connector and the page), counted per name and source address.

A lock is a time before which the door answers at once without checking the password, never a sleep in a worker
thread. Counters are kept per (name, address) and per address, and the two doors never share a counter, so
nobody can lock out a user from another address or through the other door. The first few failures are free, then
each further failure locks for twice as long as the one before, starting at QBWC_AUTH_FAILURE_DELAY_SECONDS and
stopping at fifteen minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.models import LoginThrottle, ThrottleScope

# Failures in a row for one name from one address before the locks start.
FREE_FAILURES = 5
# One address may fail this often across every name before it is locked out of the door as a whole.
FREE_ADDRESS_FAILURES = 10
MAX_LOCK_SECONDS = 900
# A counter with no failure for this long starts again from zero (an office's occasional typos never add up).
FORGET_AFTER = timedelta(hours=1)

_DOORS = {
    "wc": (ThrottleScope.WC_LOGIN, ThrottleScope.WC_ADDRESS),
    "page": (ThrottleScope.PAGE_LOGIN, ThrottleScope.PAGE_ADDRESS),
}


def locked_seconds(db: Session, door: str, name: str, address: str) -> int:
    """Return how many seconds this name may not try from this address (0 when it may try now)."""
    return check(db, door, name, address).locked_seconds


@dataclass(frozen=True)
class Check:
    """What a login's counters say before its password is checked: the lock, and whether a failure is on record."""

    locked_seconds: int
    has_failures: bool  # the name has a counter at this address (`clear` has something to forget)


def check(db: Session, door: str, name: str, address: str) -> Check:
    """Read both counters of a login (the name's at this address and the address's) in one statement."""
    locked_until, has_failures = db.execute(_CHECK, params(door, name, address)).one()
    return checked(locked_until, has_failures)


def params(door: str, name: str, address: str) -> dict[str, Any]:
    """Return the values `LOCKED_UNTIL` and `HAS_FAILURES` are bound to for a login at this door."""
    login_scope, address_scope = _DOORS[door]
    return {"address": _address(address), "login": login_scope, "name": _key(name), "address_scope": address_scope}


def checked(locked_until: datetime | None, has_failures: bool) -> Check:
    """Return the Check that `LOCKED_UNTIL` and `HAS_FAILURES` read (selected alone or beside other columns)."""
    wait = (clock.aware(locked_until) - clock.now()).total_seconds() if locked_until is not None else 0.0
    return Check(max(0, int(wait + 0.999)), bool(has_failures))


# Built once, with the values of `params`. The later of the two counters' locks (the name's at this address and
# the address's), and whether the name has a counter at this address. Both are scalar subqueries, so a login can
# read them in the same statement as its user.
LOCKED_UNTIL = (
    select(func.max(LoginThrottle.locked_until))
    .where(
        LoginThrottle.address == bindparam("address"),
        or_(
            (LoginThrottle.scope == bindparam("login")) & (LoginThrottle.name == bindparam("name")),
            (LoginThrottle.scope == bindparam("address_scope")) & (LoginThrottle.name == ""),
        ),
    )
    .scalar_subquery()
)
HAS_FAILURES = exists().where(
    LoginThrottle.scope == bindparam("login"),
    LoginThrottle.name == bindparam("name"),
    LoginThrottle.address == bindparam("address"),
)
_CHECK = select(LOCKED_UNTIL, HAS_FAILURES)


def note_failure(db: Session, door: str, name: str, address: str, step_seconds: float) -> None:
    """Count a failed login for the name at this address and for the address; lock whichever is over its allowance."""
    now = clock.now()
    login_scope, address_scope = _DOORS[door]
    for scope, key, free in ((login_scope, _key(name), FREE_FAILURES), (address_scope, "", FREE_ADDRESS_FAILURES)):
        row = _row(db, scope, key, address)
        if row.last_failure_at is not None and now - clock.aware(row.last_failure_at) > FORGET_AFTER:
            row.failures = 0
        row.failures = (row.failures or 0) + 1
        row.last_failure_at = now
        if row.failures > free:
            row.locked_until = now + timedelta(seconds=lock_length(row.failures - free, step_seconds))


def clear(db: Session, door: str, name: str, address: str) -> None:
    """Forget a name's failures at this address after it signed in (the address-wide count stays)."""
    row = db.get(LoginThrottle, (_DOORS[door][0], _key(name), _address(address)))
    if row is not None:
        db.delete(row)


def lock_length(over: int, step_seconds: float) -> float:
    """Return the lock after the `over`-th failure beyond the free ones: step, 2 x step, 4 x step … up to 15 minutes."""
    return min(step_seconds * 2 ** min(over - 1, 30), MAX_LOCK_SECONDS)


def _row(db: Session, scope: ThrottleScope, name: str, address: str) -> LoginThrottle:
    key = (scope, name, _address(address))
    row = db.get(LoginThrottle, key, with_for_update=True)
    if row is not None:
        return row
    try:
        with db.begin_nested():
            row = LoginThrottle(scope=scope, name=name, address=key[2], failures=0)
            db.add(row)
    except IntegrityError:
        # Another failed login for the same key created the row first.
        row = db.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def _key(name: str) -> str:
    # The page compares emails ignoring case; so does its counter.
    return name.strip().lower()[:254]


def _address(address: str) -> str:
    return (address or "unknown")[:64]
