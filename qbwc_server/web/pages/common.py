"""What every page shares: finding the company a user may see, the navigation, formatting and error pages."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from lxml import etree
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from qbwc_server import clock
from qbwc_server.models import Company, Record, SyncState
from qbwc_server.web import db_session
from qbwc_server.web.auth import visible_companies

log = logging.getLogger(__name__)

bp = Blueprint("common", __name__)

NEEDS_A_PERSON = (SyncState.ERROR, SyncState.BLOCKED)

STATE_LABELS = {
    "pending": "Pending",
    "queued": "Queued",
    "sent": "Sending",
    "synced": "Synced",
    "error": "Error",
    "blocked": "Blocked",
    "excluded": "Excluded",
    "voided": "Voided",
    "deleted": "Deleted",
    "inactive": "Inactive",
    "deleted_in_quickbooks": "Deleted in QuickBooks",
}

STATE_HELP = {
    "pending": "Stored; not queued yet (manual sync, kind switched off, or waiting for the sync start date).",
    "queued": "Waiting for the next Web Connector session.",
    "sent": "In the batch QuickBooks is working on now.",
    "synced": "QuickBooks has the current version.",
    "error": "QuickBooks refused it or it cannot be sent as it is; fix the cause, then reprocess.",
    "blocked": "Waits for another record that is in error.",
    "excluded": "Deliberately not synced.",
    "voided": "Removed by the app and voided in QuickBooks: its number stays there, its amounts are zero.",
    "deleted": "Removed by the app and deleted in QuickBooks (or dropped before it ever reached QuickBooks).",
    "inactive": "Removed by the app and made inactive in QuickBooks (list records are never deleted).",
    "deleted_in_quickbooks": "Someone deleted its entry in QuickBooks; it is not added again unless you re-add it.",
}

API_PREFIX = "/api/"

# Admin pages per company, shown in the navigation when the features behind them are installed.
ADMIN_COMPANY_LINKS = [
    ("connect.index", "Connect QuickBooks"),
    ("tokens.index", "API tokens"),
    ("webhooks.index", "Webhooks"),
]

# Read-only view of XML someone else produced: no entities, no network, no DTDs.
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True, huge_tree=True
)


def company_or_404(slug: str) -> Company:
    """Return the company for a URL, or 404 when it does not exist or the user may not see it."""
    company = db_session().scalar(select(Company).where(Company.slug == slug))
    # The same answer for "missing" and "not yours": a page never confirms another company exists.
    if company is None or not current_user.can_see(company):
        abort(404)
    g.company = company
    return company


def attention_count(company: Company) -> int:
    """Return how many of a company's records wait for a person (the bell's number)."""
    return int(
        db_session().scalar(
            select(func.count())
            .select_from(Record)
            .where(Record.company_id == company.id, Record.sync_state.in_(NEEDS_A_PERSON))
        )
        or 0
    )


def warning_count(company: Company) -> int:
    """Return how many of a company's records have QuickBooks totals that differ from the app's."""
    return int(
        db_session().scalar(
            select(func.count()).select_from(Record).where(Record.company_id == company.id, Record.warning_count > 0)
        )
        or 0
    )


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    company = g.get("company")
    context: dict[str, Any] = {"company": company, "state_labels": STATE_LABELS, "state_help": STATE_HELP}
    if current_user.is_authenticated:
        context["my_companies"] = visible_companies(db_session(), current_user)
        context["bell"] = attention_count(company) if company is not None else 0
        context["admin_company_links"] = [
            (endpoint, label) for endpoint, label in ADMIN_COMPANY_LINKS if endpoint in current_app.view_functions
        ]
    return context


@bp.app_template_filter("when")
def when(value: datetime | None) -> str:
    """Format a moment for people: date, time and zone."""
    if value is None:
        return "never"
    value = clock.aware(value)
    return value.strftime("%d %b %Y, %H:%M UTC")


@bp.app_template_filter("ago")
def ago(value: datetime | None) -> str:
    """Say how long ago a moment was, in words."""
    if value is None:
        return "never"
    seconds = int((clock.now() - clock.aware(value)).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            number = seconds // size
            return f"{number} {unit}{'s' if number != 1 else ''} ago"
    return "just now"


@bp.app_template_filter("pretty_xml")
def pretty_xml(text: str | None) -> str:
    """Indent a qbXML message for reading; text that does not parse is shown as it is."""
    if not text:
        return ""
    body = text.strip()
    try:
        root = etree.fromstring(body.encode("utf-8"), _XML_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return body
    return etree.tostring(root.getroottree(), pretty_print=True, encoding="unicode").strip()


@bp.app_template_filter("sentence")
def sentence(text: str) -> str:
    """Start a message with a capital and end it with a full stop, leaving the rest as written."""
    text = (text or "").strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


@bp.app_template_filter("plural")
def plural(number: int, word: str) -> str:
    """Write '1 record' or '3 records'."""
    return f"{number} {word}{'' if number == 1 else 's'}"


# Every answer's headers, each unless the answer set its own.
_SAFETY_HEADERS = (
    # The page uses no scripts and no outside assets; say so, so a browser refuses anything injected.
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; script-src 'none'; object-src 'none'; "
        "frame-ancestors 'none'; form-action 'self'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


@bp.after_app_request
def _page_headers(response: Response) -> Response:
    # The names present, read once (a lookup of a missing header raises and catches an exception each time).
    present = {name.lower() for name, _value in response.headers}
    for name, value in _SAFETY_HEADERS:
        if name.lower() not in present:
            response.headers[name] = value
    if response.mimetype == "text/html" and "cache-control" not in present:
        # Pages show customers' data: a shared computer's back button must not show them after sign-out.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> Any:
    log.info("form refused without a valid CSRF token: %s %s", request.method, request.path)
    return _error_page(
        400,
        "This form has expired",
        "The form was sent without its security token, or from an old page. Go back, reload the page and try again.",
    )


@bp.app_errorhandler(403)
def _forbidden(error: HTTPException) -> Any:
    if request.path.startswith(API_PREFIX):
        return _api_error(error)
    return _error_page(403, "Only an admin can open this page", "Ask an admin of this server if you need it.")


@bp.app_errorhandler(404)
def _not_found(error: HTTPException) -> Any:
    if request.path.startswith(API_PREFIX):
        return _api_error(error)
    return _error_page(404, "Page not found", "There is nothing here, or it belongs to a company you cannot see.")


def _api_error(error: HTTPException) -> Any:
    # The REST API's clients read JSON, never a page.
    return jsonify({"error": error.description or error.name}), error.code


def _error_page(code: int, title: str, message: str) -> Any:
    return render_template("error.html", title=title, message=message, code=code), code


# Who must act on an error, in the bookkeeper's words.
WHO_MUST_ACT = {
    "bookkeeper_in_quickbooks": "you, in QuickBooks",
    "bookkeeper_in_settings": "you, in this server's settings",
    "app": "the app that sends the records (its data, or its developer)",
    "nobody": "nobody: the server tries again by itself",
}
