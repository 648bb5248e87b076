"""The REST API v1: JSON in and out, a Bearer token per company, records addressed by the host app's external_id."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest, HTTPException

from qbwc_server import companies, company_settings, openapi, reconciliation, tokens
from qbwc_server.errors import InvalidInput, NotFound, QbwcError
from qbwc_server.imports import runs
from qbwc_server.models import Company, Record, RecordKind, SyncState
from qbwc_server.records import batch, characters, lookup, store
from qbwc_server.records.characters import MAX_DEPTH, readable_json
from qbwc_server.status import company_status
from qbwc_server.sync import queue, removal
from qbwc_server.web import API_PREFIX, db_session, runtime_of

log = logging.getLogger(__name__)

api = Blueprint("api", __name__, url_prefix=API_PREFIX)

RESOURCES = ", ".join(kind.resource for kind in RecordKind)


@api.record_once
def _exempt_from_csrf(state: Any) -> None:
    # The page protects its forms against CSRF; API clients send a token header instead of a cookie.
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(api)


# --- authentication and errors ------------------------------------------------------------------------------------


# Answered without a token, so a host app can generate its client before it has one.
PUBLIC_ENDPOINTS = {"api.openapi_document"}


@api.before_request
def _authenticate() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _, plain = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not plain.strip():
        return _unauthorized("send your API token as 'Authorization: Bearer <token>'")
    db = db_session()
    joined = _record_lookup()
    checked = tokens.check_joined(db, plain.strip(), *(joined or (tokens.BY_DIGEST, {})))
    if checked is None:
        db.rollback()
        return _unauthorized("this API token is not valid: it is unknown or was revoked")
    g.api_caller, row = checked
    g.api_found = row if joined else None  # the record a single PUT names, read with the token
    return None


def _record_lookup() -> tuple[Any, dict[str, Any]] | None:
    """The token check's query with the record a single PUT names joined, when the URL names one that can exist."""
    if request.endpoint != "api.put_record" or not request.view_args:
        return None
    try:
        kind = RecordKind.from_resource(request.view_args["resource"])
        external_id = store.check_external_id(request.view_args["external_id"])
    except (ValueError, InvalidInput):
        return None  # the view answers with what is wrong
    return lookup.with_token(kind, external_id)


def _unauthorized(message: str) -> Response:
    response = _json({"error": message}, 401)
    response.headers["WWW-Authenticate"] = 'Bearer realm="qbwc-server"'
    return response


def _json(body: Any, status: int = 200, *, checked: bool = False) -> Response:
    """Answer in JSON, keeping the order fields were put in (Flask's own encoder sorts them).

    `checked`: every text in the body was checked just now (a record created by this request and our own words).
    """
    # Text stored before it was checked may hold a lone surrogate: shown replaced, it never breaks the answer.
    text = json.dumps(body, ensure_ascii=False) if checked else readable_json(body)
    return Response(text, status=status, mimetype="application/json")


def _error(status: int, message: str) -> Response:
    return _json({"error": message}, status)


@api.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    # Only the API's own URLs answer in JSON; the page keeps Flask's usual error pages.
    if not request.path.startswith(API_PREFIX):
        return exc
    return _error(exc.code or 500, exc.description or exc.name)


@api.errorhandler(Exception)
def _unexpected(exc: Exception) -> Any:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    db_session().rollback()
    log.exception("API request %s %s failed", request.method, request.path)
    return _error(500, "the server failed to answer; its log has the details")


@api.errorhandler(InvalidInput)
def _invalid(exc: InvalidInput) -> Response:
    db_session().rollback()
    return _json({"errors": exc.errors}, 422)


@api.errorhandler(NotFound)
def _not_found(exc: NotFound) -> Response:
    db_session().rollback()
    return _error(404, str(exc))


@api.errorhandler(QbwcError)
def _refused(exc: QbwcError) -> Response:
    # What is left of our own errors: the request is sound but cannot be done now (a record in flight).
    db_session().rollback()
    return _error(409, str(exc))


def _caller() -> tokens.Caller:
    """The token's company as storing and reading records need it (its id, slug and settings)."""
    return g.api_caller


def _company() -> Company:
    """The token's company as a loaded row, for what needs more of it than `_caller` has (read once a request)."""
    if "api_company" not in g:
        g.api_company = db_session().get_one(Company, g.api_caller.id)
    return g.api_company


def _kind(resource: str) -> RecordKind:
    try:
        return RecordKind.from_resource(resource)
    except ValueError:
        raise NotFound(f"unknown resource {resource!r}; the resources are {RESOURCES}") from None


