"""Small pieces the steps share: the failed transition, the part of an answer kept on the log, an article."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from lxml import etree

from qbwc_server.company_settings import effective
from qbwc_server.models import Company, Record, RecordKind
from qbwc_server.qbxml.parse import Answer
from qbwc_server.sync import builders, policy
from qbwc_server.sync.builders.types import ProblemKind
from qbwc_server.sync.planned import Renderable
from qbwc_server.sync.steps.base import LogLine, Refusal, Result, Transition


def failed(
    status_code: int | None,
    message: str,
    kind: str,
    *,
    refusal: Refusal | None = None,
    log: tuple[LogLine, ...] = (),
    advice: str | None = None,
) -> Transition:
    """Return the transition of an answer a person must act on (`advice`: a hint more precise than the policy's)."""
    error = policy.quickbooks_error(status_code, message, kind, advice=advice)
    return Transition(Result.FAILED, error=error, item_error=error.message, refusal=refusal, log=log)


def answer_part(rs: Answer) -> str:
    """Return only this request's answer, not the whole message set, so the log stays readable."""
    head = (
        f'<{rs.rs_type} requestID={quoteattr(str(rs.request_id))} statusCode="{rs.status_code}"'
        f" statusMessage={quoteattr(rs.message or '')}>"
    )
    rets = "".join(etree.tostring(ret, encoding="unicode") for ret in rs.rets[:5])
    return f"{head}{rets}</{rs.rs_type}>"


def answer_input(company: Company, record: Record) -> builders.RequestInput:
    """Return what reading an Add's or Mod's answer needs of the record: its kind, data and the settings.

    Reading QuickBooks' id, EditSequence, line ids and figures out of an answer and comparing them with the app's
    data uses neither the record's references nor its QuickBooks identity, so they are not looked up
    (`outgoing.request_input` gathers them for rendering).
    """
    settings = effective(company.settings)
    return builders.RequestInput(record.kind.value, record.external_id, record.data or {}, settings, None)


def changes_references(record: Record) -> bool:
    """Tell whether filing QuickBooks' copy of the record changes records it references: a payment's settles the
    invoices it pays, and a credit memo's queues its credit's application to its invoices."""
    return record.kind in (RecordKind.PAYMENT, RecordKind.CREDIT_MEMO)


def article(word: str) -> str:
    """Return the indefinite article for a word."""
    return "an" if word[:1] in "aeiou" else "a"


def require_qb_id(record: Renderable, what: str) -> str:
    """Return the record's QuickBooks id; RecordProblem (nothing to `what` there) when QuickBooks has none."""
    if not record.qb_id:
        raise builders.RecordProblem(
            "quickbooks",
            f"QuickBooks has no id for this record, so there is nothing to {what} there.",
            ProblemKind.QUICKBOOKS,
        )
    return record.qb_id
