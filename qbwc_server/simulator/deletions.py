"""Deleting in QuickBooks (ListDelRq, TxnDelRq, as a bookkeeper's delete does) and asking what was deleted
(ListDeletedQueryRq, TxnDeletedQueryRq).

QuickBooks refuses to delete a list entry that transactions or sub-entries still use. A transaction's deletion does
what `removals.txn_del` does (a deleted invoice's payments become unused credit; a deleted payment reopens the
invoices it paid). Each deletion is remembered with its time, for the deleted queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from . import removals
from .answer import NO_MATCH, Answer
from .errors import RequestError
from .ids import parse_time
from .lists import object_not_found
from .xmltools import children_text

if TYPE_CHECKING:
    from .company import CompanyStore


def list_del(company: CompanyStore, rq: etree._Element) -> Answer:
    """Delete a list entry, unless something still uses it."""
    del_type, list_id = rq.findtext("ListDelType") or "", rq.findtext("ListID") or ""
    found = company.by_list_id.get(list_id)
    if found is None or found[0] != del_type:
        raise object_not_found(list_id)
    kind, record = found
    full_name = company.full_name(record)
    if _list_in_use(company, list_id):
        raise RequestError(
            3180,
            f'There was an error when deleting a {del_type} list element "{full_name}".  QuickBooks error message: '
            "This list element is in use and cannot be deleted.",
        )
    company.delete_list(kind, list_id)
    when = company.stamp()
    company.state.deleted.append(
        {"Kind": "List", "Type": del_type, "ID": list_id, "TimeCreated": record["TimeCreated"], "TimeDeleted": when,
         "Name": full_name}
    )  # fmt: skip
    fields = [("ListDelType", del_type), ("ListID", list_id), ("TimeDeleted", when), ("FullName", full_name)]
    return Answer(fields=fields, change=("delete", del_type))


def txn_del(company: CompanyStore, rq: etree._Element) -> Answer:
    """Delete a transaction as QuickBooks does (`removals.txn_del`: payments freed, invoices reopened, credits given
    back) and remember the deletion for TxnDeletedQuery."""
    found = company.by_txn_id.get(rq.findtext("TxnID") or "")
    answer = removals.txn_del(company, rq)
    assert found is not None  # removals.txn_del refused an unknown TxnID
    kind, record = found
    company.state.deleted.append(
        {"Kind": "Txn", "Type": kind, "ID": record["TxnID"], "TimeCreated": record["TimeCreated"],
         "TimeDeleted": dict(answer.fields)["TimeDeleted"], "Name": record.get("RefNumber")}
    )  # fmt: skip
    return answer


def list_deleted_query(company: CompanyStore, rq: etree._Element) -> Answer:
    """Answer which list entries of the asked types were deleted (within DeletedDateRangeFilter)."""
    return _deleted(company, rq, "List", "ListDelType", "ListDeletedRet")


def txn_deleted_query(company: CompanyStore, rq: etree._Element) -> Answer:
    """Answer which transactions of the asked types were deleted (within DeletedDateRangeFilter)."""
    return _deleted(company, rq, "Txn", "TxnDelType", "TxnDeletedRet")


def _deleted(company: CompanyStore, rq: etree._Element, family: str, type_tag: str, ret_tag: str) -> Answer:
    types = set(children_text(rq, type_tag))
    offset = company.state.info.tz_offset_minutes
    low = rq.findtext("DeletedDateRangeFilter/FromDeletedDate")
    high = rq.findtext("DeletedDateRangeFilter/ToDeletedDate")
    rets: list[tuple[str, dict[str, Any]]] = []
    for gone in sorted(company.state.deleted, key=lambda d: parse_time(d["TimeDeleted"], offset)):
        if gone["Kind"] != family or gone["Type"] not in types:
            continue
        when = parse_time(gone["TimeDeleted"], offset)
        if (low and when < parse_time(low, offset)) or (high and when > parse_time(high, offset)):
            continue
        id_tag, name_tag = ("ListID", "FullName") if family == "List" else ("TxnID", "RefNumber")
        ret = {type_tag: gone["Type"], id_tag: gone["ID"], "TimeCreated": gone["TimeCreated"]}
        ret["TimeDeleted"] = gone["TimeDeleted"]
        if gone.get("Name"):
            ret[name_tag] = gone["Name"]
        rets.append((ret_tag, ret))
    if not rets:
        return Answer(code=1, severity="Info", message=NO_MATCH)
    return Answer(rets=rets)


def _list_in_use(company: CompanyStore, list_id: str) -> bool:
    """Tell whether any transaction refers to the entry, or any entry hangs below it."""
    for records in company.state.lists.values():
        if any(r.get("ParentRef", {}).get("ListID") == list_id for r in records.values()):
            return True
    return any(_refers(record, list_id) for records in company.state.txns.values() for record in records.values())


def _refers(value: Any, list_id: str) -> bool:
    if isinstance(value, dict):
        return value.get("ListID") == list_id or any(_refers(v, list_id) for v in value.values())
    if isinstance(value, list):
        return any(_refers(v, list_id) for v in value)
    return False
