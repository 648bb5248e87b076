"""`make bench` must keep working: its quick mode runs every scenario end to end and reports every figure."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

REPO = Path(__file__).resolve().parents[2]

# The figures each scenario must report (no timing is asserted: a slow machine is not a broken benchmark).
FIGURES = {
    "per_record": ["records_per_kind", "databases"],
    "round_trips": ["batched", "one_per_round_trip", "round_trip_ratio", "wall_time_ratio"],
    "import": [
        "customers",
        "imported",
        "round_trips",
        "wall_seconds",
        "server_cpu_seconds",
        "records_per_second_wall",
        "records_per_second_server_cpu",
        "peak_rss_mib",
    ],
    "many_companies": ["soap_latency", "errors", "sent_twice", "items_attempted_twice", "records_with_two_adds"],
    "profile": ["stages_ms_per_record", "layers_ms_per_record", "top_functions", "profiled_ms_per_record"],
    "batch": ["records", "databases"],
    "soak": ["sqlite", "postgresql", "errors"],
    "floor": ["records", "qbwc_server", "qbwc_kit", "ratio_server_ms", "ratio_wall_ms"],
    "stack_floor": ["parts_ms_per_record", "stack_ms_per_record", "whole_sync_ms_per_record", "stack_against_kit"],
    "growth": ["sizes", "big_company", "existing_records", "full_scans"],
    "by_kind": ["records", "databases", "postgresql_over_sqlite"],
}
PER_KIND = ["records", "median_ms", "p95_ms", "put_median_ms", "put_cpu_median_ms", "sync_median_ms", "round_trips"]


def _own_database(url: str) -> str:
    """Create an empty database beside the test database, so the benchmark never drops the tests' schema."""
    engine = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS qbwc_bench_smoke"))
        connection.execute(text("CREATE DATABASE qbwc_bench_smoke"))
    engine.dispose()
    return make_url(url).set(database="qbwc_bench_smoke").render_as_string(hide_password=False)


def _postgres_env() -> dict[str, str]:
    given = os.environ.get("QBWC_TEST_POSTGRES_URL")
    if given:
        return {"QBWC_BENCH_POSTGRES_URL": _own_database(given)}
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        reason = "no PostgreSQL: set QBWC_TEST_POSTGRES_URL or install the server"
        if os.environ.get("QBWC_TEST_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    return {}


@pytest.mark.slow
@pytest.mark.postgres
def test_quick_bench_runs_every_scenario_and_reports_every_figure(tmp_path):
    output = tmp_path / "latest.json"
    env = {**os.environ, **_postgres_env()}
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(output.read_text())
    assert set(results["machine"]) >= {"nproc", "memory_gib", "cpu_model", "python", "postgresql"}
    scenarios = results["scenarios"]
    assert set(scenarios) == set(FIGURES), "every scenario runs in the quick mode"
    expected = dict(FIGURES)
    if importlib.util.find_spec("qbwc_server.imports") is None:
        del expected["import"]  # the import feature is not in this tree yet, so neither is its benchmark
    for name, figures in expected.items():
        assert "failed" not in scenarios[name] and "skipped" not in scenarios[name], (name, scenarios[name])
        missing = [f for f in figures if f not in scenarios[name]]
        assert not missing, f"{name} lacks {missing}"
    for database in ("sqlite", "postgresql"):
        for kind in ("customer", "invoice_5_lines", "payment_applied"):
            figures = scenarios["per_record"]["databases"][database][kind]
            assert [f for f in PER_KIND if f not in figures] == [], (database, kind)
            assert figures["records"] == results["sizes"]["per_record"]
    # The batched pattern needs fewer round trips than one request per trip, for the same records.
    trips = scenarios["round_trips"]
    assert trips["batched"]["round_trips"] < trips["one_per_round_trip"]["round_trips"]
    assert trips["batched"]["qbxml_requests"] == trips["one_per_round_trip"]["qbxml_requests"]
    # The stack's floor: every part replayed on what a real sync recorded, and the sum below the whole sync.
    stack = scenarios["stack_floor"]
    assert all(ms > 0 for ms in stack["parts_ms_per_record"].values()), stack
    assert stack["statements"] > 0 and stack["commits"] > 0 and stack["soap_calls"] > 0
    assert stack["stack_ms_per_record"] < stack["whole_sync_ms_per_record"], stack
    # Many companies at once: no errors and nothing sent twice.
    many = scenarios["many_companies"]
    assert many["errors"] == 0 and many["sent_twice"] == 0, many
    assert many["soap_latency"]["all"]["p99_ms"] > 0
    # A batch stores the same records as single PUTs, and each way's time per record is reported.
    for database in ("sqlite", "postgresql"):
        figures = scenarios["batch"]["databases"][database]
        assert figures["single_put_server_ms_per_record"] > 0 and figures["batch_server_ms_per_record"] > 0
    # Growth: every size synced, and the big company measured on both databases against an empty one.
    growth = scenarios["growth"]
    assert [f["records"] for f in growth["sizes"]] == list(results["sizes"]["growth"])
    assert all(f["statements_per_record"] > 0 for f in growth["sizes"])
    for database in ("sqlite", "postgresql"):
        big = growth["big_company"][database]
        assert big["big"]["existing_records"] == results["sizes"]["existing"] and big["empty"]["existing_records"] == 0
        assert big["big"]["batch"]["sync_statements"] > 0 and big["ratio_batch"] is not None
    # Every kind of whole sync on both databases, with its statements.
    by_kind = scenarios["by_kind"]
    for database in ("sqlite", "postgresql"):
        kinds = by_kind["databases"][database]["kinds"]
        assert all(kinds[name]["statements_per_record"] > 0 for name in kinds), kinds
    assert set(by_kind["postgresql_over_sqlite"]) == set(by_kind["databases"]["sqlite"]["kinds"])
    # The fault soak: every record synced once, on both databases.
    assert scenarios["soak"]["errors"] == 0, scenarios["soak"]
    # The table is printed too.
    assert "| database | kind |" in run.stdout
