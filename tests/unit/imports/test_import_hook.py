"""The engine hook's edges: other answers are not ours, refusals fail a run with a reason, requests validate."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qbwc_server.imports import runs
from qbwc_server.imports.kinds import KINDS
from qbwc_server.models import Company, ImportRun, ImportStatus, WcSession
from qbwc_server.qbxml import render, schema
from tests.factories import make_company
from tests.unit.imports.driving import Hook


def _session(db, company, ticket="t-1"):  # type: ignore[no-untyped-def]
    wc = WcSession(ticket=ticket, company_id=company.id, qbxml_version="13.0")
    db.add(wc)
    db.flush()
    return wc


def _run(db, company):  # type: ignore[no-untyped-def]
    return db.scalar(select(ImportRun).where(ImportRun.company_id == company.id).order_by(ImportRun.id.desc()))


@pytest.mark.parametrize("version", ["13.0", "16.0"])
def test_every_kind_asks_quickbooks_with_a_request_its_schema_accepts(sqlite_runtime, schema_path, version):
    if schema_path is None:
        pytest.skip("../shared/qbxml-xsd is not beside this checkout")
    ext = Hook()
    with sqlite_runtime.transaction() as db:
        company = make_company(db)
        wc = _session(db, company)
        for kind in KINDS:
            runs.start(db, company, [kind])
            (request,) = ext.next_requests(db, company, wc)
            assert f"imp-{_run(db, company).id}-1" in request
            assert schema.validate(render.message_set([request], version), version) == [], kind
            runs.cancel(db, company)


def test_an_answer_to_a_sync_request_is_left_to_the_engine(sqlite_runtime):
    ext = Hook()
    with sqlite_runtime.transaction() as db:
        company = make_company(db)
        wc = _session(db, company)
        runs.start(db, company, ["customers"])
        response = (
            '<?xml version="1.0"?><QBXML><QBXMLMsgsRs>'
            '<CustomerAddRs requestID="7" statusCode="0"/></QBXMLMsgsRs></QBXML>'
        )

        assert ext.handle(db, company, wc, response, "", "") is None


def test_a_message_set_quickbooks_refuses_fails_the_run_with_its_reason(sqlite_runtime):
    ext = Hook()
    with sqlite_runtime.transaction() as db:
        company = make_company(db)
        wc = _session(db, company)
        runs.start(db, company, ["customers"])
        ext.next_requests(db, company, wc)

        progress = ext.handle(db, company, wc, "", "0x80040400", "QuickBooks found an error when parsing the XML.")

        run = _run(db, company)
        assert progress == 100 and run.status is ImportStatus.FAILED
        assert run.error == (
            "QuickBooks could not run the import query (0x80040400): QuickBooks found an error when parsing the XML."
        )
        assert not ext.has_work(db, company)


def test_an_error_status_is_retried_from_the_cursor_then_fails_the_run(sqlite_runtime):
    ext = Hook()
    answer = (
        '<?xml version="1.0"?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="{rid}" statusCode="3170" '
        'statusSeverity="Error" statusMessage="busy"/></QBXMLMsgsRs></QBXML>'
    )
    with sqlite_runtime.transaction() as db:
        company = make_company(db)
        wc = _session(db, company)
        runs.start(db, company, ["customers"])
        statuses = []
        for _ in range(3):
            (request,) = ext.next_requests(db, company, wc)
            rid = request.split('requestID="')[1].split('"')[0]
            ext.handle(db, company, wc, answer.format(rid=rid), "", "")
            statuses.append(_run(db, company).status)

        assert statuses == [ImportStatus.RUNNING, ImportStatus.RUNNING, ImportStatus.FAILED]
        assert _run(db, company).error == "QuickBooks answered 3170: busy"


def test_a_new_session_forgets_the_old_iterator_and_unanswered_request(sqlite_runtime):
    ext = Hook()
    with sqlite_runtime.transaction() as db:
        company = make_company(db)
        old = _session(db, company, "old")
        runs.start(db, company, ["customers"])
        ext.next_requests(db, company, old)
        run = _run(db, company)
        run.iterator_id, run.iterator_ticket = "{dead}", "old"
        new = _session(db, company, "new")

        ext.begin_session(db, company, new)
        (request,) = ext.next_requests(db, company, new)

        assert 'iterator="Start"' in request and "{dead}" not in request
        assert ext.handle(db, company, old, "<QBXML/>", "", "") is None  # a late answer to the old ticket is not ours


def test_paused_or_empty_companies_have_no_import_work(sqlite_runtime):
    ext = Hook()
    with sqlite_runtime.transaction() as db:
        company = make_company(db)
        wc = _session(db, company)
        assert not ext.has_work(db, company) and ext.next_requests(db, company, wc) == []
        assert ext.progress(db, db.get(Company, company.id), wc) == 100


def test_imports_start_from_the_watermark_less_an_hour_unless_full(sqlite_runtime):
    from datetime import datetime, timezone

    from qbwc_server.models import ImportWatermark

    with sqlite_runtime.transaction() as db:
        company = make_company(db)
        db.add(
            ImportWatermark(
                company_id=company.id, kind="customers", modified_through=datetime(2026, 5, 1, 12, tzinfo=timezone.utc)
            )
        )
        db.flush()
        (incremental,) = runs.start(db, company, ["customers"])
        runs.cancel(db, company)
        (full,) = runs.start(db, company, ["customers"], full=True)

        assert incremental.from_modified == datetime(2026, 5, 1, 11, tzinfo=timezone.utc)
        assert full.from_modified is None
