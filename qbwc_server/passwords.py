"""Web Connector passwords: a standard slow hash, constant-time checks, and the throttle on failed logins."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from qbwc_server import clock
from qbwc_server.models import LoginThrottle

MIN_LENGTH = 8
# Failed logins slow down step by step up to this many steps of QBWC_AUTH_FAILURE_DELAY_SECONDS.
MAX_THROTTLE_STEPS = 8


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of `password` (never store or log the password itself)."""
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Tell whether `password` matches; an unknown user is checked against a dummy hash so both take as long."""
    if not password_hash:
        check_password_hash(dummy_hash(), password)
        return False
    try:
        return check_password_hash(password_hash, password)
    except ValueError:
        # A damaged or foreign hash must read as a wrong password, not as a server error.
        return False


def check_strength(password: str) -> str | None:
    """Return why a new password is not acceptable, or None when it is."""
    if len(password) < MIN_LENGTH:
        return f"the password must be at least {MIN_LENGTH} characters long"
    if password != password.strip():
        return "the password must not start or end with spaces"
    return None


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Return the hash unknown users are verified against (computed once; call early to warm it)."""
    # Same method and cost as real hashes, so an unknown user name cannot be told apart by timing.
    return hash_password("not-a-real-password-used-only-for-timing")


def note_failure(db: Session, username: str) -> int:
    """Count one more failed login for this user name (known or not) and return the count."""
    key = username[:100]
    throttle = db.get(LoginThrottle, key, with_for_update=True)
    if throttle is None:
        try:
            with db.begin_nested():
                throttle = LoginThrottle(username=key, failures=0)
                db.add(throttle)
        except IntegrityError:
            # Another failed login for the same name created the row first.
            throttle = db.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
    assert throttle is not None
    throttle.failures = (throttle.failures or 0) + 1
    throttle.last_failure_at = clock.now()
    return throttle.failures


def failure_delay(failures: int, step_seconds: float) -> float:
    """Return how long to hold back the answer to a failed login, growing with consecutive failures."""
    return step_seconds * min(failures, MAX_THROTTLE_STEPS)


def clear_failures(db: Session, username: str) -> None:
    """Forget a user name's failed logins after a successful one."""
    throttle = db.get(LoginThrottle, username[:100])
    if throttle is not None:
        db.delete(throttle)
