"""The floor: qbwc-kit's protocol-only Web Connector service, adding customers held in memory, as a WSGI app.

qbwc-kit is a test dependency, used here and nowhere else: it is the least a Web Connector service can do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from qbwc_kit import QBWCService, StaticAuthenticator
from qbwc_kit.qbxml import OnError, QBXMLRequest, Request, elements

WsgiApp = Callable[..., Iterable[bytes]]


class AddCustomers:
    """One task: add the customers still pending, a batch per round trip, and keep each ListID QuickBooks gives."""

    name = "customers"

    def __init__(self, pending: list[tuple[str, dict[str, Any]]], added: dict[str, str], batch_size: int) -> None:
        self.pending = pending
        self.added = added
        self.batch_size = batch_size

    def run(self, ctx: Any) -> Any:
        """Yield batches of CustomerAddRq until none is pending; file each answer's ListID."""
        while self.pending:
            batch = self.pending[: self.batch_size]
            request = QBXMLRequest(on_error=OnError.CONTINUE)
            for key, data in batch:
                request.add(Request("CustomerAddRq", _customer_add(data), request_id=key))
            answers = yield request
            for key, _data in batch:
                answer = answers.by_request_id(key)
                if answer is not None and answer.ok:
                    record = next(iter(answer), {})
                    self.added[key] = str(record.get("ListID", ""))
            done = {key for key, _ in batch}
            self.pending[:] = [(key, data) for key, data in self.pending if key not in done]


def _customer_add(data: dict[str, Any]) -> str:
    address = data["billing_address"]
    name = f"{data['last_name']}, {data['first_name']}"
    bill = elements(
        [
            ("Addr1", address["line1"]),
            ("City", address["city"]),
            ("State", address["state"]),
            ("PostalCode", address["postal_code"]),
        ]
    )
    fields = elements([("Name", name), ("FirstName", data["first_name"]), ("LastName", data["last_name"])])
    contact = elements([("Phone", data["phone"]), ("Email", data["email"])])
    return f"<CustomerAdd>{fields}<BillAddress>{bill}</BillAddress>{contact}</CustomerAdd>"


class _Tasks(StaticAuthenticator):
    """A user whose task list is empty once every customer is added, so the last session is told "none"."""

    def __init__(self, user: str, password: str, task: AddCustomers) -> None:
        super().__init__(user, password, [task])
        self.task = task

    def tasks_for(self, username: str) -> list[Any]:
        return [self.task] if self.task.pending else []


def floor_app(
    user: str, password: str, customers: list[dict[str, Any]], batch_size: int
) -> tuple[WsgiApp, dict[str, str]]:
    """Return the WSGI app and the dict that fills with each added customer's ListID."""
    added: dict[str, str] = {}
    task = AddCustomers([(f"c{n}", data) for n, data in enumerate(customers)], added, batch_size)
    service = QBWCService(_Tasks(user, password, task))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain")])
            return [b"POST SOAP here"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        content = service.dispatch(body).encode("utf-8")
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(content)))])
        return [content]

    return app, added
