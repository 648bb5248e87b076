"""The reconciliation report: a company's records against QuickBooks for a period, with the fix for each line.

It lists records synced whose QuickBooks totals differ from the app's, records we think are in QuickBooks that it
no longer has, QuickBooks entries of the synced kinds that no record of the app is linked to (entered in QuickBooks,
known to us from imports), and the sums of invoices, payments and bills on both sides. QuickBooks' side is what its
answers and the latest imports said; an import of invoices, payments and bills brings it up to date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.company_settings import effective
from qbwc_server.errors import InvalidInput
from qbwc_server.models import Company, ImportRun, Origin, Record, RecordKind, SyncState
from qbwc_server.sync import builders, comparison
from qbwc_server.sync.planner import display_name

KINDS = (RecordKind.INVOICE, RecordKind.PAYMENT, RecordKind.BILL)
IMPORT_KINDS = {RecordKind.INVOICE: "invoices", RecordKind.PAYMENT: "payments", RecordKind.BILL: "bills"}
ZERO = Decimal("0.00")
FIX_DIFFERS = "Correct the cause named, then send the record again (reprocess) so both sides agree."
FIX_DELETED = (
    "Someone deleted it in QuickBooks. If that was a mistake, reprocess it to add it again; if not, exclude it."
)
FIX_UNLINKED = (
    "Entered in QuickBooks only. Enter it in the app too if it belongs there (it will be linked, not added twice); "
    "otherwise there is nothing to do."
)


@dataclass
class Line:
    """One record the report lists, with what to do about it."""

    kind: str
    external_id: str
    name: str
    date: str | None
    app_total: str | None
    quickbooks_total: str | None
    qb_id: str | None
    problem: str
    fix: str

    def to_json(self) -> dict[str, Any]:
        """Return the line as the API shows it."""
        return dict(self.__dict__)


@dataclass
class Sums:
    """One kind's total on each side, for the period."""

    kind: str
    app_count: int = 0
    app_total: Decimal = ZERO
    quickbooks_count: int = 0
    quickbooks_total: Decimal = ZERO
    not_in_quickbooks: int = 0  # records of the app that QuickBooks does not have yet

    @property
    def difference(self) -> Decimal:
        """Return QuickBooks' total less the app's."""
        return self.quickbooks_total - self.app_total

    def to_json(self) -> dict[str, Any]:
        """Return the sums as the API shows them (money as text)."""
        return {
            "kind": self.kind,
            "app": {"count": self.app_count, "total": f"{self.app_total:.2f}"},
            "quickbooks": {"count": self.quickbooks_count, "total": f"{self.quickbooks_total:.2f}"},
            "difference": f"{self.difference:.2f}",
            "not_in_quickbooks": self.not_in_quickbooks,
        }


@dataclass
class Report:
    """The whole report for one company and period."""

    company: str
    start: date | None
    end: date | None
    totals_differ: list[Line] = field(default_factory=list)
    deleted_in_quickbooks: list[Line] = field(default_factory=list)
    only_in_quickbooks: list[Line] = field(default_factory=list)
    sums: list[Sums] = field(default_factory=list)
    imported_at: dict[str, str | None] = field(default_factory=dict)

    @property
    def agrees(self) -> bool:
        """Tell whether nothing needs a look: no line listed and every sum the same on both sides."""
        listed = self.totals_differ or self.deleted_in_quickbooks or self.only_in_quickbooks
        return not listed and all(s.difference == 0 for s in self.sums)

    def to_json(self) -> dict[str, Any]:
        """Return the report as the API and `reconcile --json` show it."""
        return {
            "company": self.company,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "generated_at": clock.now().isoformat(),
            "agrees": self.agrees,
            "totals_differ": [line.to_json() for line in self.totals_differ],
            "deleted_in_quickbooks": [line.to_json() for line in self.deleted_in_quickbooks],
            "only_in_quickbooks": [line.to_json() for line in self.only_in_quickbooks],
            "sums": [s.to_json() for s in self.sums],
            "imported_at": self.imported_at,
        }


