"""The sync engine's face to the Web Connector conversation: what to send next, and what to do with answers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from qbwc_server.models import Company, WcSession


class SyncEngine:
    """Decide the work of one Web Connector session; `protocol` calls it, it knows nothing of SOAP."""

    def has_work(self, db: Session, company: Company) -> bool:
        """Tell whether the company has anything for QuickBooks now (authenticate answers `none` otherwise)."""
        return False

    def begin_session(self, db: Session, company: Company, wc_session: WcSession) -> None:
        """Recover work that earlier sessions left in flight, before this session sends anything."""

    def next_request(self, db: Session, company: Company, wc_session: WcSession) -> str | None:
        """Return the next qbXML message set to send, or None when there is nothing."""
        return None

    def handle_response(
        self, db: Session, company: Company, wc_session: WcSession, response: str, hresult: str, message: str
    ) -> int:
        """Record QuickBooks' answer to the last message set; return progress 0-100 (100: nothing left)."""
        return 100

    def end_session(self, db: Session, wc_session: WcSession, reason: str) -> None:
        """Note that a session ended; its unanswered requests stay recoverable."""
