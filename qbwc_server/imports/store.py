"""Upsert imported QuickBooks objects into our records: link, create or update, and log what QuickBooks changed.

Records we create are marked ``origin: quickbooks`` with ``external_id`` "qb-<ListID or TxnID>" and are already
in their synced version, so nothing is ever sent back as an Add. A local record with the same QuickBooks name
(or id) is linked instead of duplicated. Changes made in QuickBooks update our data without queueing it back.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import clock, synclog, tax_mapping
from qbwc_server.company_settings import effective, kind_choice
from qbwc_server.imports import changes, conflicts, created, linking, reference_lists
from qbwc_server.imports.entry import identity_of
from qbwc_server.imports.mapping import Entry
from qbwc_server.models import (
    Company,
    LogEvent,
    Origin,
    QbListEntry,
    QueueStatus,
    Record,
    RecordKind,
    SyncState,
)
from qbwc_server.sync import comparison, lifecycle, queue, totals
from qbwc_server.sync.lifecycle import Event, ItemEvent
from qbwc_server.webhooks import outbox

log = logging.getLogger(__name__)


class Counts:
    """What a chunk did: objects seen, records or entries created and updated."""

    def __init__(self) -> None:
        self.seen = 0
        self.created = 0
        self.updated = 0


class Store:
    """Apply chunks of mapped objects of one import to the database; lookups are cached for the whole answer."""

    def __init__(self, db: Session, company: Company, record_kinds: tuple[RecordKind, ...], ticket: str | None = None):
        self.db = db
        self.company = company
        self.record_kinds = record_kinds
        self.settings = effective(company.settings)
        self.ticket = ticket
        self._by_qb_id: dict[tuple[RecordKind, str], Record | created.Created] = {}
        self._unlinked: dict[str, Record] | None = None
        self._tax_codes: dict[str, bool] | None = None
        self._logs: list[tuple[Record | created.Created, LogEvent, str]] = []
        self._created: list[created.Created] = []  # new records waiting for the chunk's INSERT
        self._settlements: dict[str, tuple[totals.Settlement, str, str]] = {}

    # --- the chunk --------------------------------------------------------------------------------------

    def apply(self, entries: Sequence[Entry]) -> Counts:
        """Store one chunk of objects (parents before their jobs) and return what it did."""
        counts = Counts()
        self._by_qb_id.clear()  # what a chunk needs is loaded again, so memory stays flat over a long answer
        listed = reference_lists.upsert(self.db, self.company.id, entries)
        with_records = sorted((e for e in entries if e.record_kind is not None), key=lambda e: e.sublevel)
        if with_records:
            self._prefetch(with_records)
        recorded: dict[str, str] = {}
        for entry in with_records:
            recorded[entry.qb_id] = self._upsert(entry)
        self._insert_created()
        self._settle_invoices()
        self.db.flush()
        events = [(self.company.id, record.id, event, message) for record, event, message in self._logs]
        synclog.append_all(self.db, events, ticket=self.ticket)  # type: ignore[arg-type]
        self._logs.clear()
        for entry in entries:
            counts.seen += 1
            result = recorded.get(entry.qb_id) or listed.get(entry.qb_id, "unchanged")
            counts.created += result == "created"
            counts.updated += result == "updated"
        return counts

    def _prefetch(self, entries: Sequence[Entry]) -> None:
        """Load, in three queries, the records the chunk is about and the records it refers to."""
        ids = {e.qb_id for e in entries}
        # By QuickBooks id and by "qb-<id>" apart: each is then one index search, where one query with OR scanned
        # every record of the kinds (and the import got slower with every page it stored).
        mine = self.db.scalars(
            select(Record).where(
                Record.company_id == self.company.id, Record.kind.in_(self.record_kinds), Record.qb_id.in_(ids)
            )
        ).all()
        named = self.db.scalars(
            select(Record).where(
                Record.company_id == self.company.id,
                Record.kind.in_(self.record_kinds),
                Record.external_id.in_({f"qb-{i}" for i in ids}),
            )
        ).all()
        for record in [*mine, *named]:
            self._remember(record)
        wanted: dict[str, set[RecordKind]] = {}
        for entry in entries:
            for kinds, qb_id in entry.refs.values():
                if not any((kind, qb_id) in self._by_qb_id for kind in kinds):
                    wanted.setdefault(qb_id, set()).update(kinds)
        if wanted:
            kinds = tuple({kind for group in wanted.values() for kind in group})
            rows = self.db.scalars(
                select(Record).where(
                    Record.company_id == self.company.id, Record.kind.in_(kinds), Record.qb_id.in_(set(wanted))
                )
            ).all()
            for record in rows:
                self._remember(record)

    def _insert_created(self) -> None:
        """Insert the records the chunk created so far in one multi-row INSERT, and learn their ids."""
        created.insert_all(self.db, self._created)
        self._created = []

    def _remember(self, record: Record | created.Created) -> None:
        if record.qb_id:
            self._by_qb_id[(record.kind, record.qb_id)] = record
        if record.external_id.startswith("qb-"):
            self._by_qb_id.setdefault((record.kind, record.external_id[3:]), record)

    def _find(self, kinds: tuple[RecordKind, ...], qb_id: str) -> Record | created.Created | None:
        for kind in kinds:
            record = self._by_qb_id.get((kind, qb_id))
            if record is not None:
                return record
        return None

    # --- one object -------------------------------------------------------------------------------------

    def _upsert(self, entry: Entry) -> str:
        result = self._upsert_record(entry)
        if entry.record_kind is RecordKind.PAYMENT:
            self._collect_settlements(entry)
        return result

    def _upsert_record(self, entry: Entry) -> str:
        assert entry.record_kind is not None
        record = self._find(self.record_kinds, entry.qb_id)
        if isinstance(record, created.Created):
            # The same object twice in one chunk: the copy created a moment ago becomes a record to compare with.
            self._insert_created()
            record = self.db.get(Record, record.id)
            assert record is not None
            self._remember(record)
        if record is not None and record.qb_id not in (None, entry.qb_id):
            record = None  # "qb-<id>" names a record QuickBooks has since given another id: keep both apart
        if record is not None and record.qb_id == entry.qb_id and record.qb_edit_sequence == entry.edit_sequence:
            # QuickBooks has not touched it since we last saw or sent it: nothing to take over.
            if not (record.qb_data or {}).get("snapshot"):
                record.qb_data = self._qb_data(entry, self._resolve(entry))
            self._figures(record, entry, None)
            return "unchanged"
        data = self._resolve(entry)
        if record is None:
            record = self._match_by_name(entry)
            if record is not None:
                return self._link(record, entry, data)
            return self._create(entry, data)
        return self._update(record, entry, data)

    def _resolve(self, entry: Entry) -> dict[str, Any]:
        """Return the entry's data with QuickBooks references turned into our external ids."""
        if (
            not entry.refs
            and not entry.tax_codes
            and not (entry.record_kind is RecordKind.INVOICE and entry.data.get("tax_rate"))
        ):
            return entry.data  # nothing to resolve: the entry's data as mapped (only read from here on)
        data = copy.deepcopy(entry.data)
        for path, (kinds, qb_id) in entry.refs.items():
            target = self._find(kinds, qb_id)
            if target is None:
                continue  # not imported (yet): the "qb-<id>" placeholder names it
            if path == "customer" and target.kind is RecordKind.JOB and entry.record_kind is not RecordKind.JOB:
                # For a job: our invoices name the job and its customer separately, payments only the customer.
                if entry.record_kind is RecordKind.INVOICE:
                    data["job"] = target.external_id
                data["customer"] = (target.data or {}).get("customer") or data.get("customer")
            elif path.endswith(".customer") and target.kind is RecordKind.JOB:
                # A bill line billable to a job names the job and its customer, as the app's bill lines do.
                _put(data, path[: -len("customer")] + "job", target.external_id)
                _put(data, path, (target.data or {}).get("customer") or target.external_id)
            else:
                _put(data, path, target.external_id)
        for path, code in entry.tax_codes.items():
            taxable = self._taxable(code)
            if taxable is not None:
                _put(data, path, taxable)
        if entry.record_kind is RecordKind.INVOICE and data.get("tax_rate"):
            # Show the app's own tax rate name when the company mapped one to this QuickBooks item.
            reverse = {item: rate for rate, item in tax_mapping.item_names(self.settings.get("tax_mapping")).items()}
            data["tax_rate"] = reverse.get(data["tax_rate"], data["tax_rate"])
        return data

    def _taxable(self, code: str) -> bool | None:
        if self._tax_codes is None:
            rows = self.db.execute(
                select(QbListEntry.full_name, QbListEntry.data).where(
                    QbListEntry.company_id == self.company.id, QbListEntry.list_type == "sales_tax_code"
                )
            ).all()
            self._tax_codes = {
                name.casefold(): bool(data["taxable"]) for name, data in rows if "taxable" in (data or {})
            }
        known = self._tax_codes.get(code.casefold())
        if known is not None:
            return known
        if code.casefold() == str(self.settings.get("sales_tax_code_taxable") or "").casefold():
            return True
        if code.casefold() == str(self.settings.get("sales_tax_code_non_taxable") or "").casefold():
            return False
        return None

    def _create(self, entry: Entry, data: dict[str, Any]) -> str:
        """Make a new record of QuickBooks' object; it goes in with the chunk's other new records in one INSERT."""
        assert entry.record_kind is not None
        now = clock.now()
        figures = None
        if entry.record_kind.is_transaction:
            figures = totals.from_import(entry.record_kind, entry.qb_data)
        row: dict[str, Any] = {
            "company_id": self.company.id,
            "kind": entry.record_kind,
            "external_id": f"qb-{entry.qb_id}",
            "data": data,
            "origin": Origin.QUICKBOOKS,
            "version": 1,
            # Inserted before anything could change it: the snapshot may share the data it is a copy of.
            "qb_data": self._qb_data(entry, data, copy_data=False),
            "created_at": now,
            "updated_at": now,
            # Created from QuickBooks' own copy: it starts in sync, with QuickBooks' identity and figures.
            **lifecycle.imported_columns(identity_of(entry), 1, figures),
        }
        new = created.Created(row)
        self._created.append(new)
        self._remember(new)
        self._logs.append((new, LogEvent.IMPORTED, f"Imported from QuickBooks ({_label(entry)})."))
        if entry.record_kind is RecordKind.PAYMENT:
            self._note_payment(entry, data, previous=None)
        return "created"

    def _link(self, record: Record, entry: Entry, data: dict[str, Any]) -> str:
        """Attach QuickBooks' object to a local record with the same name; the app's data stays as it is."""
        self._insert_created()  # a customer's jobs are repointed in the database
        item = queue.open_item(self.db, record)
        if item is not None and item.status is QueueStatus.SENT:
            return "unchanged"  # its own request is with QuickBooks right now; the sync links it
        old_external = f"qb-{entry.qb_id}"
        keep = record.kind.is_list and (
            bool((record.data or {}).get("link_only"))
            or kind_choice(self.settings, "link_policy", record.kind.value) == "keep_quickbooks"
        )
        # keep_quickbooks: QuickBooks keeps its values, so the record is in step as it is; only later edits go.
        lifecycle.adopt(record, identity_of(entry), line_ids=False, confirm_version=keep, linked=keep)
        if keep and item is not None:
            lifecycle.move_item(item, ItemEvent.CANCEL)
        if keep and record.sync_state is not SyncState.SYNCED:
            lifecycle.move(self.db, record, Event.CONFIRM)
        record.qb_data = self._qb_data(entry, data)
        self._figures(record, entry, data)
        record.updated_at = clock.now()
        self._remember(record)
        if self._unlinked is not None:
            self._unlinked.pop(linking.match_key(entry), None)
        if entry.record_kind is RecordKind.CUSTOMER:
            linking.repoint_jobs(self.db, self.company.id, entry.full_name, old_external, record.external_id)
        kept = " QuickBooks keeps its own values (link policy keep_quickbooks); nothing is sent." if keep else ""
        self._logs.append(
            (
                record,
                LogEvent.LINKED,
                f"Linked to the {_label(entry)} already in QuickBooks instead of adding it again.{kept}",
            )
        )
        return "updated"

    def _update(self, record: Record, entry: Entry, data: dict[str, Any]) -> str:
        """Take over what changed in QuickBooks since we last saw the object, without sending it back.

        A field the app changed too since the last sync is a conflict, settled by the company's `conflicts` setting.
        """
        self._insert_created()  # a customer's jobs are renamed in the database
        fields = changes.MAPPED_FIELDS[record.kind]
        before = conflicts.ancestor(record, self.settings)
        found = changes.diff(before, data, fields)
        previous_payment = (record.qb_data or {}).get("snapshot") if record.kind is RecordKind.PAYMENT else None
        old_full_name = record.qb_full_name
        had_unsent_changes = record.synced_version != record.version
        ours = linking.baseline(record, self.settings)
        lines = record.origin is Origin.QUICKBOOKS and entry.record_kind in (RecordKind.INVOICE, RecordKind.BILL)
        lifecycle.adopt(record, identity_of(entry), line_ids=lines, confirm_version=False)
        record.qb_data = self._qb_data(entry, data, record)
        self._figures(record, entry, data)
        record.updated_at = clock.now()
        if old_full_name and entry.record_kind is RecordKind.CUSTOMER and old_full_name != entry.full_name:
            linking.rename_jobs(self.db, self.company.id, old_full_name, entry.full_name)
        if record.kind is RecordKind.PAYMENT:
            self._note_payment(entry, data, previous=previous_payment)
        if record.origin is Origin.APP and record.kind.is_transaction:
            # The app owns its invoices and payments: keep QuickBooks' identity and figures, not its wording.
            return "unchanged"
        if not found:
            return "unchanged"
        rule = str(self.settings.get("conflicts") or conflicts.APP_WINS)
        clashes = conflicts.find(found, before, ours, fields) if had_unsent_changes else []
        record.data = conflicts.merge(record.data or {}, data, found, clashes, rule)
        record.version += 1
        taken = [change for change in found if not any(c.field == change[0] for c in clashes)]
        if clashes:
            record.qb_data = {**record.qb_data, "conflicts": conflicts.as_json(clashes, rule)}
            self._logs.append((record, LogEvent.CONFLICT, conflicts.describe(clashes, rule)))
        if not had_unsent_changes:
            # QuickBooks already has it: nothing to send back.
            lifecycle.adopt(record, identity_of(entry), line_ids=lines, confirm_version=True)
        if taken:
            self._logs.append(
                (record, LogEvent.CHANGED_IN_QUICKBOOKS, f"Changed in QuickBooks: {changes.describe(taken)}")
            )
        outbox.changed_in_quickbooks(self.db, record, sorted(changes.changed_fields(found)))
        return "updated"

    # What a record keeps in qb_data across imports: what we last sent, and the latest conflicts.
    _KEPT = ("synced_data", "synced_es", "conflicts")

    def _qb_data(
        self, entry: Entry, data: dict[str, Any], record: Record | None = None, *, copy_data: bool = True
    ) -> dict[str, Any]:
        kept = {key: value for key, value in ((record.qb_data if record else None) or {}).items() if key in self._KEPT}
        snapshot = copy.deepcopy(data) if copy_data else data
        return {**kept, **entry.qb_data, "time_modified": entry.time_modified, "snapshot": snapshot}

    # --- QuickBooks' figures: totals, balances, paid --------------------------------------------------------

    def _figures(self, record: Record, entry: Entry, data: dict[str, Any] | None) -> None:
        """Keep QuickBooks' totals of a transaction, compared with the app's when QuickBooks has its version."""
        if entry.record_kind is None or not entry.record_kind.is_transaction:
            return
        figures = totals.from_import(entry.record_kind, entry.qb_data)
        warnings = None
        if data is not None and record.origin is Origin.APP and record.synced_version == record.version:
            warnings = comparison.compare_imported(record, self.settings, figures, data)
        lifecycle.store_figures(record, figures, warnings)

    def _collect_settlements(self, entry: Entry) -> None:
        """Keep, per invoice a payment pays, QuickBooks' balance of it and the latest payment applied to it."""
        balances = entry.qb_data.get("invoice_balances") or {}
        applied = entry.data.get("applied_to") or []
        day = str(entry.data.get("date") or "")
        for index, item in enumerate(applied):
            ref = entry.refs.get(f"applied_to.{index}.invoice")
            if ref is None or ref[1] not in balances:
                continue
            settlement = totals.Settlement(ref[1], str(balances[ref[1]]), str(item.get("amount") or "0.00"), day)
            kept = self._settlements.get(ref[1])
            # The balance is QuickBooks' balance now, whichever payment tells it: the latest payment paid it.
            if kept is None or (day, entry.time_modified or "") >= (kept[0].paid_on, kept[2]):
                self._settlements[ref[1]] = (settlement, _payment_label(entry), entry.time_modified or "")

    def _settle_invoices(self) -> None:
        """Take QuickBooks' balance of each invoice the chunk's payments pay; the invoice's log says when it is paid."""
        for settlement, label, _ in self._settlements.values():
            totals.settle(self.db, self.company, settlement, label, self.ticket)
        self._settlements.clear()

    # --- linking by name --------------------------------------------------------------------------------

    def _match_by_name(self, entry: Entry) -> Record | None:
        if entry.record_kind in (RecordKind.PAYMENT, RecordKind.BILL):
            return None  # no name of their own: an app's payment or bill is found by the lookup when it is sent
        if self._unlinked is None:
            self._unlinked = linking.unlinked_by_name(self.db, self.company.id, self.record_kinds, self.settings)
        return self._unlinked.get(linking.match_key(entry))

    # --- payments on our invoices -----------------------------------------------------------------------

    def _note_payment(self, entry: Entry, data: dict[str, Any], previous: dict[str, Any] | None) -> None:
        """Log on each invoice the app sent us a payment QuickBooks recorded against it (once per amount)."""
        before = {
            str(a.get("invoice")): changes.normalise(a.get("amount"), "amount")
            for a in (previous or {}).get("applied_to") or []
        }
        for index, applied in enumerate(data.get("applied_to") or []):
            ref = entry.refs.get(f"applied_to.{index}.invoice")
            invoice = self._find((RecordKind.INVOICE,), ref[1]) if ref else None
            if invoice is None or invoice.origin is not Origin.APP:
                continue
            amount = changes.normalise(applied.get("amount"), "amount")
            if before.get(str(applied.get("invoice"))) == amount:
                continue
            shown = f"{amount:.2f}" if amount is not None else "an amount"
            when = data.get("date") or "an unknown date"
            method = f" by {data['method']}" if data.get("method") else ""
            self._logs.append(
                (
                    invoice,
                    LogEvent.CHANGED_IN_QUICKBOOKS,
                    f"Payment of {shown}{method} recorded in QuickBooks on {when}.",
                )
            )


def _payment_label(entry: Entry) -> str:
    data = entry.data
    words = [f"the payment of {data.get('amount') or 'an amount'}"]
    if data.get("method"):
        words.append(f"by {data['method']}")
    if data.get("reference"):
        words.append(f"(reference {data['reference']})")
    words.append(f"recorded in QuickBooks on {data.get('date') or 'an unknown date'}")
    return " ".join(words)


def _label(entry: Entry) -> str:
    kind = entry.record_kind.value if entry.record_kind else "object"
    if entry.record_kind is not None and entry.record_kind.is_list:
        return f"{kind} '{entry.full_name}'"
    return f"{kind} {entry.name}"


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path such as "lines.0.item" in nested dicts and lists."""
    parts = path.split(".")
    target: Any = data
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
