"""Answer a whole qbXML message set as QuickBooks' request processor does."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from . import bills, credit_memos, deletions, hostinfo, invoices, lists, payments, queries, refunds, removals
from .answer import Answer
from .errors import QuickBooksParseError, RequestError
from .rets import build_ret
from .schema import validation_errors
from .xmltools import RetBuilder, parse_qbxml

if TYPE_CHECKING:
    from .company import CompanyStore

log = logging.getLogger(__name__)

ON_ERROR = ("stopOnError", "continueOnError", "rollbackOnError")
Handler = Callable[["CompanyStore", etree._Element], Answer]
HANDLERS: dict[str, Handler] = {
    "HostQueryRq": hostinfo.host_query,
    "CompanyQueryRq": hostinfo.company_query,
    "PreferencesQueryRq": hostinfo.preferences_query,
    "DataExtAddRq": hostinfo.data_ext_add,
    "DataExtModRq": hostinfo.data_ext_mod,
    "InvoiceAddRq": invoices.add_invoice,
    "InvoiceModRq": invoices.mod_invoice,
    "ReceivePaymentAddRq": payments.add_payment,
    "ReceivePaymentModRq": payments.mod_payment,
    "BillAddRq": bills.add_bill,
    "BillModRq": bills.mod_bill,
    "CreditMemoAddRq": credit_memos.add_credit_memo,
    "CreditMemoModRq": credit_memos.mod_credit_memo,
    "ARRefundCreditCardAddRq": refunds.add_refund,
    "TxnVoidRq": removals.txn_void,
    "ListDelRq": deletions.list_del,
    "TxnDelRq": deletions.txn_del,
    "ListDeletedQueryRq": deletions.list_deleted_query,
    "TxnDeletedQueryRq": deletions.txn_deleted_query,
}


def _for_kind(handle: Callable[[CompanyStore, str, etree._Element], Answer], kind: str) -> Handler:
    def handler(company: CompanyStore, rq: etree._Element) -> Answer:
        return handle(company, kind, rq)

    return handler


for _kind in lists.ADDABLE:
    HANDLERS[f"{_kind}AddRq"] = _for_kind(lists.add_list, _kind)
    HANDLERS[f"{_kind}ModRq"] = _for_kind(lists.mod_list, _kind)


@dataclass
class Outcome:
    """Record how QuickBooks answered one request of a message set."""

    request: str
    request_id: str | None
    code: int
    severity: str
    message: str
    change: tuple[str, str] | None = None


@dataclass
class ProcessResult:
    """Hold the qbXML response text and the per-request outcomes behind it."""

    response: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0


def process(company: CompanyStore, request_xml: str) -> ProcessResult:
    """Run every request of a message set against `company`; raise QuickBooksParseError for a bad set."""
    started = time.perf_counter()
    try:
        requests, on_error = _accept(company, request_xml)
        snapshot = copy.deepcopy(company.state) if on_error == "rollbackOnError" else None
        out = RetBuilder.element("QBXML")
        rs_parent = RetBuilder.sub(out, "QBXMLMsgsRs")
        outcomes: list[Outcome] = []
        for rq in requests:
            if company.latency:
                time.sleep(company.latency)
            answer = _answer(company, rq)
            _render(company, rs_parent, rq, answer)
            outcomes.append(
                Outcome(rq.tag, rq.get("requestID"), answer.code, answer.severity, answer.message, answer.change)
            )
            if answer.severity == "Error" and on_error != "continueOnError":
                if snapshot is not None:
                    company.state = snapshot
                    company._reindex()
                break
        return ProcessResult(RetBuilder.tostring(out), outcomes)
    finally:
        elapsed = time.perf_counter() - started
        company.qb_seconds += elapsed


def _accept(company: CompanyStore, request_xml: str) -> tuple[list[etree._Element], str]:
    """Parse and check a message set the way QuickBooks does before running any of it."""
    root = parse_qbxml(request_xml)
    version = _qbxml_version(root)
    supported = company.state.info.versions
    if version not in supported:
        raise QuickBooksParseError(detail=f"qbXML version {version} is not supported by this QuickBooks")
    if company.schema_dir is not None:
        errors = validation_errors(company.schema_dir, version, root)
        if errors:
            log.debug("message set rejected by the schema: %s", errors[:3])
            raise QuickBooksParseError(detail="; ".join(errors[:5]))
    msgs = root.find("QBXMLMsgsRq")
    if root.tag != "QBXML" or msgs is None:
        raise QuickBooksParseError(detail="no QBXML/QBXMLMsgsRq element")
    on_error = msgs.get("onError")
    if on_error not in ON_ERROR:
        raise QuickBooksParseError(detail=f"onError={on_error!r}")
    requests = [child for child in msgs if isinstance(child.tag, str)]
    for rq in requests:
        mode = rq.get("iterator")
        if not rq.tag.endswith("Rq"):
            raise QuickBooksParseError(detail=f"unknown element {rq.tag}")
        if mode is not None and (rq.tag not in queries.ITERATOR_QUERIES or mode not in ("Start", "Continue")):
            raise QuickBooksParseError(detail=f"{rq.tag} does not accept iterator={mode!r}")
        if mode == "Continue" and not rq.get("iteratorID"):
            raise QuickBooksParseError(detail="iterator Continue without iteratorID")
    return requests, on_error


def _qbxml_version(root: etree._Element) -> str:
    """Return the version of the <?qbxml version="…"?> instruction before the root element."""
    for node in root.itersiblings(preceding=True):
        if isinstance(node, etree._ProcessingInstruction) and node.target == "qbxml":
            version = node.get("version")
            if version:
                return version.strip()
    raise QuickBooksParseError(detail="missing <?qbxml version?> instruction")


def _answer(company: CompanyStore, rq: etree._Element) -> Answer:
    """Run one request; QuickBooks errors become a status on its Rs."""
    handler = HANDLERS.get(rq.tag)
    try:
        if handler is not None:
            return handler(company, rq)
        if queries.handles(rq.tag):
            return queries.query(company, rq)
    except RequestError as err:
        return Answer(code=err.code, severity=err.severity, message=err.message)
    return Answer(
        code=1030,
        severity="Error",
        message=f"The request {rq.tag} is not supported by the QuickBooks simulator.",
    )


def _render(company: CompanyStore, parent: etree._Element, rq: etree._Element, answer: Answer) -> None:
    """Append the *Rs element for one answered request, attributes in QuickBooks' order."""
    attrib: dict[str, str] = {}
    if rq.get("requestID") is not None:
        attrib["requestID"] = rq.get("requestID")
    attrib.update(
        statusCode=str(answer.code),
        statusSeverity=answer.severity,
        statusMessage=answer.message,
        **answer.attrs,
    )
    rs = RetBuilder.sub(parent, rq.tag[:-2] + "Rs")
    rs.attrib.update(attrib)
    for tag, value in answer.fields:
        RetBuilder.sub(rs, tag).text = value
    for tag, record in answer.rets:
        ret = build_ret(rs, tag, record, company.name_of, skip=answer.skip, only=answer.only)
        if answer.owner_ids:
            wanted = {owner.lower() for owner in answer.owner_ids}
            for ext in record.get("_dataext", []):
                if ext["OwnerID"].lower() in wanted:
                    build_ret(ret, "DataExtRet", ext, company.name_of)
    if len(rs) == 0:
        rs.text = None