def parse_period(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """Read the period's first and last day (either may be empty); InvalidInput naming a bad one."""
    errors: dict[str, str] = {}
    days: list[date | None] = []
    for key, raw in (("from", start), ("to", end)):
        if raw in (None, ""):
            days.append(None)
            continue
        try:
            days.append(date.fromisoformat(str(raw)))
        except ValueError:
            errors[key] = "must be a date written YYYY-MM-DD"
            days.append(None)
    if not errors and days[0] and days[1] and days[0] > days[1]:
        errors["to"] = "must not be before from"
    if errors:
        raise InvalidInput(errors)
    return days[0], days[1]


def build(db: Session, company: Company, start: date | None = None, end: date | None = None) -> Report:
    """Compare the company's records with what QuickBooks holds for the period."""
    settings = effective(company.settings)
    synced_kinds = set(settings.get("sync_kinds") or [])
    report = Report(company.slug, start, end)
    for kind in KINDS:
        sums = Sums(kind.resource)
        records = db.scalars(
            select(Record).where(Record.company_id == company.id, Record.kind == kind).order_by(Record.id)
        ).all()
        for record in records:
            day = _day(record)
            if (start and (day is None or day < start)) or (end and (day is None or day > end)):
                continue
            _add(report, sums, record, settings, day, kind.value in synced_kinds)
        report.sums.append(sums)
        report.imported_at[kind.resource] = _last_import(db, company, IMPORT_KINDS[kind])
    return report


def _add(
    report: Report, sums: Sums, record: Record, settings: Mapping[str, Any], day: date | None, synced_kind: bool
) -> None:
    mine = app_total(record, settings) if record.origin is Origin.APP else None
    theirs = quickbooks_total(record)
    deleted = record.sync_state is SyncState.QB_DELETED
    if record.origin is Origin.APP and record.sync_state is not SyncState.EXCLUDED:
        sums.app_count += 1
        sums.app_total += mine or ZERO
        sums.not_in_quickbooks += not record.qb_id and not deleted
    if record.qb_id and not deleted:
        sums.quickbooks_count += 1
        sums.quickbooks_total += theirs or ZERO

    def line(problem: str, fix: str) -> Line:
        return Line(
            record.kind.value,
            record.external_id,
            display_name(record),
            day.isoformat() if day else None,
            _text(mine),
            _text(theirs),
            record.qb_id,
            problem,
            fix,
        )

    if deleted:
        report.deleted_in_quickbooks.append(
            line("We think this is in QuickBooks, but QuickBooks no longer has it.", FIX_DELETED)
        )
    elif record.warning_count and record.origin is Origin.APP:
        warnings = list(record.warnings or [])
        causes = [cause for w in warnings for cause in (w.get("causes") or [])]
        problem = " ".join(str(w.get("message", "")) for w in warnings)
        report.totals_differ.append(line(problem, " ".join(causes[:1]) + (" " if causes else "") + FIX_DIFFERS))
    elif record.origin is Origin.QUICKBOOKS and record.qb_id and synced_kind:
        report.only_in_quickbooks.append(line("No record of the app is linked to this QuickBooks entry.", FIX_UNLINKED))


def app_total(record: Record, settings: Mapping[str, Any]) -> Decimal | None:
    """Return what the app says a transaction is worth: an invoice's total, a payment's amount, a bill's lines."""
    data = record.data or {}
    if record.kind is RecordKind.INVOICE:
        inp = builders.RequestInput(record.kind.value, record.external_id, data, settings, None)
        ours = comparison.app_totals(inp)
        return ours.total if ours.total is not None else ours.subtotal
    if record.kind is RecordKind.PAYMENT:
        return _money(data.get("amount"))
    return _sum(line.get("amount") for key in ("expense_lines", "item_lines") for line in data.get(key) or [])


def quickbooks_total(record: Record) -> Decimal | None:
    """Return what QuickBooks says a transaction is worth (its own total when it answered or was imported)."""
    figures = record.qb_totals or {}
    total = _money(figures.get("total"))
    if total is not None or not record.qb_id:
        return total
    if record.origin is Origin.QUICKBOOKS:
        # An imported copy without QuickBooks' figures: its own data is QuickBooks' data.
        return app_total(record, {})
    return None


def _day(record: Record) -> date | None:
    raw = (record.data or {}).get("date")
    try:
        return date.fromisoformat(str(raw)) if raw else record.created_at.date()
    except ValueError:
        return None


def _money(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _sum(values: Iterable[Any]) -> Decimal:
    return sum((_money(v) or ZERO for v in values), ZERO)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _last_import(db: Session, company: Company, kind: str) -> str | None:
    finished = db.scalar(
        select(ImportRun.finished_at)
        .where(ImportRun.company_id == company.id, ImportRun.kind == kind, ImportRun.finished_at.is_not(None))
        .order_by(ImportRun.finished_at.desc())
        .limit(1)
    )
    return finished.isoformat() if finished else None


def to_text(report: Report) -> str:
    """Return the report as the CLI prints it."""
    period = f"{report.start or 'the beginning'} to {report.end or 'today'}"
    out = [f"Reconciliation of {report.company} with QuickBooks, {period}", ""]
    out.append(f"{'kind':<10} {'app':>16} {'QuickBooks':>16} {'difference':>12}")
    for s in report.sums:
        out.append(
            f"{s.kind:<10} {f'{s.app_count} = {s.app_total:.2f}':>16} "
            f"{f'{s.quickbooks_count} = {s.quickbooks_total:.2f}':>16} {f'{s.difference:.2f}':>12}"
            + (f"  ({s.not_in_quickbooks} not in QuickBooks yet)" if s.not_in_quickbooks else "")
        )
    sections = (
        ("Totals differ", report.totals_differ),
        ("Deleted in QuickBooks", report.deleted_in_quickbooks),
        ("Only in QuickBooks", report.only_in_quickbooks),
    )
    for title, lines in sections:
        out += ["", f"{title}: {len(lines)}"]
        for item in lines:
            figures = f"app {item.app_total or '-'}, QuickBooks {item.quickbooks_total or '-'}"
            out.append(f"  {item.kind} {item.external_id} ({item.name}, {item.date or 'no date'}): {figures}")
            out.append(f"    {item.problem}")
            out.append(f"    Fix: {item.fix}")
    imported = ", ".join(f"{k} {v or 'never'}" for k, v in report.imported_at.items())
    out += ["", f"QuickBooks' side as of the last imports: {imported}."]
    out.append("Everything agrees." if report.agrees else "Some lines need a look.")
    return "\n".join(out)
