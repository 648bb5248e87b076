"""`qbwc-server import …`: queue imports, follow one with a progress bar, report and cancel."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from qbwc_server.cli import main
from qbwc_server.models import Company
from qbwc_server.runtime import Runtime
from qbwc_server.simulator import FakeCompany
from tests.conftest import make_settings
from tests.factories import make_company
from tests.unit.imports.driving import Driver


@pytest.fixture
def database(sqlite_template: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    target = tmp_path / "cli.sqlite3"
    shutil.copyfile(sqlite_template, target)
    url = f"sqlite:///{target}"
    runtime = Runtime(make_settings(url))
    with runtime.transaction() as db:
        make_company(db, "acme")
    yield url, runtime
    runtime.close()


def _run(url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["import", *args], env={"QBWC_DATABASE_URL": url})


def test_import_queues_the_kinds_for_the_next_session(database):
    url, _ = database

    result = _run(url, "acme", "customers", "items")

    assert result.exit_code == 0, result.output
    assert "customers and jobs: queued" in result.output and "items: queued" in result.output
    assert "next Web Connector session" in result.output
    again = _run(url, "start", "acme", "customers", "--json")
    assert [row["status"] for row in json.loads(again.output)] == ["queued"]  # one active run per kind


def test_unknown_kinds_and_companies_are_refused_in_one_line(database):
    url, _ = database

    unknown_kind = _run(url, "acme", "widgets")
    unknown_company = _run(url, "nobody", "customers")

    assert unknown_kind.exit_code == 1 and "unknown kind 'widgets'" in unknown_kind.output
    assert unknown_company.exit_code == 1 and "no company" in unknown_company.output
    assert len(unknown_kind.output.strip().splitlines()) == 1


def test_wait_follows_the_import_until_the_web_connector_has_run_it(database):
    url, runtime = database
    fake = FakeCompany.demo()
    with runtime.transaction() as db:
        company_id = db.query(Company).filter_by(slug="acme").one().id

    def web_connector() -> None:
        time.sleep(0.3)
        Driver(runtime, company_id, fake.process).session()

    thread = threading.Thread(target=web_connector)
    thread.start()
    result = _run(url, "acme", "customers", "accounts", "--wait", "--poll", "0.05", "--timeout", "30")
    thread.join()

    assert result.exit_code == 0, result.output
    assert "Importing accounts, customers and jobs" in result.output
    assert "customers and jobs: done — 8 read, 8 new, 0 updated, 0 unchanged" in result.output
    status = json.loads(_run(url, "status", "acme", "--json").output)
    assert {row["kind"]: (row["status"], row["created"]) for row in status} == {
        "customers": ("done", 8),
        "accounts": ("done", len(fake.state.lists["Account"])),
    }


def test_waiting_without_a_web_connector_gives_up_with_a_reason(database):
    url, _ = database

    result = _run(url, "acme", "vendors", "--wait", "--poll", "0.05", "--timeout", "0.2")

    assert result.exit_code == 1
    assert "the import goes on at the next Web Connector session" in result.output


def test_cancel_stops_queued_imports(database):
    url, _ = database
    _run(url, "acme", "all")

    result = _run(url, "cancel", "acme", "invoices")
    status = {row["kind"]: row["status"] for row in json.loads(_run(url, "status", "acme", "--json").output)}

    assert result.exit_code == 0 and "Cancelled: invoices." in result.output
    assert status["invoices"] == "cancelled" and status["customers"] == "queued"
