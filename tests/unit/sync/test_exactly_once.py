"""Exactly once when answers get lost: no needless Mod, no blind Mod with a stale EditSequence, no give-up."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from qbwc_server.models import QueueItem, RecordKind, SyncState
from qbwc_server.simulator import FakeCompany
from tests.factories import make_company
from tests.unit.sync.sessions import Sessions

ANN = {"first_name": "Ann", "last_name": "Lee"}


@pytest.fixture
def sessions(runtime):
    """A company with auto sync on, and a simulated QuickBooks that counts what it was asked."""

    def make(**settings) -> Sessions:
        with runtime.transaction() as db:
            company_id = make_company(db, **settings).id
        return Sessions(runtime, company_id, FakeCompany.empty())

    return make


def _customers(qb: FakeCompany) -> list[dict]:
    return [c for c in qb.state.lists["Customer"].values() if c["Name"] == "Lee, Ann"]


def test_a_found_add_of_ours_is_synced_even_when_the_lookups_answers_were_lost(sessions):
    s = sessions()
    s.put(RecordKind.CUSTOMER, "c1", ANN)
    # Given QuickBooks applied our Add but the answer never came back
    first = s.open()
    s.run(s.send(first))
    # And the lookup that checks it lost its answer too, twice (a restart, then an abandoned session)
    for _ in range(2):
        ticket = s.open()
        lookup = s.send(ticket)
        assert "CustomerQueryRq" in lookup
        s.run(lookup)
    # When a third lookup's answer arrives
    ticket = s.open()
    request = s.send(ticket)
    assert "CustomerQueryRq" in request
    s.answer(ticket, s.run(request))
    # Then the record is synced as the Add left it: no Mod is sent, nothing else waits
    record = s.record(RecordKind.CUSTOMER, "c1")
    assert record.sync_state is SyncState.SYNCED
    assert record.synced_version == record.version == 1
    assert s.send(ticket) is None
    customer = _customers(s.qb)
    assert len(customer) == 1 and customer[0]["EditSequence"] == record.qb_edit_sequence


def test_a_mod_whose_answer_was_lost_is_checked_before_it_is_sent_again(sessions):
    s = sessions()
    s.put(RecordKind.CUSTOMER, "c1", ANN)
    s.sync()
    s.put(RecordKind.CUSTOMER, "c1", {**ANN, "email": "ann@example.com"})
    # Given QuickBooks applied our Mod, but its answer was lost
    ticket = s.open()
    mod = s.send(ticket)
    assert "CustomerModRq" in mod
    s.run(mod)
    # When the next session starts
    ticket = s.open()
    request = s.send(ticket)
    # Then it first reads QuickBooks' current EditSequence instead of re-sending the Mod blind
    assert "CustomerQueryRq" in request and "CustomerModRq" not in request
    s.answer(ticket, s.run(request))
    # And, QuickBooks having moved on from the EditSequence our Mod carried, it needs no second Mod
    assert s.send(ticket) is None
    record = s.record(RecordKind.CUSTOMER, "c1")
    assert (record.sync_state, record.synced_version) == (SyncState.SYNCED, 2)
    assert _customers(s.qb)[0]["EditSequence"] == record.qb_edit_sequence
    assert not [e for e in _log(s, record) if e.status_code == 3200]


def test_a_mod_lost_before_quickbooks_ran_it_is_sent_again_with_the_current_edit_sequence(sessions):
    s = sessions()
    s.put(RecordKind.CUSTOMER, "c1", ANN)
    s.sync()
    s.put(RecordKind.CUSTOMER, "c1", {**ANN, "email": "ann@example.com"})
    # Given the Mod never reached QuickBooks
    s.send(s.open())
    # When the next session runs
    ticket = s.open()
    assert "CustomerQueryRq" in s.round_trip(ticket)
    assert "CustomerModRq" in s.round_trip(ticket)
    # Then the change is in QuickBooks once, without a 3200
    record = s.record(RecordKind.CUSTOMER, "c1")
    assert (record.sync_state, record.synced_version) == (SyncState.SYNCED, 2)
    assert _customers(s.qb)[0].get("Email") == "ann@example.com"
    assert not [e for e in _log(s, record) if e.status_code == 3200]


class BusyOnce(FakeCompany):
    """A company file another user is editing: the first CustomerAdd it runs answers 3180."""

    busy = 1

    def process(self, request_xml: str) -> str:
        match = re.search(r'<CustomerAddRq requestID="([^"]+)"', request_xml)
        if self.busy and match:
            self.busy -= 1
            return (
                '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
                f'<CustomerAddRs requestID="{match.group(1)}" statusCode="3180" statusSeverity="Error" '
                'statusMessage="There was an error when saving a Customer list. This list has been modified by '
                'another user."/></QBXMLMsgsRs></QBXML>'
            )
        return super().process(request_xml)


def test_lost_answers_never_count_against_max_attempts(runtime):
    with runtime.transaction() as db:
        company_id = make_company(db, max_attempts=2).id
    s = Sessions(runtime, company_id, BusyOnce.empty())
    s.put(RecordKind.CUSTOMER, "c1", ANN)
    # Given three sessions in a row whose answers were all lost (nothing reached QuickBooks)
    for _ in range(3):
        s.send(s.open())
    with runtime.transaction() as db:
        assert db.scalar(select(QueueItem)).attempts == 0
    # When QuickBooks then refuses it once because another user is editing
    ticket = s.open()
    assert "CustomerQueryRq" in s.round_trip(ticket)
    assert "CustomerAddRq" in s.round_trip(ticket)
    # Then it waits to be retried: one refusal of the two max_attempts allows, the lost answers counting for none
    record = s.record(RecordKind.CUSTOMER, "c1")
    assert record.sync_state is SyncState.QUEUED
    with runtime.transaction() as db:
        item = db.scalar(select(QueueItem))
        assert (item.attempts, item.status.value) == (1, "ready")
        item.not_before = None  # the back-off has passed
    s.sync()
    assert s.record(RecordKind.CUSTOMER, "c1").sync_state is SyncState.SYNCED
    assert len(_customers(s.qb)) == 1


def _log(s: Sessions, record):
    from qbwc_server.models import SyncLogEntry

    with s.runtime.transaction() as db:
        return list(db.scalars(select(SyncLogEntry).where(SyncLogEntry.record_id == record.id)))
