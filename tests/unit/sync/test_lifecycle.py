"""The lifecycle table: every move a record or a queue item may make is written down, and no other move happens."""

from __future__ import annotations

import pytest

from qbwc_server.models import Note, NoteKind, QueueStatus, RecordKind, SyncState
from qbwc_server.sync import lifecycle, queue
from qbwc_server.sync.lifecycle import RECORD_MOVES, Event, IllegalMove, ItemEvent
from tests.factories import claim, make_company, make_record


def test_each_event_leads_to_one_state_from_the_states_it_may_start_in():
    for (start, event), end in RECORD_MOVES.items():
        assert lifecycle.next_state(start, event) is end
    assert lifecycle.next_state(SyncState.SENT, Event.CONFIRM) is SyncState.SYNCED
    assert lifecycle.next_state(SyncState.QUEUED, Event.BLOCK) is SyncState.BLOCKED


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (SyncState.SYNCED, Event.SEND),  # only a queued record is sent
        (SyncState.PENDING, Event.FAIL),  # nothing was tried
        (SyncState.SENT, Event.QUEUE),  # QuickBooks is running it: its answer decides
        (SyncState.SENT, Event.EXCLUDE),
        (SyncState.ERROR, Event.WAIT),
    ],
)
def test_a_move_that_is_not_in_the_table_raises(state, event):
    assert (state, event) not in RECORD_MOVES
    with pytest.raises(IllegalMove):
        lifecycle.next_state(state, event)


def test_a_queue_item_that_is_done_cannot_go_again(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        record = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Lee")
        item = queue.enqueue(db, company, record)
        with pytest.raises(IllegalMove):
            lifecycle.move_item(item, ItemEvent.DONE)  # it was never sent
        assert claim(db, record, "ticket-1")
        lifecycle.move_item(item, ItemEvent.DONE)
        assert item.status is QueueStatus.DONE
        with pytest.raises(IllegalMove):
            lifecycle.move_item(item, ItemEvent.AGAIN)


def test_move_sets_the_state_and_the_note_together(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        record = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Lee")
        waiting = Note(NoteKind.WAITING, "Waiting for customer 'Lee' to reach QuickBooks.")
        queue.enqueue(db, company, record)
        assert lifecycle.move(db, record, Event.WAIT, waiting) is SyncState.QUEUED
        assert record.last_error == waiting
        lifecycle.move(db, record, Event.CONFIRM)
        assert (record.sync_state, record.last_error) == (SyncState.SYNCED, None)
        with pytest.raises(IllegalMove):
            lifecycle.move(db, record, Event.SEND)
        assert record.sync_state is SyncState.SYNCED
