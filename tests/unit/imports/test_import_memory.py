"""A 10,000-customer answer is filed while memory stays flat: nothing grows with the number of customers."""

from __future__ import annotations

import secrets
import tracemalloc

import pytest
from sqlalchemy import func, select

from qbwc_server.imports import runs
from qbwc_server.models import Record, WcSession
from qbwc_server.qbxml import render
from qbwc_server.simulator import FakeCompany
from tests.factories import make_company
from tests.unit.imports.driving import Hook

MB = 1_000_000


def _file_one_answer(runtime, customers: int) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """Import `customers` customers from one answer; return (answer bytes, peak traced bytes, traced bytes after)."""
    fake = FakeCompany.generate(customers, jobs_per=0, items=1, vendors=1, seed=5)
    ext = Hook()
    with runtime.transaction() as db:
        company = make_company(db, import_max_returned=customers)
        wc = WcSession(ticket=secrets.token_hex(8), company_id=company.id)
        db.add(wc)
        db.flush()
        runs.start(db, company, ["customers"])
        requests = ext.next_requests(db, company, wc)
    answer = fake.process(render.message_set(requests, "13.0", on_error="continueOnError"))
    del fake
    with runtime.transaction() as db:
        company, wc = db.merge(company), db.merge(wc)
        tracemalloc.start()
        try:
            assert ext.handle(db, company, wc, answer, "", "") == 100
            after, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        stored = db.scalar(select(func.count()).select_from(Record).where(Record.company_id == company.id))
        assert stored == customers
    return len(answer.encode()), peak, after


@pytest.mark.slow
def test_a_ten_thousand_customer_answer_is_filed_in_flat_memory(sqlite_runtime):
    size, peak, after = _file_one_answer(sqlite_runtime, 10_000)
    small_size, small_peak, _ = _file_one_answer(sqlite_runtime, 2_000)

    assert size > 8 * MB
    # The answer arrives as text and is read once as bytes (two copies at most); everything else is per page:
    # what the import holds beyond the answer itself stays under 3 MB, for 2,000 customers as for 10,000.
    assert peak - 2 * size < 3 * MB
    assert small_peak - 2 * small_size < 3 * MB
    assert after < 3 * MB  # nothing kept once the answer is filed