def _json_body(*, records: bool = False) -> Any:
    """Parse the body exactly (decimals stay decimals); a body that is not JSON is a 400 with the reason.

    Text no database or QuickBooks can hold is a 422 with its path. Records leave that to their own validation
    (`records.validation.validate`), which every way of storing one goes through, so it is checked once and a
    batch refuses only its bad records.
    """
    body, storable = _parsed_body()
    errors = {} if records or storable else characters.bad_text_errors(body)
    if errors:
        raise InvalidInput(errors)
    return body


def _parsed_body() -> tuple[Any, bool]:
    """Parse the body as `_json_body` does, without its text check; return it and whether its text is surely storable
    (`characters.surely_storable`)."""
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest(f"the body nests lists or objects deeper than {MAX_DEPTH} levels") from None
    # Every level of nesting opens with a bracket: a body with few of them cannot nest too deeply.
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and characters.depth(body) > MAX_DEPTH:
        raise BadRequest(f"the body nests lists or objects deeper than {MAX_DEPTH} levels")
    return body, characters.surely_storable(raw)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _record_json(db: Session, record: Record) -> dict[str, Any]:
    db.flush()  # the log is read through the connection, which does not flush the session
    return store.serialize(record, store.record_log(db, record.id))


# --- records ------------------------------------------------------------------------------------------------------


@api.put("/<resource>/<external_id>")
def put_record(resource: str, external_id: str) -> Response:
    """Create or replace a record: 201 when new, 200 when it existed, 422 with field errors and nothing stored."""
    kind = _kind(resource)
    payload, storable = _parsed_body()  # its text is checked with its fields (`records.validation.validate`)
    db = db_session()
    found = g.get("api_found")  # the record and its open item, read with the token
    body, outcome = store.put_shown(db, _caller(), kind, external_id, payload, storable=storable, found=found)
    db.commit()
    created = outcome is store.Outcome.CREATED
    # A record created now holds only what its validation let through (no text that cannot be stored).
    return _json(body, 201 if created else 200, checked=created)


@api.put("/<resource>")
def put_records(resource: str) -> Response:
    """Create or update up to 1,000 records in one request; each record's result, and invalid ones are not stored."""
    kind = _kind(resource)
    items = batch.check_batch(_json_body(records=True))
    db = db_session()
    result = batch.save_many(db, _caller(), kind, items)
    db.commit()
    log.info("Batch of %d %s for %s: %s", len(items), resource, _caller().slug, result.counts)
    return _json(result.as_dict(), checked=True)  # refused records' text is made readable by as_dict


@api.get("/openapi.json")
def openapi_document() -> Response:
    """Return the OpenAPI 3 description of this API, built from the schemas it validates with."""
    return _json(openapi.document())


@api.get("/<resource>/<external_id>")
def get_record(resource: str, external_id: str) -> Response:
    """Return one record with its QuickBooks identity and sync log."""
    db = db_session()
    record = store.get(db, _caller(), _kind(resource), external_id)
    body = _record_json(db, record)
    db.commit()
    return _json(body)


@api.delete("/<resource>/<external_id>")
def remove_record(resource: str, external_id: str) -> Response:
    """Remove a record from sync and queue what makes QuickBooks agree; it stays readable in its removed state."""
    db = db_session()
    company = _company()
    record = store.get(db, company, _kind(resource), external_id)
    done = removal.remove(db, company, record)
    db.flush()
    body = {
        "record": _record_json(db, record),
        "removal": done.action.value if done.action else None,
        "message": done.message,
        "effects": done.effects,
    }
    db.commit()
    return _json(body)


@api.get("/<resource>")
def list_records(resource: str) -> Response:
    """Return a page of records, optionally only those in one sync state (`?sync_state=error`)."""
    kind = _kind(resource)
    state = _sync_state(request.args.get("sync_state"))
    limit = _limit(request.args.get("limit"))
    db = db_session()
    cursor = request.args.get("cursor")
    if cursor:
        try:
            store.parse_cursor(cursor)
        except InvalidInput as exc:
            raise BadRequest(f"cursor {exc.errors['cursor']}") from None
    page = store.list_records(db, _caller(), kind, state, limit=limit, cursor=cursor)
    logs = store.log_entries(db, page.records, store.LOG_IN_LIST)
    body = {
        "data": [store.serialize(record, logs.get(record.id, [])) for record in page.records],
        "next_cursor": page.next_cursor,
    }
    db.commit()
    return _json(body)


def _sync_state(raw: str | None) -> SyncState | None:
    if not raw:
        return None
    try:
        return SyncState(raw)
    except ValueError:
        choices = ", ".join(state.value for state in SyncState)
        raise InvalidInput({"sync_state": f"must be one of: {choices}"}) from None


