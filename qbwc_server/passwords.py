"""Passwords: a standard slow hash, constant-time checks, and the rules a new password must meet."""

from __future__ import annotations

from functools import lru_cache

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 8


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
