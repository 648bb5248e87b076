"""The Web Connector conversation on a real database (SQLite and PostgreSQL), without SOAP."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from datetime import datetime, timedelta, timezone

from freezegun import freeze_time
from sqlalchemy import select, text

from qbwc_server import companies, passwords
from qbwc_server.models import Company, LoginThrottle, SessionState, ThrottleScope, WcSession
from qbwc_server.protocol import EXPIRED_MESSAGE, NO_MORE_WORK, Conversation

HCP_FILE = "qbxml/hcp/strHCPResponse_QBPro2006_HostCompanyPreferences.xml"
PASSWORD = "correct horse battery"
FIXTURE_OWNER_ID = "{68b5925b-4347-4784-e58d-35a2d190962f}"
FIXTURE_FILE_ID = "{ee032e95-47f7-2564-096f-2d4545fcb021}"


def _session(runtime, ticket: str) -> WcSession:
    with runtime.transaction() as db:
        return db.scalar(select(WcSession).where(WcSession.ticket == ticket))


def _company(runtime, slug: str) -> Company:
    with runtime.transaction() as db:
        return db.scalar(select(Company).where(Company.slug == slug))


def test_server_version_names_the_server(conversation):
    assert conversation.server_version().startswith("qbwc-server ")


def test_client_version_policy(runtime, conversation):
    # Given a minimum Web Connector version of 2.1.0.30
    runtime.settings = dataclasses.replace(runtime.settings, min_client_version="2.1.0.30")
    # Then newer ones proceed, older ones are told which version is needed, garbage gets a warning
    assert conversation.client_version("2.3.0.215") == ""
    assert conversation.client_version("2.1.0.30") == ""
    assert conversation.client_version("2.0.0.116") == "O:2.1.0.30"
    assert conversation.client_version("beta").startswith("W:")


def test_authenticate_with_work_opens_a_session(runtime, make_company, conversation):
    make_company("acme", company_file=r"C:\Books\Acme.QBW")
    ticket, status = conversation.authenticate("acme-wc", PASSWORD)
    assert status == r"C:\Books\Acme.QBW"
    assert len(ticket) >= 43  # 32 random bytes, URL-safe
    wc = _session(runtime, ticket)
    assert wc.state == SessionState.OPEN
    assert _company(runtime, "acme").last_checkin_at is not None


def test_authenticate_without_work_answers_none_with_a_closed_ticket(runtime, make_company):
    make_company("acme")
    conversation = Conversation(runtime)  # the real engine: nothing queued yet
    ticket, status = conversation.authenticate("acme-wc", PASSWORD)
    assert status == "none"
    assert ticket and _session(runtime, ticket).state == SessionState.CLOSED
    assert conversation.close_connection(ticket) == "Nothing to sync"


def test_paused_company_answers_none(runtime, make_company, conversation):
    make_company("acme", paused=True)
    ticket, status = conversation.authenticate("acme-wc", PASSWORD)
    assert status == "none"
    assert conversation.close_connection(ticket) == "Sync is paused for this company"


def test_nvu_is_the_same_for_unknown_user_and_wrong_password(runtime, make_company, conversation):
    make_company("acme")
    assert conversation.authenticate("acme-wc", "wrong password") == ["", "nvu"]
    assert conversation.authenticate("nobody", PASSWORD) == ["", "nvu"]
    assert conversation.authenticate("", "") == ["", "nvu"]
    with runtime.transaction() as db:
        assert db.scalar(select(WcSession.id)) is None


def test_unknown_user_takes_as_long_as_a_wrong_password(runtime, make_company, conversation):
    make_company("acme")  # a password a person chose: scrypt

    def timed(user: str) -> float:
        started = time.perf_counter()
        for _ in range(3):
            conversation.authenticate(user, "wrong password")
        return time.perf_counter() - started

    wrong_password, unknown_user = timed("acme-wc"), timed("nobody")
    # An unknown name costs what a wrong generated password costs (a digest), so it answers faster than a wrong
    # chosen password; what timing must never reveal is a *generated* password's company, the default.
    assert unknown_user < wrong_password


def test_unknown_user_and_a_generated_password_cost_the_same_digest(runtime, conversation, monkeypatch):
    generated = passwords.generate_password()
    with runtime.transaction() as db:
        companies.create_company(db, "acme", "Acme", "acme-wc", generated, generated=True)

    def no_scrypt(*_args):
        raise AssertionError("scrypt must not run for a generated password or an unknown name")

    monkeypatch.setattr(passwords, "check_password_hash", no_scrypt)
    digests: list[str] = []
    real_sha256 = passwords.hashlib.sha256

    def counting_sha256(data: bytes):
        digests.append("one")
        return real_sha256(data)

    monkeypatch.setattr(passwords.hashlib, "sha256", counting_sha256)
    assert conversation.authenticate("acme-wc", "wrong password") == ["", "nvu"]
    assert conversation.authenticate("nobody", "wrong password") == ["", "nvu"]
    assert len(digests) == 2  # one digest each: the same work whether the name exists or not
    ticket, status = conversation.authenticate("acme-wc", generated)
    assert ticket and status != "nvu"


def test_failures_lock_the_name_at_that_address_only_and_success_resets(runtime, make_company, conversation):
    runtime.settings = dataclasses.replace(runtime.settings, auth_failure_delay_seconds=60)
    make_company("acme")
    for _ in range(6):
        assert conversation.authenticate("acme-wc", "guess", "203.0.113.9") == ["", "nvu"]
    # Locked from the guessing address: even the right password is not checked there...
    assert conversation.authenticate("acme-wc", PASSWORD, "203.0.113.9") == ["", "nvu"]
    # ...while the Web Connector that owns the name, elsewhere, signs in as usual.
    ticket, status = conversation.authenticate("acme-wc", PASSWORD, "198.51.100.7")
    assert ticket and status == ""
    conversation.close_connection(ticket)
    conversation.authenticate("ghost", "guess", "203.0.113.9")
    with runtime.transaction() as db:
        rows = {(row.scope, row.name, row.address): row.failures for row in db.scalars(select(LoginThrottle))}
    assert rows == {
        (ThrottleScope.WC_LOGIN, "acme-wc", "203.0.113.9"): 6,
        (ThrottleScope.WC_LOGIN, "ghost", "203.0.113.9"): 1,
        (ThrottleScope.WC_ADDRESS, "", "203.0.113.9"): 7,
    }


def test_second_session_for_the_same_company_is_busy(runtime, make_company, conversation):
    make_company("acme")
    first, _ = conversation.authenticate("acme-wc", PASSWORD)
    assert conversation.authenticate("acme-wc", PASSWORD) == ["", "busy"]
    conversation.close_connection(first)
    assert conversation.authenticate("acme-wc", PASSWORD)[1] == ""


def test_full_session_records_quickbooks_and_summarises(runtime, make_company, conversation, engine, fixtures_dir):
    make_company("acme")
    ticket, _ = conversation.authenticate("acme-wc", PASSWORD)
    hcp = (fixtures_dir / HCP_FILE).read_text()

    request = conversation.send_request_xml(ticket, hcp, r"C:\QB\Test Company.QBW", "US", 5, 0)

    assert request.startswith("<?xml")
    assert ("begin", "acme") in engine.calls
    company = _company(runtime, "acme")
    assert company.qb_product == "QuickBooks Pro 2006"
    assert company.qb_version == "16.0"
    assert company.qb_country == "US"
    assert company.qb_company_name == "Test Company"
    assert company.qb_supported_versions[-1] == "5.0"
    wc = _session(runtime, ticket)
    assert (wc.qbxml_version, wc.country, wc.company_file) == ("5.0", "US", r"C:\QB\Test Company.QBW")
    assert conversation.receive_response_xml(ticket, "<QBXML/>", "", "") == 100
    assert conversation.close_connection(ticket) == "Synced 1"
    assert _session(runtime, ticket).state == SessionState.CLOSED
    assert engine.calls[-1] == ("end", "closed")


def test_version_is_capped_by_the_company(runtime, make_company, conversation):
    make_company("acme")
    ticket, _ = conversation.authenticate("acme-wc", PASSWORD)
    conversation.send_request_xml(ticket, "", "", "US", 16, 0)
    assert _session(runtime, ticket).qbxml_version == "13.0"


def test_summary_counts_errors(runtime, make_company, engine, conversation):
    engine.requests.append("<QBXML/>")
    make_company("acme")
    ticket, _ = conversation.authenticate("acme-wc", PASSWORD)
    conversation.send_request_xml(ticket, "", "", "US", 13, 0)
    assert conversation.receive_response_xml(ticket, "<QBXML/>", "", "") == 50
    conversation.send_request_xml(ticket, "", "", "US", 13, 0)
    conversation.receive_response_xml(ticket, "", "0x80040400", "QuickBooks found an error when parsing the XML")
    assert conversation.close_connection(ticket) == "Synced 1, 1 error"


def test_no_more_work_is_explained(runtime, make_company, scripted_engine):
    make_company("acme")
    conversation = Conversation(runtime, engine=scripted_engine([]))
    ticket, _ = conversation.authenticate("acme-wc", PASSWORD)
    assert conversation.send_request_xml(ticket, "", "", "US", 13, 0) == ""
    assert conversation.get_last_error(ticket) == NO_MORE_WORK


def test_wrong_company_file_is_refused(runtime, make_company, conversation, engine, fixtures_dir):
    # Given a connection set up for another file than the one whose FileID QuickBooks reports
    make_company("acme", owner_id=FIXTURE_OWNER_ID.upper())
    ticket, _ = conversation.authenticate("acme-wc", PASSWORD)
    hcp = (fixtures_dir / HCP_FILE).read_text()

    assert conversation.send_request_xml(ticket, hcp, "", "US", 5, 0) == ""

    error = conversation.get_last_error(ticket)
    assert "the company file open in QuickBooks is not the one this connection was set up for" in error
    assert _company(runtime, "acme").wrong_file_message == error
    assert _session(runtime, ticket).state == SessionState.FAILED
    assert ("begin", "acme") not in engine.calls
    assert conversation.close_connection(ticket) == error


def test_matching_company_file_is_accepted(runtime, make_company, conversation, fixtures_dir):
    make_company("acme", owner_id=FIXTURE_OWNER_ID, file_id=FIXTURE_FILE_ID.upper(), wrong_file_message="old")
    ticket, _ = conversation.authenticate("acme-wc", PASSWORD)
    hcp = (fixtures_dir / HCP_FILE).read_text()
    assert conversation.send_request_xml(ticket, hcp, "", "US", 5, 0).startswith("<?xml")
    company = _company(runtime, "acme")
    assert company.wrong_file_message is None
    assert company.qb_file_id_seen == FIXTURE_FILE_ID


def test_idle_ticket_expires(runtime, make_company, conversation, engine):
    make_company("acme")
    start = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
    with freeze_time(start) as frozen:
        ticket, _ = conversation.authenticate("acme-wc", PASSWORD)
        frozen.tick(timedelta(minutes=29))
        assert conversation.get_last_error(ticket) == "No errors"  # still alive, and touched
        frozen.tick(timedelta(minutes=31))

        assert conversation.send_request_xml(ticket, "", "", "US", 13, 0) == ""
        assert conversation.get_last_error(ticket) == EXPIRED_MESSAGE
        assert conversation.receive_response_xml(ticket, "<QBXML/>", "", "") == -1
    assert _session(runtime, ticket).state == SessionState.EXPIRED
    assert ("end", "expired") in engine.calls


def test_expired_session_no_longer_blocks_the_company(runtime, make_company, conversation):
    make_company("acme")
    with freeze_time(datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)) as frozen:
        old, _ = conversation.authenticate("acme-wc", PASSWORD)
        frozen.tick(timedelta(minutes=45))
        new, status = conversation.authenticate("acme-wc", PASSWORD)
    assert status == "" and new != old
    assert _session(runtime, old).state == SessionState.EXPIRED


def test_unknown_ticket_gets_clear_answers(conversation):
    assert conversation.send_request_xml("no-such-ticket", "", "", "US", 13, 0) == ""
    assert conversation.get_last_error("no-such-ticket") == EXPIRED_MESSAGE
    assert conversation.receive_response_xml("no-such-ticket", "<QBXML/>", "", "") == -1
    assert conversation.connection_error("no-such-ticket", "0x80040408", "Could not start QuickBooks.") == "done"


def test_connection_error_ends_the_session(runtime, make_company, conversation, engine):
    make_company("acme")
    ticket, _ = conversation.authenticate("acme-wc", PASSWORD)
    assert conversation.connection_error(ticket, "0x80040408", "Could not start QuickBooks.") == "done"
    wc = _session(runtime, ticket)
    assert wc.state == SessionState.FAILED
    assert "Could not start QuickBooks." in wc.last_error
    assert ("end", "connection error") in engine.calls
    assert conversation.authenticate("acme-wc", PASSWORD)[1] == ""  # the company is free again


def test_engine_failure_keeps_session_state(runtime, make_company, conversation, engine, caplog):
    make_company("acme")
    ticket, _ = conversation.authenticate("acme-wc", PASSWORD)
    engine.fail_next_request = True
    with caplog.at_level(logging.ERROR):
        assert conversation.send_request_xml(ticket, "", "", "US", 13, 0) == ""
    assert "engine bug" in caplog.text  # logged with its traceback
    wc = _session(runtime, ticket)
    assert wc.state == SessionState.OPEN and wc.last_error
    assert "unexpected error" in conversation.get_last_error(ticket)


def test_an_engine_failure_after_writing_keeps_none_of_its_writes_and_still_notes_the_error(
    runtime, make_company, scripted_engine, caplog
):
    class WritesThenFails(scripted_engine):
        def handle_response(self, db, company, wc_session, response, hresult, message):  # type: ignore[no-untyped-def]
            wc_session.succeeded += 5
            company.name = "Renamed by a failed filing"
            db.flush()
            raise RuntimeError("engine bug after writing")

    conversation = Conversation(runtime, engine=WritesThenFails(["<QBXML/>"]))
    make_company("acme")
    ticket, _ = conversation.authenticate("acme-wc", PASSWORD)
    assert conversation.send_request_xml(ticket, "", "", "US", 13, 0) == "<QBXML/>"
    seen = _session(runtime, ticket).last_seen_at
    time.sleep(0.01)
    with caplog.at_level(logging.ERROR):
        assert conversation.receive_response_xml(ticket, "<QBXML/>", "", "") == -1
    assert "engine bug after writing" in caplog.text
    wc = _session(runtime, ticket)
    # The session keeps what the call noted (seen now, why it failed), none of what the engine wrote
    assert wc.state == SessionState.OPEN and (wc.succeeded, wc.round_trips) == (0, 1)
    assert wc.last_seen_at > seen
    assert "could not process QuickBooks' response" in wc.last_error
    assert _company(runtime, "acme").name == "Acme Plumbing"
    assert "could not process QuickBooks' response" in conversation.get_last_error(ticket)
    # and the session goes on: the next call is answered as usual
    assert conversation.close_connection(ticket)
    assert _session(runtime, ticket).state == SessionState.CLOSED


def test_two_companies_at_once_never_share_sessions(runtime, make_company, scripted_engine):
    class PerCompany(scripted_engine):
        def next_request(self, db, company, wc_session):  # type: ignore[no-untyped-def]
            return f'<QBXML company="{company.slug}"/>'

    conversation = Conversation(runtime, engine=PerCompany())
    make_company("north")
    make_company("south")
    tickets: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def login(slug: str) -> None:
        barrier.wait()
        tickets[slug] = conversation.authenticate(f"{slug}-wc", PASSWORD)[0]

    threads = [threading.Thread(target=login, args=(slug,)) for slug in ("north", "south")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert tickets["north"] and tickets["south"] and tickets["north"] != tickets["south"]
    assert "north" in conversation.send_request_xml(tickets["north"], "", "", "US", 13, 0)
    assert "south" in conversation.send_request_xml(tickets["south"], "", "", "US", 13, 0)
    with runtime.transaction() as db:
        owners = {wc.ticket: db.get(Company, wc.company_id).slug for wc in db.scalars(select(WcSession))}
    assert owners == {tickets["north"]: "north", tickets["south"]: "south"}


def test_one_log_line_per_call_without_secrets(runtime, make_company, conversation, caplog):
    make_company("acme")
    with caplog.at_level(logging.DEBUG):
        ticket, _ = conversation.authenticate("acme-wc", PASSWORD)
        conversation.authenticate("acme-wc", "Wr0ng-Secret")
        conversation.close_connection(ticket)
    lines = [r.getMessage() for r in caplog.records if r.name == "qbwc_server.soap.calls"]
    assert len(lines) == 3
    assert lines[0].startswith("authenticate company=acme ticket=" + ticket[:8] + " ms=")
    assert lines[0].endswith("outcome=work")
    assert lines[1].endswith("outcome=nvu")
    assert PASSWORD not in caplog.text and "Wr0ng-Secret" not in caplog.text
    assert ticket not in caplog.text  # only its prefix


def test_simultaneous_logins_for_one_company_open_one_session(runtime, make_company, conversation):
    make_company("acme")
    answers: list[list[str]] = []
    barrier = threading.Barrier(3)

    def login() -> None:
        barrier.wait()
        answers.append(conversation.authenticate("acme-wc", PASSWORD))

    threads = [threading.Thread(target=login) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(status for _, status in answers) == ["", "busy", "busy"]
    with runtime.transaction() as db:
        assert len(list(db.scalars(select(WcSession).where(WcSession.state == SessionState.OPEN)))) == 1


def test_the_closing_summary_counts_imports_and_syncs():
    from qbwc_server.models import WcSession
    from qbwc_server.wc_sessions import summarize

    assert summarize(WcSession(succeeded=0, failed=0, requests_sent=0, imported=0)) == "Nothing to sync"
    assert summarize(WcSession(succeeded=12, failed=1, requests_sent=13, imported=0)) == "Synced 12, 1 error"
    assert summarize(WcSession(succeeded=0, failed=0, requests_sent=0, imported=11736)) == (
        "Imported 11,736 from QuickBooks"
    )
    assert summarize(WcSession(succeeded=3, failed=0, requests_sent=3, imported=20)) == (
        "Imported 20 from QuickBooks; synced 3"
    )


def test_closing_notes_that_fail_in_the_database_still_close_the_session_with_its_summary(
    runtime, make_company, scripted_engine, caplog
):
    class NotesFail(scripted_engine):
        def closing_notes(self, db, company, wc_session):  # type: ignore[no-untyped-def]
            # A failed statement: on PostgreSQL it aborts the whole transaction, not only this read
            db.execute(text("SELECT no_such_column FROM wc_sessions"))
            return ["never shown"]

    conversation = Conversation(runtime, engine=NotesFail(["<QBXML/>"]))
    make_company("acme")
    ticket, _ = conversation.authenticate("acme-wc", PASSWORD)
    assert conversation.send_request_xml(ticket, "", "", "US", 13, 0) == "<QBXML/>"
    assert conversation.receive_response_xml(ticket, "<QBXML/>", "", "") == 100
    with caplog.at_level(logging.ERROR):
        assert conversation.close_connection(ticket) == "Synced 1"
    assert "closing notes" in caplog.text
    wc = _session(runtime, ticket)
    assert (wc.state, wc.summary, wc.succeeded) == (SessionState.CLOSED, "Synced 1", 1)
    assert wc.closed_at is not None
