"""The error policy over HTTP: a refused message set is split until the bad request is alone, and QuickBooks being
busy in multi-user mode is retried later rather than reported as a failure."""

from __future__ import annotations

import re

from qbwc_server.simulator import FakeCompany, QuickBooksParseError


def _customer(n: int) -> dict:
    return {"first_name": f"Ann{n}", "last_name": f"Smith{n}"}


class ChokesOnOneRecord(FakeCompany):
    """A QuickBooks that cannot parse the request of one customer: it refuses every message set holding it."""

    def process_detailed(self, request_xml: str):  # type: ignore[no-untyped-def]
        if "Smith3" in request_xml:
            raise QuickBooksParseError(detail="QuickBooks cannot read the request for Smith3")
        return super().process_detailed(request_xml)


def test_one_request_quickbooks_cannot_parse_never_blocks_the_rest(harness):
    # Given a QuickBooks that refuses any message set holding one record's request (0x80040400)
    h = harness(qb=ChokesOnOneRecord.demo())
    for n in range(8):
        h.put("customers", f"c{n}", _customer(n))
    # When the Web Connector runs
    h.sync()
    # Then the set is split until the bad request is alone: it alone is in error, the other seven are synced
    states = {f"c{n}": h.get("customers", f"c{n}")["sync"]["state"] for n in range(8)}
    assert states.pop("c3") == "error"
    assert set(states.values()) == {"synced"}
    error = h.get("customers", "c3")["sync"]["last_error"]
    assert "0x80040400" in error["message"]
    assert error["who_must_act"] == "app" and error["retryable"] is False
    assert len([c for c in h.qb.state.lists["Customer"].values() if ", Ann" in c["Name"]]) == 7


class BusyQuickBooks(FakeCompany):
    """A company file another user is editing: the first CustomerAdd answers 3180, as multi-user QuickBooks does."""

    busy = 1

    def process_detailed(self, request_xml: str):  # type: ignore[no-untyped-def]
        if self.busy and "<CustomerAddRq" in request_xml:
            self.busy -= 1
            request_id = re.search(r'<CustomerAddRq requestID="([^"]+)"', request_xml).group(1)
            result = super().process_detailed(
                '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
                "<HostQueryRq/></QBXMLMsgsRq></QBXML>"
            )
            result.response = (
                '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
                f'<CustomerAddRs requestID="{request_id}" statusCode="3180" statusSeverity="Error" statusMessage="'
                "There was an error when saving a Customer list, element &quot;Smith0, Ann0&quot;. QuickBooks error "
                'message: This list has been modified by another user."/></QBXMLMsgsRs></QBXML>'
            )
            return result
        return super().process_detailed(request_xml)


def test_a_busy_quickbooks_is_retried_later_not_failed(harness, runtime):
    qb = BusyQuickBooks.demo()
    h = harness(qb=qb)
    h.put("customers", "c0", _customer(0))
    h.sync()
    record = h.get("customers", "c0")
    # The record waits with a back-off instead of failing, and says why in its log
    assert record["sync"]["state"] == "queued"
    assert any(e["status_code"] == 3180 and e["event"] == "retried" for e in record["sync"]["log"])
    # When the back-off has passed, the next session sends it and it lands once
    with h.runtime.transaction() as db:
        from qbwc_server.models import QueueItem

        for item in db.query(QueueItem).all():
            item.not_before = None
    h.sync()
    assert h.get("customers", "c0")["sync"]["state"] == "synced"
    assert len(h.qb_named("Customer", "Smith0, Ann0")) == 1
