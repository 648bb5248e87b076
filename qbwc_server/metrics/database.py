"""Metrics computed from the database at scrape time, so every server process reports the same figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from qbwc_server import clock, status
from qbwc_server.imports import runs
from qbwc_server.models import Company, LogEvent, Record, SyncLogEntry
from qbwc_server.runtime import Runtime


class DatabaseCollector(Collector):
    """Read companies, records, the sync log and imports when Prometheus scrapes."""

    def __init__(self, runtime: Runtime, now: datetime | None = None) -> None:
        self.runtime = runtime
        self.now = now

    def collect(self) -> Iterator[Metric]:
        """Yield the database's figures, and whether the database answered at all."""
        up = GaugeMetricFamily("qbwc_database_up", "1 when the database answered this scrape")
        try:
            with self.runtime.transaction() as db:
                families = list(_families(db, self.now or clock.now()))
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _families(db: Session, now: datetime) -> Iterator[Metric]:
    companies = {c.id: c for c in db.scalars(select(Company).order_by(Company.slug))}
    yield from _company_gauges(companies.values(), now)
    yield from _record_states(db, companies)
    yield from _sync_log(db, companies)
    yield from _imports(db, companies.values())


def _company_gauges(companies, now: datetime) -> Iterator[Metric]:
    since = GaugeMetricFamily(
        "qbwc_seconds_since_checkin",
        "Seconds since the company's Web Connector last started a session",
        labels=["company"],
    )
    silent = GaugeMetricFamily(
        "qbwc_company_not_checking_in",
        "1 when no session has started for three of the company's scheduled runs (paused companies are 0)",
        labels=["company"],
    )
    paused = GaugeMetricFamily("qbwc_company_paused", "1 when sync is paused for the company", labels=["company"])
    schedule = GaugeMetricFamily(
        "qbwc_company_run_every_minutes", "The Web Connector schedule written into the .qwc", labels=["company"]
    )
    for company in companies:
        last = clock.aware(company.last_checkin_at)
        if last is not None:
            since.add_metric([company.slug], max((now - last).total_seconds(), 0.0))
        silent.add_metric([company.slug], int(not company.paused and status.is_stale(company, now)))
        paused.add_metric([company.slug], int(bool(company.paused)))
        schedule.add_metric([company.slug], int(company.run_every_minutes or 0))
    yield from (since, silent, paused, schedule)


def _record_states(db: Session, companies: dict[int, Company]) -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "qbwc_records", "Records by company, kind and sync state", labels=["company", "kind", "state"]
    )
    rows = db.execute(
        select(Record.company_id, Record.kind, Record.sync_state, func.count()).group_by(
            Record.company_id, Record.kind, Record.sync_state
        )
    )
    for company_id, kind, state, count in rows:
        if company_id in companies:
            family.add_metric([companies[company_id].slug, kind.value, state.value], count)
    yield family


def _sync_log(db: Session, companies: dict[int, Company]) -> Iterator[Metric]:
    synced = CounterMetricFamily("qbwc_records_synced", "Records QuickBooks accepted", labels=["company"])
    failed = CounterMetricFamily("qbwc_records_failed", "Record sync attempts that failed", labels=["company"])
    events = db.execute(
        select(SyncLogEntry.company_id, SyncLogEntry.event, func.count())
        .where(SyncLogEntry.event.in_([LogEvent.SYNCED, LogEvent.FAILED]))
        .group_by(SyncLogEntry.company_id, SyncLogEntry.event)
    )
    for company_id, event, count in events:
        if company_id in companies:
            (synced if event is LogEvent.SYNCED else failed).add_metric([companies[company_id].slug], count)
    codes = CounterMetricFamily(
        "qbwc_quickbooks_status_codes", "QuickBooks status codes seen in answers", labels=["company", "code"]
    )
    rows = db.execute(
        select(SyncLogEntry.company_id, SyncLogEntry.status_code, func.count())
        .where(SyncLogEntry.status_code.is_not(None))
        .group_by(SyncLogEntry.company_id, SyncLogEntry.status_code)
    )
    for company_id, code, count in rows:
        if company_id in companies:
            codes.add_metric([companies[company_id].slug, str(code)], count)
    yield from (synced, failed, codes)


def _imports(db: Session, companies) -> Iterator[Metric]:
    seen = GaugeMetricFamily(
        "qbwc_import_seen_records", "Records read so far by each kind's latest import", labels=["company", "kind"]
    )
    remaining = GaugeMetricFamily(
        "qbwc_import_remaining_records",
        "Records QuickBooks still has to send for each kind's latest import",
        labels=["company", "kind"],
    )
    percent = GaugeMetricFamily(
        "qbwc_import_progress_percent", "Progress of each kind's latest import", labels=["company", "kind"]
    )
    running = GaugeMetricFamily(
        "qbwc_import_running", "1 while each kind's latest import is queued or running", labels=["company", "kind"]
    )
    for company in companies:
        for run in runs.status(db, company):
            labels = [company.slug, run.kind]
            seen.add_metric(labels, run.seen)
            if run.remaining is not None:
                remaining.add_metric(labels, run.remaining)
            percent.add_metric(labels, run.percent)
            running.add_metric(labels, int(run.status in ("queued", "running")))
    yield from (seen, remaining, percent, running)
