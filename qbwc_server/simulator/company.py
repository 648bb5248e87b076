"""The fake QuickBooks company: its lists, transactions and settings, and JSON save/load."""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import clock
from .ids import IdCounters, first_edit_sequence, format_time, next_edit_sequence
from .schema import schema_dir_from_env
from .xmltools import ref_key

log = logging.getLogger(__name__)

STATE_FORMAT = 1
ENTITY_KINDS = ("Customer", "Vendor", "Employee", "OtherName")
ITEM_KINDS = (
    "ItemService",
    "ItemNonInventory",
    "ItemOtherCharge",
    "ItemInventory",
    "ItemInventoryAssembly",
    "ItemDiscount",
    "ItemPayment",
    "ItemGroup",
    "ItemSalesTax",
    "ItemSalesTaxGroup",
)
LIST_KINDS = (
    *ENTITY_KINDS,
    *ITEM_KINDS,
    "Account",
    "StandardTerms",
    "Class",
    "PaymentMethod",
    "SalesTaxCode",
)
TXN_KINDS = ("Invoice", "ReceivePayment", "Bill", "CreditMemo", "ARRefundCreditCard")
# Kinds whose records nest under a parent and so carry FullName and Sublevel.
HIERARCHICAL = {
    "Customer",
    "Account",
    "Class",
    "ItemService",
    "ItemNonInventory",
    "ItemOtherCharge",
    "ItemInventory",
    "ItemInventoryAssembly",
    "ItemDiscount",
}
# Names are unique per namespace: customers, vendors, employees and other names share one.
NAMESPACE = {kind: "entity" for kind in ENTITY_KINDS} | {kind: "item" for kind in ITEM_KINDS}
DEFAULT_VERSIONS = (
    "1.0",
    "1.1",
    "2.0",
    "2.1",
    "3.0",
    "4.0",
    "4.1",
    "5.0",
    "6.0",
    "7.0",
    "8.0",
    "9.0",
    "10.0",
    "11.0",
    "12.0",
    "13.0",
)


def namespace_of(kind: str) -> str:
    """Return the name namespace a list kind belongs to."""
    return NAMESPACE.get(kind, kind)


@functools.lru_cache(maxsize=256)
def namespaces_of(kinds: tuple[str, ...]) -> tuple[str, ...]:
    """Return the namespaces a reference to any of `kinds` is looked up in, in order, once per set of kinds."""
    return tuple(dict.fromkeys(namespace_of(kind) for kind in kinds))


@dataclass
class CompanyInfo:
    """Describe the company file itself (CompanyRet, HostRet and where the file lives)."""

    name: str = "Sample Service Company"
    file_path: str = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\Sample Service Company.QBW"
    product_name: str = "QuickBooks Pro 2014"
    major_version: str = "24"
    minor_version: str = "0"
    country: str = "US"
    versions: tuple[str, ...] = DEFAULT_VERSIONS
    tz_offset_minutes: int = -300

    def highest_version(self) -> tuple[int, int]:
        """Return the highest qbXML version this QuickBooks supports as (major, minor)."""
        best = max(self.versions, key=lambda v: tuple(int(p) for p in v.split(".")))
        major, minor = best.split(".")
        return int(major), int(minor)


@dataclass
class CompanyState:
    """Hold everything saved in the company's JSON file."""

    info: CompanyInfo = field(default_factory=CompanyInfo)
    counters: IdCounters = field(default_factory=IdCounters)
    lists: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {k: {} for k in LIST_KINDS})
    txns: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {k: {} for k in TXN_KINDS})
    company_data_ext: list[dict[str, str]] = field(default_factory=list)
    preferences: dict[str, str] = field(default_factory=dict)
    session: int = 0
    seq: int = 0
    # What was deleted and when (for ListDeletedQuery / TxnDeletedQuery).
    deleted: list[dict[str, Any]] = field(default_factory=list)


