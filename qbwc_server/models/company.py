"""A QuickBooks company file that one Web Connector user syncs, with its settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qbwc_server import clock
from qbwc_server.models.base import Base, JsonType, UtcDateTime


class Company(Base):
    """One company: its Web Connector credentials, the ids in its .qwc file, and what QuickBooks reported."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    qbwc_username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Brace-wrapped GUIDs generated once: the .qwc must be byte-identical on every download.
    owner_id: Mapped[str] = mapped_column(String(38))
    file_id: Mapped[str] = mapped_column(String(38))
    company_file: Mapped[str] = mapped_column(String(500), default="")
    run_every_minutes: Mapped[int] = mapped_column(Integer, default=15)
    qbxml_version_cap: Mapped[str] = mapped_column(String(10), default="13.0")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)

    # What QuickBooks told us about itself on the latest first sendRequestXML.
    qb_product: Mapped[str | None] = mapped_column(String(200))
    qb_version: Mapped[str | None] = mapped_column(String(20))
    qb_supported_versions: Mapped[list[str] | None] = mapped_column(JsonType)
    qb_country: Mapped[str | None] = mapped_column(String(10))
    qb_company_name: Mapped[str | None] = mapped_column(String(200))
    qb_file_id_seen: Mapped[str | None] = mapped_column(String(100))
    wrong_file_message: Mapped[str | None] = mapped_column(Text)
    last_checkin_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now, onupdate=clock.now)

    def setting(self, key: str) -> Any:
        """Return one sync setting, falling back to its default."""
        from qbwc_server.company_settings import DEFAULTS

        return (self.settings or {}).get(key, DEFAULTS.get(key))


class CompanyRef(Protocol):
    """What storing and queueing a record read of its company: a loaded `Company`, or an API request's `Caller`."""

    @property
    def id(self) -> int: ...

    @property
    def slug(self) -> str: ...

    @property
    def settings(self) -> dict[str, Any]: ...
