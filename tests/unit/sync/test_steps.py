"""Each step on its own: the request it renders and what each QuickBooks status code in its answer leads to."""

from __future__ import annotations

import pytest
from lxml import etree

from qbwc_server.models import Actor, Origin, QueueAction, RecordKind, SentInfo
from qbwc_server.qbxml.parse import RsItem
from qbwc_server.sync import builders, lifecycle, queue
from qbwc_server.sync.steps import STEPS, Answering, Drafting, Result
from qbwc_server.sync.steps.lookup import LookupStep
from qbwc_server.sync.steps.refresh import RefreshStep
from qbwc_server.sync.steps.send import SendStep
from tests.factories import make_company, make_record

ANN = {"first_name": "Ann", "last_name": "Lee"}
ANN_RET = (
    "<CustomerRet><ListID>80000001-1</ListID><EditSequence>{seq}</EditSequence><Name>Lee, Ann</Name>"
    "<FullName>Lee, Ann</FullName></CustomerRet>"
)


def answer(rs_type: str, code: int, message: str = "", *rets: str, request_id: str = "1") -> RsItem:
    """Return one parsed answer element as QuickBooks would send it."""
    return RsItem(
        request_id, rs_type, code, "Error" if code >= 1000 else "Info", message, [etree.fromstring(r) for r in rets]
    )


@pytest.fixture
def world(runtime):
    """A company with one customer queued; yields a function that hands out (db, company, record, item)."""
    with runtime.transaction() as db:
        company = make_company(db)
        record = make_record(db, company, RecordKind.CUSTOMER, "c1", **ANN)
        item = queue.enqueue(db, company, record)
        yield db, company, record, item


def sent(item, *, add: bool = True, version: int = 1, **more) -> None:
    """Give the item the sent information a claim would have given it."""
    item.sent_info = SentInfo(rq_type="CustomerAddRq" if add else "CustomerModRq", add=add, version=version, **more)


def test_every_action_but_imports_has_one_registered_step():
    assert {action for action in STEPS} == set(QueueAction) - {QueueAction.IMPORT}
    assert all(step.action is action for action, step in STEPS.items())


# --- send -----------------------------------------------------------------------------------------------------


def test_send_renders_an_add_then_a_mod_with_the_edit_sequence(world):
    db, company, record, item = world
    ctx = Drafting(db, company)
    out = SendStep().render(ctx, item, record)
    assert out.is_add and "<CustomerAddRq" in out.built.xml
    assert ctx.predicted[("customer", "c1")].full_name == "Lee, Ann"  # later requests of the set refer to it
    lifecycle.store_identity(record, lifecycle.Identity("80000001-1", "17", "Lee, Ann"), 1)
    out = SendStep().render(Drafting(db, company), item, record)
    assert not out.is_add and out.edit_sequence == "17" and "<EditSequence>17</EditSequence>" in out.built.xml


def test_send_will_not_add_back_a_record_deleted_in_quickbooks(world):
    db, company, record, item = world
    record.origin = Origin.QUICKBOOKS
    with pytest.raises(builders.RecordProblem) as problem:
        SendStep().render(Drafting(db, company), item, record)
    assert problem.value.problem is builders.ProblemKind.QUICKBOOKS


def test_send_success_stores_the_identity_for_the_version_sent(world):
    db, company, record, item = world
    sent(item, version=1)
    change = SendStep().handle(
        Answering(db, company, "t"), item, record, answer("CustomerAddRs", 0, "", ANN_RET.format(seq="17"))
    )
    assert change.result is Result.DONE
    assert (change.identity.id, change.identity.edit_sequence, change.synced_version) == ("80000001-1", "17", 1)
    assert change.log[0].message == "Added to QuickBooks as Lee, Ann."


@pytest.mark.parametrize(
    ("code", "add", "result", "next_action"),
    [
        (3100, True, Result.AGAIN, QueueAction.LOOKUP),  # the name is in use: look it up and link it
        (3100, False, Result.FAILED, None),  # a Mod cannot take another's name: a person renames one
        (3200, False, Result.AGAIN, QueueAction.REFRESH),  # stale EditSequence: read it, then send again
        (3180, True, Result.AGAIN, None),  # another user is editing: the same send, later
        (3120, False, Result.AGAIN, None),  # gone from QuickBooks: deleted there, not added again on its own
        (3210, True, Result.FAILED, None),  # a refused value: a person corrects it
        (3999, True, Result.FAILED, None),  # a code nobody knows: a person looks at it
    ],
)
def test_send_applies_the_policy_of_each_status_code(world, code, add, result, next_action):
    db, company, record, item = world
    sent(item, add=add)
    change = SendStep().handle(Answering(db, company, "t"), item, record, answer("CustomerAddRs", code, "Refused."))
    assert (change.result, change.next_action) == (result, next_action)
    assert change.refusal is not None and change.refusal.status_code == code  # every refusal counts
    if result is Result.FAILED:
        assert change.error.status_code == code and change.error.hint
    if code == 3100 and add:
        assert change.refused_with == 3100
    if code == 3180:
        assert change.delay_seconds == 60
    if code == 3120:
        assert change.deleted_in_quickbooks and not change.forget_identity


