"""A Web Connector session's fixed cost, in SQL statements per SOAP call: pinned so it cannot creep back.

Every company's Web Connector checks in every few minutes, most times with nothing to do, and every session pays
these statements whatever it syncs. The figures are counted over real HTTP, with the simulator as the Web Connector
and QuickBooks; SQLite's explicit BEGIN is left out so the same figures hold on PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from qbwc_server import passwords, tokens
from qbwc_server.companies import create_company
from qbwc_server.models import Company, SessionState, WcSession
from qbwc_server.runtime import Runtime
from qbwc_server.simulator import FakeCompany, FakeWebConnector
from qbwc_server.wsgi import make_wsgi_app
from tests.live import LiveServer

# What a session may cost at most, per SOAP call (statements, BEGIN left out). Before they were cut: a no-work
# check-in took 17 (authenticate 15, closeConnection 2), a one-customer session 59 (authenticate 16,
# sendRequestXML 16, receiveResponseXML 17, closeConnection 10).
# PostgreSQL's authenticate asks again whether the company has an open session after the company row's lock, in the
# statement that asks whether there is work: the same count as SQLite's.
# sendRequestXML's claim is one statement built once (the compare-and-set, writing each item's sent information).
# The engine's part of sendRequestXML and receiveResponseXML runs without a savepoint (a failure rolls the call back
# and writes the session row again): two fewer each. So do the scheduled imports' closing notes in closeConnection:
# two fewer. Whether the company has a webhook endpoint is read
# with the company (the login, the session's read): a company without one is not asked for its endpoints again in
# authenticate, receiveResponseXML and closeConnection, one fewer each.
NO_WORK = {"authenticate": 5, "closeConnection": 1}
ONE_CUSTOMER = {"authenticate": 5, "sendRequestXML": 10, "receiveResponseXML": 8, "closeConnection": 3}


class CountingApp:
    """The server's WSGI app, noting the SQL statements each SOAP call runs (by its SOAPAction)."""

    def __init__(self, runtime: Runtime) -> None:
        self.app = make_wsgi_app(runtime)
        self.current = threading.local()
        self.statements: dict[str, list[str]] = defaultdict(list)
        event.listen(runtime.engine, "before_cursor_execute", self._note)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.current.action = environ.get("HTTP_SOAPACTION", "").strip('"').rsplit("/", 1)[-1] or "other"
        try:
            return list(self.app(environ, start_response))
        finally:
            self.current.action = None

    def _note(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        action = getattr(self.current, "action", None)
        if action and not statement.lstrip().upper().startswith("BEGIN"):
            self.statements[action].append(statement.split("\n", 1)[0])

    @contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        """Count the statements of each SOAP call made inside the block."""
        self.statements.clear()
        counts: Counter[str] = Counter()
        yield counts
        counts.update({action: len(found) for action, found in self.statements.items()})

    def explain(self, limits: dict[str, int], counts: Counter[str]) -> str:
        over = [action for action, most in limits.items() if counts[action] > most]
        return "\n".join(
            f"{action}: {counts[action]} > {limits[action]}\n  " + "\n  ".join(self.statements[action])
            for action in over
        )


def test_a_check_in_with_nothing_to_do_and_a_one_customer_session_cost_few_statements(runtime):
    password = passwords.generate_password()  # the default of `company add`: checked as a digest
    with runtime.transaction() as db:
        company = create_company(db, "acme", "Acme", "acme-qbwc", password, generated=True)
        owner_id, file_id = company.owner_id, company.file_id
        _, token = tokens.create(db, company, name="tests")
    app = CountingApp(runtime)
    server = LiveServer(app, settings=runtime.settings)
    qb = FakeCompany.demo()
    try:

        def session() -> str:
            connector = FakeWebConnector(
                server.url + "/qbwc", "acme-qbwc", password, qb, owner_id=owner_id, file_id=file_id
            )
            return connector.run_session().outcome

        with app.counting() as counts:
            assert session() == "no_work"
        assert set(counts) <= {"serverVersion", "clientVersion", "authenticate", "closeConnection"}
        assert all(counts[action] <= most for action, most in NO_WORK.items()), app.explain(NO_WORK, counts)

        request = urllib.request.Request(
            server.url + "/api/v1/customers/c-1", data=json.dumps({"name": "Ada Lovelace"}).encode(), method="PUT"
        )
        request.add_header("Authorization", f"Bearer {token}")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status in (200, 201)
        with app.counting() as counts:
            assert session() == "completed"
        assert all(counts[action] <= most for action, most in ONE_CUSTOMER.items()), app.explain(ONE_CUSTOMER, counts)
        assert [c["FullName"] for c in qb.state.lists["Customer"].values()].count("Ada Lovelace") == 1

        # What the page shows of the two sessions is what it showed before the statements were cut.
        with runtime.transaction() as db:
            acme = db.scalar(select(Company).where(Company.slug == "acme"))
            rows = list(db.scalars(select(WcSession).where(WcSession.company_id == acme.id).order_by(WcSession.id)))
            assert acme.last_checkin_at is not None
            assert [(r.state, r.summary) for r in rows] == [
                (SessionState.CLOSED, "Nothing to sync"),
                (SessionState.CLOSED, "Synced 1"),
            ]
            worked = rows[1]
            assert (worked.round_trips, worked.requests_sent, worked.succeeded, worked.failed) == (1, 1, 1, 0)
            assert worked.qbxml_version and worked.closed_at is not None and worked.last_seen_at is not None
            assert worked.last_error is None
    finally:
        server.stop()
