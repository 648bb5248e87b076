"""The objects a running server shares: settings, the engine and the session factory, built once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from lxml import etree
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from qbwc_server.config import Settings
from qbwc_server.db import make_engine, make_session_factory, transaction
from qbwc_server.imports import ImportPageStep
from qbwc_server.imports.current import take_current
from qbwc_server.imports.schedule import ScheduledImports
from qbwc_server.models import Record
from qbwc_server.sync.engine import SyncEngine
from qbwc_server.sync.steps import STEPS, Answering
from qbwc_server.sync.steps.refresh import RefreshStep


@dataclass
class Runtime:
    """Settings plus the database handles; pass it down instead of reaching for globals."""

    settings: Settings
    engine: Engine = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.settings.database_url)
        self.sessions = make_session_factory(self.engine)

    @classmethod
    def from_env(cls, **overrides: object) -> Runtime:
        """Build the runtime from QBWC_* environment variables."""
        return cls(Settings.from_env(None, **overrides))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Run a block in one database transaction."""
        with transaction(self.sessions) as session:
            yield session

    def sync_engine(self) -> SyncEngine:
        """Build the sync engine with every step (the sync core's record steps, and the import page) and the
        scheduled imports a session runs after the queue."""
        # The import page is registered here, not in `sync.steps`: imports build on the sync core, not the reverse.
        return SyncEngine(
            self.settings,
            steps={
                **STEPS,
                RefreshStep.action: RefreshStep(on_current=_take_current),
                ImportPageStep.action: ImportPageStep(),
            },
            hooks=[ScheduledImports()],
        )

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def _take_current(ctx: Answering, record: Record, ret: etree._Element) -> None:
    """Take QuickBooks' current copy of a record into ours before a Mod goes again (see `RefreshStep`)."""
    take_current(ctx.db, ctx.company, record, ret, ctx.ticket)
