"""The import page step on its own: the query it renders for a run's page, and what each answer does to the run."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qbwc_server.imports import ImportPageStep, runs
from qbwc_server.imports.step import MAX_FAILURES
from qbwc_server.models import ImportStatus, ImportWatermark, QueueAction, QueueStatus, Record, RecordKind
from qbwc_server.qbxml.answers import Answers
from qbwc_server.runtime import Runtime
from qbwc_server.sync.steps import STEPS, Answering, Drafting, Result
from tests.factories import make_company

CUSTOMER = (
    "<CustomerRet><ListID>{id}</ListID><TimeModified>2026-05-01T10:00:0{n}-05:00</TimeModified>"
    "<EditSequence>1</EditSequence><Name>Customer {n}</Name><FullName>Customer {n}</FullName>"
    "<IsActive>true</IsActive><Sublevel>0</Sublevel></CustomerRet>"
)


def page(request_id: str, code: int = 0, remaining: int | None = None, *rets: str, message: str = "") -> Answers:
    """Return QuickBooks' answer to one page query, as the engine hands it to the step."""
    iterator = f' iteratorRemainingCount="{remaining}" iteratorID="{{it-1}}"' if remaining is not None else ""
    body = "".join(rets)
    return Answers(
        f'<?xml version="1.0"?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="{request_id}" statusCode="{code}" '
        f'statusSeverity="{"Info" if code < 1000 else "Error"}" statusMessage="{message}"{iterator}>{body}'
        "</CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    )


def customers(*numbers: int) -> tuple[str, ...]:
    return tuple(CUSTOMER.format(id=f"8000000{n}-1", n=n) for n in numbers)


@pytest.fixture
def world(runtime):
    """A company with a customer import queued; yields (db, company, run, item)."""
    with runtime.transaction() as db:
        company = make_company(db, import_max_returned=2)
        (run,) = runs.start(db, company, ["customers"])
        item = runs.page_item(db, run)
        yield db, company, run, item


def rendered(world, ticket: str = "t-1"):  # type: ignore[no-untyped-def]
    """Render the item's next page in session `ticket`; return the request ID it carries."""
    db, company, run, item = world
    out = ImportPageStep().render(Drafting(db, company, ticket), item, None)
    assert out is not None and out.record is None
    return out


def answered(world, answers: Answers, ticket: str = "t-1"):  # type: ignore[no-untyped-def]
    db, company, run, item = world
    answer = answers.get(run.cursor.pending)
    assert answer is not None
    return ImportPageStep().handle(Answering(db, company, ticket), item, None, answer)


def test_a_run_is_queued_as_one_import_item_ahead_of_the_records(world):
    db, company, run, item = world
    assert item.action is QueueAction.IMPORT and item.status is QueueStatus.READY and item.record_id is None
    assert item.priority < 10  # before customers, the first records to go


def test_every_queue_action_has_a_step_in_the_engine_the_server_runs(runtime: Runtime):
    steps = runtime.sync_engine().steps
    assert set(steps) == set(QueueAction)
    assert all(step.action is action for action, step in steps.items())
    assert steps[QueueAction.SEND] is STEPS[QueueAction.SEND]


def test_render_starts_an_iterator_of_import_max_returned_and_marks_the_run_running(world):
    db, company, run, item = world
    out = rendered(world)
    assert out.group == f"imp-{run.id}-1"  # the answer is found by the run's request ID
    assert 'iterator="Start"' in out.built.xml and "<MaxReturned>2</MaxReturned>" in out.built.xml
    assert run.status is ImportStatus.RUNNING and run.cursor.pending == out.group


def test_a_page_with_more_to_come_stores_its_objects_and_goes_again_to_continue(world):
    db, company, run, item = world
    out = rendered(world)
    change = answered(world, page(out.group, 0, 3, *customers(1, 2)))

    assert change.result is Result.AGAIN and change.imported == 2
    assert (run.iterator_id, run.remaining, run.seen) == ("{it-1}", 3, 2)
    names = db.scalars(select(Record.qb_full_name).where(Record.kind == RecordKind.CUSTOMER)).all()
    assert sorted(names) == ["Customer 1", "Customer 2"]
    following = rendered(world)
    assert 'iterator="Continue"' in following.built.xml and 'iteratorID="{it-1}"' in following.built.xml


def test_the_last_page_finishes_the_run_and_moves_the_watermark(world):
    db, company, run, item = world
    out = rendered(world)
    change = answered(world, page(out.group, 0, 0, *customers(1)))

    assert change.result is Result.DONE and change.imported == 1
    assert run.status is ImportStatus.DONE and runs.percent(run) == 100
    assert db.get(ImportWatermark, (company.id, "customers")) is not None


def test_an_error_status_goes_again_then_fails_the_run_with_quickbooks_words(world):
    db, company, run, item = world
    results = []
    for _ in range(MAX_FAILURES):
        out = rendered(world)
        results.append(answered(world, page(out.group, 3170, None, message="busy")))

    assert [change.result for change in results] == [Result.AGAIN] * (MAX_FAILURES - 1) + [Result.FAILED]
    assert results[-1].item_error == run.error == "QuickBooks answered 3170: busy"
    assert run.status is ImportStatus.FAILED


def test_an_expired_iterator_starts_a_new_one_where_the_data_stopped(world):
    db, company, run, item = world
    first = rendered(world)
    answered(world, page(first.group, 0, 3, *customers(1, 2)))
    continued = rendered(world)
    change = answered(world, page(continued.group, 1, 0, message="The iterator is not valid"))

    assert change.result is Result.AGAIN and run.iterator_id is None and run.status is ImportStatus.RUNNING
    restarted = rendered(world)
    assert 'iterator="Start"' in restarted.built.xml
    assert "<FromModifiedDate>2026-05-01T10:00:02" in restarted.built.xml  # from the newest object filed


def test_an_iterator_of_another_session_is_not_continued(world):
    db, company, run, item = world
    first = rendered(world, "old")
    answered(world, page(first.group, 0, 3, *customers(1, 2)), "old")

    assert 'iterator="Start"' in rendered(world, "new").built.xml


def test_a_refused_message_set_fails_the_run_at_once(world):
    db, company, run, item = world
    rendered(world)
    change = ImportPageStep().refused(Answering(db, company, "t-1"), item, None, "0x80040400", "parse error")

    assert change.result is Result.FAILED and run.status is ImportStatus.FAILED
    assert run.error == "QuickBooks could not run the import query (0x80040400): parse error"


def test_a_cancelled_run_takes_its_item_off_the_queue(world):
    db, company, run, item = world
    runs.cancel(db, company)
    assert item.status is QueueStatus.CANCELLED and runs.page_item(db, run) is None
