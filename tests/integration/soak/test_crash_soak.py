"""Faults are normal: lost answers, abandoned sessions, connectionError and a server killed mid-session never
create a duplicate or lose a record, on SQLite with one server and on PostgreSQL with two."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks import soak


def _postgres_or_skip() -> None:
    if os.environ.get("QBWC_BENCH_POSTGRES_URL") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return
    reason = "no PostgreSQL: install the server (initdb, pg_ctl) or set QBWC_BENCH_POSTGRES_URL"
    if os.environ.get("QBWC_TEST_REQUIRE_POSTGRES"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_every_record_syncs_once_through_lost_answers_abandoned_sessions_and_killed_servers(database):
    if database == "postgresql":
        _postgres_or_skip()
    # Given 160 mixed records sent while the Web Connector runs, with a fault in about half of its sessions
    result = soak.run(160, database, fault_share=0.6, seed=3, batch_size=3)

    # Then faults of every kind struck, at least one round trip in ten
    assert all(result["faults"][kind] >= 1 for kind in soak.FAULT_KINDS), result["faults"]
    assert result["faults_per_round_trip"] >= 0.1, result
    assert result["restarts"] >= 2
    # And every record is in QuickBooks exactly once, with the app's totals and the app's later edits
    assert result["duplicates"] == 0, result["duplicates_by_kind"]
    assert result["lost"] == 0, result["missing_examples"]
    assert result["unexpected_in_quickbooks"] == {}
    assert result["wrong_totals"] == 0, result["wrong_total_examples"]
    assert result["edits_missing_in_quickbooks"] == 0
    # And nothing is left in error, queued or in flight
    assert result["sync_states"] == {"synced": result["records"]}, result["sync_states"]
    assert result["open_queue_items"] == 0