def _limit(raw: str | None) -> int:
    if not raw:
        return store.DEFAULT_PAGE
    if not raw.isdigit() or not 1 <= int(raw) <= store.MAX_PAGE:
        raise InvalidInput({"limit": f"must be a whole number from 1 to {store.MAX_PAGE}"})
    return int(raw)


@api.post("/<resource>/<external_id>/sync")
def sync_record(resource: str, external_id: str) -> Response:
    """Queue one record now, even when automatic sync is off or it was in error."""
    return _queue_one(resource, external_id, queue.request_sync)


@api.post("/<resource>/<external_id>/readd")
def readd_record(resource: str, external_id: str) -> Response:
    """Add a record deleted in QuickBooks to QuickBooks again (as a new entry), because a person chose to."""
    return _queue_one(resource, external_id, queue.readd)


def _queue_one(resource: str, external_id: str, act: Callable[[Session, Company, Record], None]) -> Response:
    """Do one queue action on a record and answer with the record as it is now."""
    db = db_session()
    company = _company()
    record = store.get(db, company, _kind(resource), external_id)
    act(db, company, record)
    db.flush()
    body = _record_json(db, record)
    db.commit()
    return _json(body)


@api.post("/sync")
def sync_all() -> Response:
    """Queue every record that QuickBooks does not have in its current version ("force sync")."""
    db = db_session()
    company = _company()
    queued = queue.force_sync(db, company)
    db.commit()
    log.info("Force sync of %s queued %d records", company.slug, queued)
    return _json({"queued": queued})


@api.post("/imports")
def start_imports() -> Response:
    """Queue imports from QuickBooks for the next Web Connector session: {"kinds": [...], "full": false}."""
    body = _json_body()
    if not isinstance(body, dict) or not isinstance(body.get("kinds"), list) or not body["kinds"]:
        raise InvalidInput({"kinds": 'must be a list of kinds to import, such as ["customers", "items"] or ["all"]'})
    if not isinstance(body.get("full", False), bool):
        raise InvalidInput({"full": "must be true or false"})
    db = db_session()
    company = _company()
    started = runs.start(db, company, [str(kind) for kind in body["kinds"]], full=body.get("full", False))
    db.commit()
    log.info("Import of %s queued for %s", ", ".join(r.kind for r in started), company.slug)
    return _json({"imports": [runs.describe(run).as_dict() for run in started]}, 202)


@api.get("/imports")
def list_imports() -> Response:
    """Return each kind's latest import with its counts and progress."""
    db = db_session()
    return _json({"imports": [status.as_dict() for status in runs.status(db, _company())]})


@api.get("/reconciliation")
def reconciliation_report() -> Response:
    """Return the company's invoices, payments and bills against QuickBooks for ?from=&to= (transaction dates)."""
    start, end = reconciliation.parse_period(request.args.get("from"), request.args.get("to"))
    db = db_session()
    body = reconciliation.build(db, _company(), start, end).to_json()
    db.commit()
    return _json(body)


# --- the company --------------------------------------------------------------------------------------------------


@api.get("/status")
def status() -> Response:
    """Return the connection state, the last check-in and how many records are in each sync state."""
    db = db_session()
    body = connection_status(db, _company(), timedelta(minutes=runtime_of(current_app).settings.ticket_timeout_minutes))
    db.commit()
    return _json(body)


def connection_status(db: Session, company: Company, session_timeout: timedelta) -> dict[str, Any]:
    """Describe a company's link with QuickBooks the way the page does: the same state, words and counts."""
    status = company_status(db, company, session_timeout=session_timeout)
    body = status.as_dict()
    return {
        "company": {"slug": company.slug, "name": company.name},
        "state": status.state,
        "label": status.label,
        "message": status.explanation,
        "paused": company.paused,
        "last_checkin_at": body["last_checkin_at"],
        "stale": status.stale,
        "checks": body["checks"],
        "last_good_session_at": body["last_good_session_at"],
        "quickbooks": body["quickbooks"],
        "queue": dict(status.counts),
        "sessions": body["sessions"],
        "imports": {run.kind: run.as_dict() for run in runs.status(db, company)},
    }


@api.get("/settings")
def get_settings() -> Response:
    """Return the company's sync settings, defaults filled in."""
    db = db_session()
    body = {"settings": company_settings.effective(_company().settings)}
    db.commit()
    return _json(body)


@api.patch("/settings")
def patch_settings() -> Response:
    """Change some sync settings; 422 names every bad key and changes nothing."""
    changes = _json_body()
    if not isinstance(changes, dict):
        raise InvalidInput({"body": "must be a JSON object of settings to change"})
    db = db_session()
    company = _company()
    result = companies.change_settings(db, company, changes)
    db.commit()
    log.info("Settings of %s changed: %s", company.slug, ", ".join(result.changed) or "none")
    return _json({"settings": company_settings.effective(company.settings)})
