"""GET /metrics: Prometheus text with SOAP calls, records, QuickBooks codes, imports and check-ins; never open."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from qbwc_server import clock
from qbwc_server.models import Company
from qbwc_server.runtime import Runtime
from qbwc_server.wsgi import make_wsgi_app
from tests.harness import Harness
from tests.live import LiveServer
from tests.processes import fetch, metric_samples

TOKEN = "metrics-token-for-tests"  # noqa: S105


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, body = fetch(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body
    return metric_samples(body.decode())


def with_settings(runtime: Runtime, **changes: object) -> Runtime:
    return Runtime(dataclasses.replace(runtime.settings, **changes))


@pytest.mark.parametrize(
    ("settings", "headers", "status", "words"),
    [
        ({}, {}, 403, "metrics are off: set QBWC_METRICS_TOKEN or QBWC_METRICS_ALLOW"),
        ({"metrics_token": TOKEN}, {}, 403, "send the metrics token"),
        ({"metrics_token": TOKEN}, {"Authorization": "Bearer wrong"}, 403, "send the metrics token"),
        ({"metrics_token": TOKEN}, {"Authorization": f"Bearer {TOKEN}"}, 200, "qbwc_database_up 1.0"),
        ({"metrics_allow": ("10.0.0.0/8",)}, {}, 403, "QBWC_METRICS_ALLOW"),
        ({"metrics_allow": ("127.0.0.1/32",)}, {}, 200, "qbwc_database_up 1.0"),
    ],
)
def test_only_a_token_or_an_allowed_address_reads_the_metrics(sqlite_runtime, settings, headers, status, words):
    runtime = with_settings(sqlite_runtime, **settings)
    server = LiveServer(make_wsgi_app(runtime))
    try:
        answer = fetch(server.url + "/metrics", headers=headers)
    finally:
        server.stop()
        runtime.close()
    assert answer[0] == status
    assert words in answer[1].decode()


def test_a_sync_and_an_import_show_in_the_metrics(runtime):
    harness = Harness(with_settings(runtime, metrics_token=TOKEN))
    try:
        before = scrape(harness.server.url)
        harness.put("customers", "c1", {"first_name": "Ann", "last_name": "Lee"})
        harness.put("customers", "c2", {"first_name": "Bo", "last_name": "Chan"})
        assert harness.call("POST", "/api/v1/imports", {"kinds": ["terms"]})[0] == 202
        harness.sync()
        after = scrape(harness.server.url)
    finally:
        harness.close()

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    acme = {"company": "acme"}
    # SOAP calls by method and outcome, with their latency histogram
    assert grew("qbwc_soap_calls_total", method="authenticate", outcome="work") == 1
    assert grew("qbwc_soap_calls_total", method="authenticate", outcome="none") == 1
    assert grew("qbwc_soap_calls_total", method="receiveResponseXML", outcome="finished") == 1
    assert grew("qbwc_soap_call_duration_seconds_count", method="sendRequestXML") >= 2
    assert grew("qbwc_soap_call_duration_seconds_bucket", method="receiveResponseXML", le="+Inf") >= 1
    # Records by company, kind and sync state; records synced; QuickBooks' status codes
    assert after[("qbwc_records", (("company", "acme"), ("kind", "customer"), ("state", "synced")))] == 2
    assert after[("qbwc_records_synced_total", (("company", "acme"),))] == 2
    assert after[("qbwc_quickbooks_status_codes_total", (("code", "0"), ("company", "acme")))] >= 2
    # The import's progress, and the check-in just made
    assert after[("qbwc_import_progress_percent", (("company", "acme"), ("kind", "terms")))] == 100
    assert after[("qbwc_import_running", (("company", "acme"), ("kind", "terms")))] == 0
    assert 0 <= after[("qbwc_seconds_since_checkin", (("company", "acme"),))] < 600
    assert after[("qbwc_company_not_checking_in", (("company", "acme"),))] == 0
    assert after[("qbwc_database_up", ())] == 1
    assert ("qbwc_records_failed_total", tuple(acme.items())) not in after


def test_a_quiet_web_connector_shows_as_not_checking_in(runtime):
    harness = Harness(with_settings(runtime, metrics_token=TOKEN))
    try:
        with harness.runtime.transaction() as db:
            db.scalar(select(Company)).last_checkin_at = clock.now() - timedelta(hours=2)
        found = scrape(harness.server.url)
    finally:
        harness.close()
    assert found[("qbwc_company_not_checking_in", (("company", "acme"),))] == 1
    assert found[("qbwc_seconds_since_checkin", (("company", "acme"),))] >= 7200
