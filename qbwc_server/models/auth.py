"""Who may use the server: page logins, API tokens, and the throttle on failed Web Connector logins."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qbwc_server import clock
from qbwc_server.models.base import Base, UtcDateTime, enum_column
from qbwc_server.models.company import Company


class Role(enum.Enum):
    """A page user's role: admins manage settings, users, tokens and companies; bookkeepers everything else."""

    ADMIN = "admin"
    BOOKKEEPER = "bookkeeper"


user_companies = Table(
    "user_companies",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    """A login for the bookkeeper's page."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Admins see every company; a bookkeeper sees the companies listed here.
    companies: Mapped[list[Company]] = relationship(secondary=user_companies, lazy="selectin")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Part of every session cookie; raised on sign-out so a copied cookie stops working.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiToken(Base):
    """A REST API token; only its SHA-256 is stored, and it sees only its own company."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ThrottleScope(enum.Enum):
    """What a failed-login counter counts: one door (Web Connector or page), by name and address or address only."""

    WC_LOGIN = "wc-login"
    WC_ADDRESS = "wc-address"
    PAGE_LOGIN = "page-login"
    PAGE_ADDRESS = "page-address"


class LoginThrottle(Base):
    """Consecutive failed logins at one door from one address (for one name, or for any name), and the lock."""

    __tablename__ = "login_throttle"

    scope: Mapped[ThrottleScope] = mapped_column(enum_column(ThrottleScope), primary_key=True)
    # Empty for the address-wide counters.
    name: Mapped[str] = mapped_column(String(254), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
