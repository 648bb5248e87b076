"""REST API tokens: made from `secrets`, shown once, stored only as a SHA-256, each scoped to one company."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, Select, bindparam, select, update
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
    caller = check(db, plain)
    return db.get(ApiToken, caller.token_id) if caller is not None else None


@dataclass(frozen=True)
class Caller:
    """The company a live API token belongs to, as an API request needs it: read with the token in one query."""

    token_id: int
    id: int  # the company's
    slug: str
    settings: dict[str, Any]


def check(db: Session, plain: str) -> Caller | None:
    """Return the company of the live token matching `plain`, or None (unknown, malformed or revoked).

    One indexed SELECT of the few columns needed, with no ORM object made; nothing is cached, so a revoked token is
    refused at its next request, in every process.
    """
    checked = check_joined(db, plain, BY_DIGEST, {})
    return checked[0] if checked is not None else None


def check_joined(db: Session, plain: str, query: Select[Any], params: dict[str, Any]) -> tuple[Caller, Row[Any]] | None:
    """Check a token as `check` does with `query`: `BY_DIGEST` with more outer-joined columns after its own (what the
    request reads next, in the same statement), bound with `params`; return the caller and the row read."""
    if not plain or not plain.startswith(SCHEME) or len(plain) > 200:
        return None
    wanted = digest(plain)
    # The lookup is by hash, so timing says nothing about the secret; the compare is belt and braces.
    row = db.connection().execute(query, {"digest": wanted, **params}).first()
    if row is None or row.company_id is None:
        return None
    if not hmac.compare_digest(row.token_hash, wanted) or row.revoked_at is not None:
        return None
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        db.connection().execute(_TOUCH, {"token_id": row.token_id, "now": now})
    return Caller(row.token_id, row.company_id, row.slug, row.settings), row


# Built once: one query on the unique token_hash index for the token and its company, at every API request.
BY_DIGEST = (
    select(
        ApiToken.id.label("token_id"),
        ApiToken.token_hash,
        ApiToken.revoked_at,
        ApiToken.last_used_at,
        Company.id.label("company_id"),
        Company.slug,
        Company.settings,
    )
    .outerjoin(Company, Company.id == ApiToken.company_id)
    .where(ApiToken.token_hash == bindparam("digest"))
)
_TOUCH = update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(last_used_at=bindparam("now"))


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