def test_send_3140_looks_up_a_missing_prerequisite_of_ours_first(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        customer = make_record(db, company, RecordKind.CUSTOMER, "c1", **ANN)
        lifecycle.store_identity(customer, lifecycle.Identity("80000001-1", "17", "Lee, Ann"), 1)
        invoice = make_record(db, company, RecordKind.INVOICE, "i1", customer="c1", number="1001", status="sent")
        item = queue.enqueue(db, company, invoice)
        item.sent_info = SentInfo(rq_type="InvoiceAddRq", add=True, version=1)
        ours = 'There is an invalid reference to QuickBooks Customer "Lee, Ann" in the Invoice.'
        change = SendStep().handle(Answering(db, company, "t"), item, invoice, answer("InvoiceAddRs", 3140, ours))
        assert (change.result, change.look_up_first) == (Result.AGAIN, customer)
        theirs = 'There is an invalid reference to QuickBooks Account "Sales" in the Invoice.'
        change = SendStep().handle(Answering(db, company, "t"), item, invoice, answer("InvoiceAddRs", 3140, theirs))
        assert change.result is Result.FAILED
        assert change.error.who_must_act is Actor.BOOKKEEPER_IN_SETTINGS


# --- lookup ---------------------------------------------------------------------------------------------------


def test_lookup_renders_a_query_by_name(world):
    db, company, record, item = world
    out = LookupStep().render(Drafting(db, company), item, record)
    assert "<CustomerQueryRq" in out.built.xml and "Lee, Ann" in out.built.xml


def test_first_sync_invoice_lookups_share_one_query(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        customer = make_record(db, company, RecordKind.CUSTOMER, "c1", **ANN)
        lifecycle.store_identity(customer, lifecycle.Identity("80000001-1", "17", "Lee, Ann"), 1)
        ctx = Drafting(db, company)
        step = LookupStep()
        for number in ("1001", "1002"):
            invoice = make_record(db, company, RecordKind.INVOICE, number, customer="c1", number=number, status="sent")
            item = queue.enqueue(db, company, invoice, action=QueueAction.LOOKUP)
            assert step.render(ctx, item, invoice) is None  # kept for the shared query
        shared = step.flush(ctx)
        assert len(shared) == 2 and shared[0].built is shared[1].built and shared[0].group
        assert shared[0].built.xml.count("<InvoiceQueryRq") == 1


def test_lookup_of_our_own_unchanged_add_is_synced(world):
    db, company, record, item = world
    item.unknown_outcome = True
    sent(item, add=False, version=1, add_version=1)
    change = LookupStep().handle(
        Answering(db, company, "t"), item, record, answer("CustomerQueryRs", 0, "", ANN_RET.format(seq="17"))
    )
    assert (change.result, change.synced_version, change.identity.id) == (Result.DONE, 1, "80000001-1")


def test_lookup_of_a_changed_or_unknown_record_links_it_and_keeps_quickbooks_values(world):
    db, company, record, item = world
    sent(item, add=False, version=1)
    change = LookupStep().handle(
        Answering(db, company, "t"), item, record, answer("CustomerQueryRs", 0, "", ANN_RET.format(seq="17"))
    )
    assert (change.result, change.synced_version, change.linked) == (Result.DONE, record.version, True)
    assert change.identity.id == "80000001-1"
    assert "QuickBooks keeps its own values: nothing was sent (link policy keep_quickbooks" in change.log[0].message


def test_lookup_under_update_quickbooks_links_it_then_sends_a_mod(world):
    db, company, record, item = world
    company.settings = {**(company.settings or {}), "link_policy": {"customer": "update_quickbooks"}}
    sent(item, add=False, version=1)
    change = LookupStep().handle(
        Answering(db, company, "t"), item, record, answer("CustomerQueryRs", 0, "", ANN_RET.format(seq="17"))
    )
    assert (change.result, change.next_action, change.synced_version) == (Result.AGAIN, QueueAction.SEND, None)
    assert change.identity.id == "80000001-1"


def test_lookup_that_finds_nothing_sends_the_add(world):
    db, company, record, item = world
    sent(item, add=False)
    change = LookupStep().handle(Answering(db, company, "t"), item, record, answer("CustomerQueryRs", 1, "No match."))
    assert (change.result, change.next_action, change.unknown_outcome) == (Result.AGAIN, QueueAction.SEND, False)


def test_lookup_after_a_3100_that_finds_nothing_of_ours_gives_a_c_suffix(world):
    db, company, record, item = world
    sent(item, add=False, refused_with=3100)
    item.last_error = 'The name "Lee, Ann" of the list element is already in use.'
    change = LookupStep().handle(Answering(db, company, "t"), item, record, answer("CustomerQueryRs", 1, "No match."))
    assert (change.result, change.next_action, change.name_suffix) == (Result.AGAIN, QueueAction.SEND, " (C)")


def test_lookup_after_a_3100_that_finds_nothing_of_ours_asks_a_person_when_duplicate_names_is_error(world):
    db, company, record, item = world
    company.settings = {**(company.settings or {}), "duplicate_names": "error"}
    sent(item, add=False, refused_with=3100)
    item.last_error = 'The name "Lee, Ann" of the list element is already in use.'
    change = LookupStep().handle(Answering(db, company, "t"), item, record, answer("CustomerQueryRs", 1, "No match."))
    assert change.result is Result.FAILED and change.error.status_code == 3100
    assert "already in use" in change.error.message


def test_lookup_refused_by_quickbooks_fails(world):
    db, company, record, item = world
    sent(item, add=False)
    change = LookupStep().handle(Answering(db, company, "t"), item, record, answer("CustomerQueryRs", 3250, "No."))
    assert change.result is Result.FAILED and change.error.status_code == 3250


# --- refresh --------------------------------------------------------------------------------------------------


def test_refresh_renders_a_query_by_id_and_an_add_without_one(world):
    db, company, record, item = world
    out = RefreshStep().render(Drafting(db, company), item, record)
    assert "<CustomerAddRq" in out.built.xml  # no id to read: it is sent
    lifecycle.store_identity(record, lifecycle.Identity("80000001-1", "17", "Lee, Ann"), 1)
    out = RefreshStep().render(Drafting(db, company), item, record)
    assert "<CustomerQueryRq" in out.built.xml and "<ListID>80000001-1</ListID>" in out.built.xml


def test_refresh_takes_the_edit_sequence_and_sends_again(world):
    db, company, record, item = world
    sent(item, add=False)
    change = RefreshStep().handle(
        Answering(db, company, "t"), item, record, answer("CustomerQueryRs", 0, "", ANN_RET.format(seq="18"))
    )
    assert (change.result, change.next_action, change.refreshed.edit_sequence) == (Result.AGAIN, QueueAction.SEND, "18")


def test_refresh_after_a_lost_mod_that_quickbooks_applied_needs_no_second_mod(world):
    db, company, record, item = world
    record.version = 2
    item.unknown_outcome = True
    sent(item, add=False, version=2, mod_version=2, mod_edit_sequence="17")
    applied = answer("CustomerQueryRs", 0, "", ANN_RET.format(seq="18"))
    change = RefreshStep().handle(Answering(db, company, "t"), item, record, applied)
    assert (change.result, change.synced_version) == (Result.DONE, 2)
    not_applied = answer("CustomerQueryRs", 0, "", ANN_RET.format(seq="17"))
    change = RefreshStep().handle(Answering(db, company, "t"), item, record, not_applied)
    assert (change.result, change.next_action) == (Result.AGAIN, QueueAction.SEND)


@pytest.mark.parametrize(
    ("code", "result"), [(1, Result.AGAIN), (500, Result.AGAIN), (3120, Result.AGAIN), (3200, Result.FAILED)]
)
def test_refresh_of_a_record_gone_from_quickbooks_looks_for_it_and_other_refusals_fail(world, code, result):
    db, company, record, item = world
    sent(item, add=False)
    change = RefreshStep().handle(Answering(db, company, "t"), item, record, answer("CustomerQueryRs", code, "Gone."))
    assert change.result is result
    if result is Result.AGAIN:
        assert change.next_action is QueueAction.LOOKUP and change.forget_identity
