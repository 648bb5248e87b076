"""Work a Web Connector session takes on once the queue's record work is done (a package built on the sync core
registers it where the runtime builds the engine, as it registers its steps).

The engine asks `due` whether a session should open for it, lets `start` queue it when nothing of the queue can go
any more (so it never stalls outgoing records), and adds `closing_notes` to the session's closing summary.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from qbwc_server.models import Company, WcSession


class SessionHook(Protocol):
    """Work that is due on a schedule rather than queued by someone."""

    def due(self, db: Session, company: Company) -> bool:
        """Tell whether the work is due now; reads only."""
        ...

    def start(self, db: Session, company: Company, wc_session: WcSession) -> bool:
        """Queue the due work for this session; return True when anything was queued."""
        ...

    def closing_notes(self, db: Session, company: Company, wc_session: WcSession) -> list[str]:
        """Return what the session did of this work, for its closing summary."""
        ...
