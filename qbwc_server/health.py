"""The health check a load balancer or process manager asks: is the database reachable, is its schema current."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from qbwc_server import db as database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Health:
    """The answer: healthy or not, and in words why not (never a host name, a user or a revision)."""

    healthy: bool
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Return the JSON body of /healthz."""
        if self.healthy:
            return {"status": "ok", "database": "reachable", "schema": "current"}
        return {"status": "unavailable", "reason": self.reason}


@lru_cache(maxsize=1)
def newest_revisions() -> frozenset[str]:
    """Return the head revisions of the migrations shipped with this version of the server."""
    return frozenset(ScriptDirectory.from_config(database.alembic_config("sqlite://")).get_heads())


def check(engine: Engine) -> Health:
    """Connect to the database and compare its schema revision with the newest shipped migration."""
    try:
        with engine.connect() as connection:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        # The driver's message names hosts and users: it goes to the log, not to the caller.
        log.warning("health check: the database cannot be reached: %s", exc.__class__.__name__)
        return Health(False, "the database cannot be reached")
    if not current:
        return Health(False, "the database has no tables yet: run `qbwc-server db upgrade`")
    if current != newest_revisions():
        return Health(False, "the database schema is not at the newest migration: run `qbwc-server db upgrade`")
    return Health(True)
