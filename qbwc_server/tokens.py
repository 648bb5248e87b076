"""REST API tokens: made from `secrets`, shown once, stored only as a SHA-256, each scoped to one company."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.errors import NotFound
from qbwc_server.models import ApiToken, Company

log = logging.getLogger(__name__)

SCHEME = "qbwc_"
PREFIX_LENGTH = 8
# Writing last_used_at on every request would turn every read into a write; once a minute is enough to show use.
TOUCH_EVERY = timedelta(minutes=1)


def create(db: Session, company: Company, name: str = "") -> tuple[ApiToken, str]:
    """Make a token for a company; return the stored row and the plain token, which is never available again."""
    secret = secrets.token_urlsafe(32)
    plain = SCHEME + secret
    token = ApiToken(
        company_id=company.id, name=name.strip()[:100], prefix=secret[:PREFIX_LENGTH], token_hash=digest(plain)
    )
    db.add(token)
    db.flush()
    log.info("Created API token %s… for %s", token.prefix, company.slug)
    return token, plain


def digest(plain: str) -> str:
    """Return the SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def verify(db: Session, plain: str) -> ApiToken | None:
    """Return the live token matching `plain`, or None (unknown, malformed or revoked)."""
    found = verify_with_company(db, plain)
    return found[0] if found is not None else None


def verify_with_company(db: Session, plain: str) -> tuple[ApiToken, Company | None] | None:
    """Return the live token matching `plain` and its company, read in one query; None as `verify` says."""
    if not plain or not plain.startswith(SCHEME) or len(plain) > 200:
        return None
    wanted = digest(plain)
    # The lookup is by hash, so timing says nothing about the secret; the compare is belt and braces.
    row = db.execute(_BY_DIGEST, {"digest": wanted}).first()
    if row is None:
        return None
    token, company = row
    if not hmac.compare_digest(token.token_hash, wanted) or token.revoked_at is not None:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
    return token, company


# Built once: one indexed query (unique token_hash) for the token and its company, at every API request.
_BY_DIGEST = (
    select(ApiToken, Company)
    .outerjoin(Company, Company.id == ApiToken.company_id)
    .where(ApiToken.token_hash == bindparam("digest"))
)


def list_tokens(db: Session, company: Company) -> list[ApiToken]:
    """Return a company's tokens, revoked ones included, oldest first."""
    return list(db.scalars(select(ApiToken).where(ApiToken.company_id == company.id).order_by(ApiToken.id)).all())


def revoke(db: Session, company: Company, prefix: str) -> list[ApiToken]:
    """Revoke the company's token(s) with this prefix (given with or without `qbwc_`); return those revoked now."""
    prefix = prefix.strip().removeprefix(SCHEME)
    if len(prefix) < PREFIX_LENGTH:
        raise NotFound(f"give the token's {PREFIX_LENGTH}-character prefix, as `token list` shows it")
    matches = [token for token in list_tokens(db, company) if token.prefix == prefix[:PREFIX_LENGTH]]
    if not matches:
        raise NotFound(f"{company.slug} has no token starting {SCHEME}{prefix[:PREFIX_LENGTH]}")
    # Two live tokens sharing 48 random bits is next to impossible; if it happens, revoking both is the safe side.
    revoked = [token for token in matches if token.revoked_at is None]
    for token in revoked:
        token.revoked_at = clock.now()
        log.info("Revoked API token %s… of %s", token.prefix, company.slug)
    return revoked