class CompanyStore:
    """Keep the company's records with the indexes QuickBooks looks things up by (ListID, TxnID, name)."""

    def __init__(self, state: CompanyState | None = None, *, schema_dir: str | Path | None = None) -> None:
        self.state = state or CompanyState()
        self.schema_dir: Path | None = Path(schema_dir) if schema_dir else schema_dir_from_env()
        self.latency = 0.0
        self.qb_seconds = 0.0
        self.iterators: dict[str, Any] = {}
        self._reindex()

    # -- time -------------------------------------------------------------------------------------------
    def now(self) -> datetime:
        """Return the current time from the clock seam."""
        return clock.now()

    def stamp(self, when: datetime | None = None) -> str:
        """Return a QuickBooks time stamp in the company's offset."""
        return format_time(when or self.now(), self.state.info.tz_offset_minutes)

    def today(self) -> str:
        """Return today's date in the company's time zone."""
        return self.stamp()[:10]

    # -- indexes ----------------------------------------------------------------------------------------
    def _reindex(self) -> None:
        """Rebuild the ListID, TxnID and name indexes from the records."""
        self.by_list_id: dict[str, tuple[str, dict[str, Any]]] = {}
        self.by_txn_id: dict[str, tuple[str, dict[str, Any]]] = {}
        self.names: dict[str, dict[str, str]] = {}
        for kind, records in self.state.lists.items():
            for list_id, record in records.items():
                self.by_list_id[list_id] = (kind, record)
                self.names.setdefault(namespace_of(kind), {})[ref_key(self.full_name(record))] = list_id
        for kind, records in self.state.txns.items():
            for txn_id, record in records.items():
                self.by_txn_id[txn_id] = (kind, record)

    @staticmethod
    def full_name(record: dict[str, Any]) -> str:
        """Return a list record's full name (Name for flat lists)."""
        return record.get("FullName") or record["Name"]

    def name_of(self, list_id: str) -> str | None:
        """Return the current full name of the record with `list_id`, if any."""
        found = self.by_list_id.get(list_id)
        return self.full_name(found[1]) if found else None

    def lookup_name(self, namespace: str, full_name: str) -> tuple[str, dict[str, Any]] | None:
        """Return (kind, record) for a full name in a namespace, compared as QuickBooks does (any case)."""
        list_id = self.names.get(namespace, {}).get(ref_key(full_name))
        return self.by_list_id.get(list_id) if list_id else None

    def find_list(self, kinds: tuple[str, ...], ref: dict[str, str]) -> tuple[str, dict[str, Any]] | None:
        """Resolve a reference ({ListID} or {FullName}) to a record of one of `kinds`."""
        if ref.get("ListID"):
            found = self.by_list_id.get(ref["ListID"])
        elif ref.get("FullName"):
            found = None
            for namespace in namespaces_of(kinds):
                found = self.lookup_name(namespace, ref["FullName"])
                if found:
                    break
        else:
            found = None
        return found if found and found[0] in kinds else None

    def list_by_name(self, kind: str, full_name: str) -> dict[str, Any]:
        """Return a record by exact kind and name; raise KeyError when missing (for samples and defaults)."""
        found = self.lookup_name(namespace_of(kind), full_name)
        if not found or found[0] != kind:
            raise KeyError(f"{kind} {full_name!r}")
        return found[1]

    def ref_to(self, record: dict[str, Any]) -> dict[str, str]:
        """Return a stored reference to a list record."""
        return {"ListID": record["ListID"]}

    # -- writes -----------------------------------------------------------------------------------------
    def next_seq(self) -> int:
        """Return an increasing number that orders records stably."""
        self.state.seq += 1
        return self.state.seq

    def insert_list(self, kind: str, fields: dict[str, Any], parent: dict[str, Any] | None = None) -> dict[str, Any]:
        """Create a list record with QuickBooks' ids and times; the caller has checked name uniqueness."""
        when = self.now()
        record: dict[str, Any] = {
            "ListID": self.state.counters.next_list_id(when),
            "TimeCreated": self.stamp(when),
            "TimeModified": self.stamp(when),
            "EditSequence": first_edit_sequence(when),
            "_seq": self.next_seq(),
        }
        record.update(fields)
        record.setdefault("IsActive", "true")
        self._place(kind, record, parent)
        self.state.lists[kind][record["ListID"]] = record
        self.by_list_id[record["ListID"]] = (kind, record)
        self.names.setdefault(namespace_of(kind), {})[ref_key(self.full_name(record))] = record["ListID"]
        return record

    def _place(self, kind: str, record: dict[str, Any], parent: dict[str, Any] | None) -> None:
        """Set FullName, ParentRef and Sublevel for hierarchical kinds."""
        if kind not in HIERARCHICAL:
            return
        if parent is None:
            record.pop("ParentRef", None)
            record["FullName"] = record["Name"]
            record["Sublevel"] = "0"
        else:
            record["ParentRef"] = self.ref_to(parent)
            record["FullName"] = f"{parent['FullName']}:{record['Name']}"
            record["Sublevel"] = str(int(parent["Sublevel"]) + 1)

    def rename(self, kind: str, record: dict[str, Any], name: str, parent: dict[str, Any] | None) -> None:
        """Change a list record's name or parent, carrying its children's full names along."""
        names = self.names.setdefault(namespace_of(kind), {})
        names.pop(ref_key(self.full_name(record)), None)
        record["Name"] = name
        self._place(kind, record, parent)
        names[ref_key(self.full_name(record))] = record["ListID"]
        if kind in HIERARCHICAL:
            for child in list(self.state.lists[kind].values()):
                if child.get("ParentRef", {}).get("ListID") == record["ListID"]:
                    self.rename(kind, child, child["Name"], record)

    def touch(self, record: dict[str, Any]) -> None:
        """Mark a record modified now: new TimeModified and a bumped EditSequence."""
        when = self.now()
        record["TimeModified"] = self.stamp(when)
        record["EditSequence"] = next_edit_sequence(record["EditSequence"], when)
        record["_seq"] = self.next_seq()

    def insert_txn(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Create a transaction record with QuickBooks' ids and times."""
        when = self.now()
        record: dict[str, Any] = {
            "TxnID": self.state.counters.next_txn_id(when),
            "TimeCreated": self.stamp(when),
            "TimeModified": self.stamp(when),
            "EditSequence": first_edit_sequence(when),
            "TxnNumber": str(self.state.counters.next_txn_number()),
            "_seq": self.next_seq(),
        }
        record.update(fields)
        self.state.txns[kind][record["TxnID"]] = record
        self.by_txn_id[record["TxnID"]] = (kind, record)
        return record

    def delete_list(self, kind: str, list_id: str) -> None:
        """Remove a list record and its name from the indexes (the caller checked nothing uses it)."""
        record = self.state.lists[kind].pop(list_id)
        self.by_list_id.pop(list_id, None)
        self.names.get(namespace_of(kind), {}).pop(ref_key(self.full_name(record)), None)

    def delete_txn(self, kind: str, txn_id: str) -> None:
        """Remove a transaction."""
        self.state.txns[kind].pop(txn_id)
        self.by_txn_id.pop(txn_id, None)

    def new_line_id(self) -> str:
        """Return a new TxnLineID."""
        return self.state.counters.next_line_id(self.now())

    # -- persistence ------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Return the whole company as JSON-ready data."""
        info = self.state.info
        return {
            "format": STATE_FORMAT,
            "info": {**info.__dict__, "versions": list(info.versions)},
            "counters": self.state.counters.to_json(),
            "session": self.state.session,
            "seq": self.state.seq,
            "preferences": self.state.preferences,
            "company_data_ext": self.state.company_data_ext,
            "lists": {kind: list(records.values()) for kind, records in self.state.lists.items()},
            "txns": {kind: list(records.values()) for kind, records in self.state.txns.items()},
            "deleted": self.state.deleted,
        }

    @staticmethod
    def state_from_json(data: dict[str, Any]) -> CompanyState:
        """Rebuild saved state; refuse files written in another format."""
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported company file format {data.get('format')!r}")
        info = CompanyInfo(**{**data["info"], "versions": tuple(data["info"]["versions"])})
        lists: dict[str, dict[str, Any]] = {kind: {} for kind in LIST_KINDS}
        for kind, records in data["lists"].items():
            lists[kind] = {record["ListID"]: record for record in records}
        txns: dict[str, dict[str, Any]] = {kind: {} for kind in TXN_KINDS}
        for kind, records in data["txns"].items():
            txns[kind] = {record["TxnID"]: record for record in records}
        return CompanyState(
            info=info,
            counters=IdCounters.from_json(data["counters"]),
            lists=lists,
            txns=txns,
            company_data_ext=list(data["company_data_ext"]),
            preferences=dict(data["preferences"]),
            session=int(data["session"]),
            seq=int(data["seq"]),
            deleted=list(data.get("deleted", [])),
        )

    def save(self, path: str | Path) -> None:
        """Write the company to a JSON file (atomically, so a crash never leaves half a file)."""
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), separators=(",", ":")), encoding="utf-8")
        tmp.replace(target)
        log.debug("saved company to %s", target)
