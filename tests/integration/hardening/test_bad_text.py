"""Text no database or QuickBooks can hold is refused with its field; odd input never becomes a 500."""

from __future__ import annotations

import json
from urllib.parse import quote

from sqlalchemy import select

from qbwc_server.models import Company, Record, RecordKind, Role, SyncState
from qbwc_server.records.characters import MAX_DEPTH
from qbwc_server.web.auth import create_user
from tests.harness import Harness
from tests.integration.hardening.conftest import Client

ADMIN, ADMIN_PASSWORD = "admin@example.com", "admin password 1"


def _api(harness: Harness, verb: str, path: str, raw: bytes | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {harness.token}", "Content-Type": "application/json"}
    answer = Client(harness.server.port).request(verb, path, raw, headers)
    assert answer.headers["content-type"] == "application/json", answer.body[:300]
    return answer.status, json.loads(answer.body)


def test_a_lone_surrogate_is_refused_with_its_field_and_nothing_is_stored(live):
    harness = live()
    # json.dumps writes the lone surrogate as the escape "\ud800", exactly as an attacker's client would
    status, body = _api(
        harness, "PUT", "/api/v1/customers/p1", json.dumps({"first_name": "\ud800", "last_name": "x"}).encode()
    )
    assert status == 422
    assert list(body["errors"]) == ["first_name"]
    assert _api(harness, "GET", "/api/v1/customers/p1")[0] == 404
    assert _api(harness, "GET", "/api/v1/customers")[0] == 200


def test_unstorable_text_written_out_raw_or_in_utf16_is_refused_with_its_field(live):
    harness = live()
    # A surrogate and U+FFFF written out in UTF-8 (the JSON parser lets the surrogate through), and an escaped NUL
    # in a UTF-16 body: each is found, whatever its spelling
    for raw, field in [
        (b'{"first_name": "Ann \xed\xa0\x80", "last_name": "Lee"}', "first_name"),
        (b'{"first_name": "Ann", "last_name": "Lee \xef\xbf\xbf"}', "last_name"),
        ('{"first_name": "Ann", "last_name": "Lee", "notes": "a\\u0000b"}'.encode("utf-16"), "notes"),
    ]:
        status, body = _api(harness, "PUT", "/api/v1/customers/p5", raw)
        assert (status, list(body["errors"])) == (422, [field])
    assert _api(harness, "GET", "/api/v1/customers/p5")[0] == 404
    # A backslash that only looks like an escape is ordinary text
    payload = {"first_name": "Ann", "last_name": "Lee", "notes": "C:\\bin\\ufo\\files"}
    status, body = _api(harness, "PUT", "/api/v1/customers/p5", json.dumps(payload).encode())
    assert (status, body["notes"]) == (201, payload["notes"])


def test_a_record_nested_one_level_too_deep_is_refused(live):
    harness = live()
    nested: object = "x"
    for _ in range(MAX_DEPTH):
        nested = [nested]
    status, body = _api(harness, "PUT", "/api/v1/customers/p6", json.dumps({"first_name": nested}).encode())
    assert status == 400 and f"deeper than {MAX_DEPTH}" in body["error"]
    nested = nested[0]  # type: ignore[index]
    status, body = _api(harness, "PUT", "/api/v1/customers/p6", json.dumps({"first_name": nested}).encode())
    assert status == 422 and list(body["errors"]) == ["first_name"]


def test_nul_and_control_characters_are_refused_with_their_paths(live):
    harness = live()
    payload = {"first_name": "Ann\u0000", "last_name": "Lee", "billing_address": {"line1": "12 Oak\u0007 St"}}
    status, body = _api(harness, "PUT", "/api/v1/customers/p2", json.dumps(payload).encode())
    assert status == 422
    assert sorted(body["errors"]) == ["billing_address.line1", "first_name"]
    # Tabs and line breaks are ordinary text
    payload = {"first_name": "Ann", "last_name": "Lee", "notes": "first line\nsecond\tline"}
    assert _api(harness, "PUT", "/api/v1/customers/p2", json.dumps(payload).encode())[0] == 201
    # An id holding NUL cannot name a record
    assert _api(harness, "GET", "/api/v1/customers/" + quote("p\u0000"))[0] == 404


def test_deep_and_huge_json_and_out_of_range_numbers_are_client_errors(live):
    harness = live()
    deep = b"[" * 100_000 + b"]" * 100_000
    status, body = _api(harness, "PUT", "/api/v1/customers/p3", deep)
    assert status == 400 and "deeper" in body["error"]
    huge = b'{"first_name": "' + b"a" * (11 * 1024 * 1024) + b'", "last_name": "x"}'
    assert _api(harness, "PUT", "/api/v1/customers/p3", huge)[0] == 413
    status, body = _api(harness, "GET", "/api/v1/customers?cursor=" + "1" + "0" * 23)
    assert status == 400 and "cursor" in body["error"]


def test_a_stored_bad_row_never_breaks_a_list_or_a_page(live):
    # Given a record stored before text was checked: a lone surrogate (SQLite keeps one; PostgreSQL refuses it
    # but keeps a control character)
    harness = live()
    bad = "\ud800" if harness.runtime.settings.database_url.startswith("sqlite") else "\u0007"
    with harness.runtime.transaction() as db:
        create_user(db, ADMIN, Role.ADMIN, ADMIN_PASSWORD)
        company = db.scalar(select(Company).where(Company.slug == harness.slug))
        record = Record(
            company_id=company.id,
            kind=RecordKind.CUSTOMER,
            external_id="bad",
            data={"first_name": f"Ann{bad}", "last_name": "Lee"},
            sync_state=SyncState.ERROR,
        )
        db.add(record)
        db.flush()
        record_id = record.id
    # Then the API shows it, the bad character replaced
    status, body = _api(harness, "GET", "/api/v1/customers")
    assert status == 200 and body["data"][0]["first_name"] == "Ann\ufffd"
    assert _api(harness, "GET", "/api/v1/customers/bad")[1]["first_name"] == "Ann\ufffd"
    # And the bookkeeper's list and the record's own page open
    browser = Client(harness.server.port)
    assert browser.sign_in(ADMIN, ADMIN_PASSWORD).status == 302
    listing = browser.request("GET", f"/c/{harness.slug}/records?state=error")
    assert listing.status == 200 and "Ann\ufffd" in listing.body.decode()
    assert browser.request("GET", f"/c/{harness.slug}/records/{record_id}").status == 200
    # An id beyond any database's range is simply not found
    assert browser.request("GET", f"/c/{harness.slug}/records/{10**23}").status == 404


def test_a_line_break_in_next_is_ignored_after_sign_in(live):
    harness = live()
    with harness.runtime.transaction() as db:
        create_user(db, ADMIN, Role.ADMIN, ADMIN_PASSWORD)
    answer = Client(harness.server.port).sign_in(ADMIN, ADMIN_PASSWORD, next_path="/admin/users%0D%0ASet-Cookie:%20x=1")
    assert answer.status == 302
    assert answer.headers["location"] == "/"
    assert "x=1" not in answer.headers.get("set-cookie", "")
