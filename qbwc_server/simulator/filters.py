"""The filters of list and transaction queries (active status, dates, names, entities, ref numbers)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lxml import etree

from .ids import parse_time
from .xmltools import children_text, ref_key

if TYPE_CHECKING:
    from .company import CompanyStore

ENTITY_FIELDS = ("CustomerRef", "VendorRef")


def list_filter(company: CompanyStore, rq: etree._Element, kind: str, record: dict[str, Any]) -> bool:
    """Return whether a list record passes a query's ListFilter (ActiveOnly unless told otherwise)."""
    status = rq.findtext("ActiveStatus") or "ActiveOnly"
    active = record.get("IsActive", "true") == "true"
    if (status == "ActiveOnly" and not active) or (status == "InactiveOnly" and active):
        return False
    offset = company.state.info.tz_offset_minutes
    if not _in_time_range(record, rq.findtext("FromModifiedDate"), rq.findtext("ToModifiedDate"), offset):
        return False
    if not name_matches(company.full_name(record), rq):
        return False
    account_types = children_text(rq, "AccountType")
    if account_types and record.get("AccountType") not in account_types:
        return False
    method_types = children_text(rq, "PaymentMethodType")
    return not method_types or record.get("PaymentMethodType") in method_types


def txn_filter(company: CompanyStore, rq: etree._Element, record: dict[str, Any]) -> bool:
    """Return whether a transaction passes a query's TxnFilter and the RefNumber/paid-status filters."""
    numbers = children_text(rq, "RefNumber")
    if numbers and ref_key(record.get("RefNumber", "")) not in {ref_key(n) for n in numbers}:
        return False
    exact = children_text(rq, "RefNumberCaseSensitive")
    if exact and record.get("RefNumber") not in exact:
        return False
    offset = company.state.info.tz_offset_minutes
    modified = rq.find("ModifiedDateRangeFilter")
    if modified is not None and not _in_time_range(
        record, modified.findtext("FromModifiedDate"), modified.findtext("ToModifiedDate"), offset
    ):
        return False
    dates = rq.find("TxnDateRangeFilter")
    if dates is not None:
        low, high = dates.findtext("FromTxnDate"), dates.findtext("ToTxnDate")
        if (low and record["TxnDate"] < low) or (high and record["TxnDate"] > high):
            return False
    entity = rq.find("EntityFilter")
    if entity is not None and not _entity_matches(company, entity, record):
        return False
    if not _ref_number_matches(rq, record.get("RefNumber", "")):
        return False
    paid = rq.findtext("PaidStatus") or "All"
    is_paid = record.get("IsPaid") == "true"
    return not ((paid == "PaidOnly" and not is_paid) or (paid == "NotPaidOnly" and is_paid))


def _in_time_range(record: dict[str, Any], low: str | None, high: str | None, offset: int) -> bool:
    """Compare TimeModified with From/ToModifiedDate (both inclusive)."""
    if not low and not high:
        return True
    modified = _parsed(record["TimeModified"], offset)
    if low and modified < _parsed(low, offset):
        return False
    return not (high and modified > _parsed(high, offset))


@lru_cache(maxsize=65536)
def _parsed(text: str, offset: int) -> Any:
    """Parse a time stamp once; queries compare the same stamps many times."""
    return parse_time(text, offset)


def _entity_matches(company: CompanyStore, entity: etree._Element, record: dict[str, Any]) -> bool:
    """Match EntityFilter by ListID/FullName, optionally with every job below the named entity."""
    wanted: set[str] = set(children_text(entity, "ListID"))
    for name in children_text(entity, "FullName"):
        hit = company.lookup_name("entity", name)
        if hit:
            wanted.add(hit[1]["ListID"])
    with_children = entity.findtext("ListIDWithChildren")
    by_name = entity.findtext("FullNameWithChildren")
    if by_name:
        hit = company.lookup_name("entity", by_name)
        with_children = hit[1]["ListID"] if hit else "-"
    if with_children:
        wanted.add(with_children)
        root = company.name_of(with_children)
        if root:
            prefix = ref_key(root) + ":"
            for customer in company.state.lists["Customer"].values():
                if ref_key(customer["FullName"]).startswith(prefix):
                    wanted.add(customer["ListID"])
    owner = next((record[f]["ListID"] for f in ENTITY_FIELDS if f in record), None)
    return owner in wanted


def _ref_number_matches(rq: etree._Element, number: str) -> bool:
    """Apply RefNumberFilter (MatchCriterion) or RefNumberRangeFilter."""
    match = rq.find("RefNumberFilter")
    if match is not None:
        wanted = ref_key(match.findtext("RefNumber") or "")
        value = ref_key(number)
        criterion = match.findtext("MatchCriterion")
        if criterion == "StartsWith":
            return value.startswith(wanted)
        if criterion == "EndsWith":
            return value.endswith(wanted)
        return wanted in value
    ranged = rq.find("RefNumberRangeFilter")
    if ranged is not None:
        low, high = ranged.findtext("FromRefNumber"), ranged.findtext("ToRefNumber")
        return not ((low and number < low) or (high and number > high))
    return True


def name_matches(full_name: str, rq: etree._Element) -> bool:
    """Apply NameFilter / NameRangeFilter to a full name, case-insensitively like QuickBooks."""
    value = ref_key(full_name)
    name_filter = rq.find("NameFilter")
    if name_filter is not None:
        wanted = ref_key(name_filter.findtext("Name") or "")
        criterion = name_filter.findtext("MatchCriterion")
        if criterion == "StartsWith":
            return value.startswith(wanted)
        if criterion == "EndsWith":
            return value.endswith(wanted)
        return wanted in value
    name_range = rq.find("NameRangeFilter")
    if name_range is not None:
        low = ref_key(name_range.findtext("FromName") or "")
        high = name_range.findtext("ToName")
        if value < low:
            return False
        return high is None or value <= ref_key(high) or value.startswith(ref_key(high))
    return True
