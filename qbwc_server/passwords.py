"""Passwords: a standard slow hash, constant-time checks, and the rules a new password must meet.

A password a person chose gets scrypt, which makes guessing it slow. A Web Connector password the server generated
has 192 random bits: nobody can guess it, so (like an API token) it is stored as a plain SHA-256 digest, and checking
it at each `authenticate` costs microseconds instead of scrypt's tenth of a second of CPU.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 8
GENERATED_BYTES = 24  # 192 random bits; at least 128 are needed for a fast hash to be safe
GENERATED_MIN_LENGTH = 32  # token_urlsafe(24) is 32 characters
_GENERATED_PREFIX = "generated-sha256$"


def generate_password() -> str:
    """Return a new random password for a Web Connector user (shown once, then only its digest is kept)."""
    return secrets.token_urlsafe(GENERATED_BYTES)


def hash_generated(password: str) -> str:
    """Return the stored form of a password from `generate_password`: a digest, fast to check."""
    if len(password) < GENERATED_MIN_LENGTH:
        raise ValueError("only a generated password of at least 128 random bits may have a fast hash")
    return _GENERATED_PREFIX + hashlib.sha256(password.encode("utf-8")).hexdigest()


def is_generated(password_hash: str) -> bool:
    """Tell whether a stored hash is a generated password's digest (checking it costs microseconds, not scrypt)."""
    return password_hash.startswith(_GENERATED_PREFIX)


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of `password` (never store or log the password itself)."""
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Tell whether `password` matches; an unknown user is checked against a dummy hash so both take as long."""
    if not password_hash:
        check_password_hash(dummy_hash(), password)
        return False
    if password_hash.startswith(_GENERATED_PREFIX):
        wanted = hashlib.sha256(password.encode("utf-8")).hexdigest()
        return hmac.compare_digest(password_hash[len(_GENERATED_PREFIX) :], wanted)
    try:
        return check_password_hash(password_hash, password)
    except ValueError:
        # A damaged or foreign hash must read as a wrong password, not as a server error.
        return False


def verify_web_connector(password_hash: str | None, password: str) -> bool:
    """Check a Web Connector login; an unknown user name costs a digest, not scrypt.

    Most Web Connector passwords are generated, so an unknown name is checked like one of those: guessing names
    burns no scrypt time, and is as fast as a wrong generated password.
    """
    if not password_hash:
        hmac.compare_digest(_GENERATED_PREFIX + hashlib.sha256(password.encode("utf-8")).hexdigest(), _UNKNOWN)
        return False
    return verify_password(password_hash, password)


_UNKNOWN = _GENERATED_PREFIX + "0" * 64


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
