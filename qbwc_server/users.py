"""Page logins (users), without Flask: the CLI, the admin page and the demo all use these."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbwc_server import passwords
from qbwc_server.errors import AlreadyExists, InvalidInput, NotFound
from qbwc_server.models import Company, Role, User

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8


def create_user(db: Session, email: str, role: Role | str, password: str, company_slugs: Iterable[str] = ()) -> User:
    """Add a page login; bookkeepers see only the companies given, admins see all."""
    email = normalise_email(email)
    errors: dict[str, str] = {}
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        errors["email"] = "must be an email address such as anna@example.com"
    try:
        role = Role(role) if not isinstance(role, Role) else role
    except ValueError:
        errors["role"] = "must be admin or bookkeeper"
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"must be at least {MIN_PASSWORD_LENGTH} characters"
    companies: list[Company] = []
    for slug in company_slugs:
        company = db.scalar(select(Company).where(Company.slug == slug))
        if company is None:
            errors["company"] = f"there is no company '{slug}'"
        else:
            companies.append(company)
    if errors:
        raise InvalidInput(errors)
    if db.scalar(select(User).where(func.lower(User.email) == email)) is not None:
        raise AlreadyExists(f"a user with the email {email} already exists")
    user = User(email=email, role=role, password_hash=passwords.hash_password(password), active=True)
    user.companies = companies
    db.add(user)
    db.flush()
    log.info("page user %s added with role %s", email, user.role.value)
    return user


def list_users(db: Session) -> list[User]:
    """Return every page login, by email."""
    return list(db.scalars(select(User).order_by(User.email)).all())


def find_user(db: Session, email: str) -> User:
    """Return the user with this email or raise NotFound."""
    user = db.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))
    if user is None:
        raise NotFound(f"there is no user {email}")
    return user


def normalise_email(email: str) -> str:
    """Compare emails the way people expect: without surrounding spaces, ignoring case."""
    return email.strip().lower()
