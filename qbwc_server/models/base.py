"""The declarative base and the column types every table shares."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any, Protocol, TypeVar

from sqlalchemy import JSON, DateTime, Enum, MetaData, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

from qbwc_server import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")


class JsonValue(Protocol):
    """A typed value stored as a JSON object: it says how to write itself and how to read itself back."""

    def to_json(self) -> dict[str, Any]: ...


V = TypeVar("V", bound=JsonValue)


class JsonOf(TypeDecorator[V]):
    """A JSON column that hands back a typed value (a dataclass with `to_json` and a `from_json` class method)."""

    impl = JsonType
    cache_ok = True

    def __init__(self, value_class: type[V]) -> None:
        super().__init__()
        self.value_class = value_class

    def process_bind_param(self, value: V | None, dialect: Any) -> dict[str, Any] | None:
        return value.to_json() if value is not None else None

    def process_result_value(self, value: dict[str, Any] | None, dialect: Any) -> V | None:
        return self.value_class.from_json(value) if value is not None else None  # type: ignore[attr-defined]

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return JsonType


class UtcDateTime(TypeDecorator):
    """A timestamp stored with its zone and always handed back as aware UTC (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        # Store UTC: SQLite keeps the wall time and drops the offset, so anything else would read back wrong.
        value = clock.aware(value)
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return clock.aware(value)


class HashedByIdentity(enum.Enum):
    """An enum whose members are hashed by identity (in C) rather than by name (in Python).

    Members are singletons, equal only to themselves, so the two agree. For the enums that key an import's lookups
    and every row's enum columns, tens of times per imported record.
    """

    __hash__ = object.__hash__


def enum_column(enum_class: type[enum.Enum]) -> Enum:
    """Store an enum by its value as plain text, so adding a member needs no database type change."""
    return Enum(
        enum_class,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Base class of every table."""

    metadata = MetaData(naming_convention=NAMING)
