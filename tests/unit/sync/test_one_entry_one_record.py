"""One QuickBooks entry is linked to at most one record: the database refuses a second, and so does linking."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from qbwc_server.errors import QbwcError
from qbwc_server.models import RecordKind
from qbwc_server.sync import lifecycle
from qbwc_server.sync.linking import link_record
from tests.factories import make_company, make_record


def test_the_database_refuses_two_records_on_one_quickbooks_entry_but_allows_many_unlinked(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        first = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Smith")
        second = make_record(db, company, RecordKind.CUSTOMER, "c2", last_name="Smith")
        make_record(db, company, RecordKind.CUSTOMER, "c3", last_name="Smith")  # unlinked records never clash
        lifecycle.store_identity(first, lifecycle.Identity("80000001-1", "1", "Smith"), 1)
        db.flush()
        lifecycle.store_identity(second, lifecycle.Identity("80000001-1", "1", "Smith"), 1)
        with pytest.raises(IntegrityError):
            db.flush()
        db.rollback()


def test_linking_by_hand_refuses_an_entry_a_customer_or_job_already_has(runtime):
    with runtime.transaction() as db:
        company = make_company(db)
        customer = make_record(db, company, RecordKind.CUSTOMER, "c1", last_name="Smith")
        job = make_record(db, company, RecordKind.JOB, "j1", customer="c1", number="7")
        lifecycle.store_identity(customer, lifecycle.Identity("80000001-1", "1", "Smith"), 1)
        db.flush()
        with pytest.raises(QbwcError, match="customer 'Smith' \\(c1\\) is already linked to 80000001-1"):
            link_record(db, company, job, "80000001-1")
        assert job.qb_id is None
