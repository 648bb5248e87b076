"""Run `qbwc-server` commands in-process against a migrated copy of the test database."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qbwc_server.cli import main
from qbwc_server.runtime import Runtime
from tests.factories import make_company


class Cli:
    """Invoke the command line with QBWC_DATABASE_URL pointing at a private SQLite file."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(main, list(args), input=input, env={"QBWC_DATABASE_URL": self.url})


@pytest.fixture
def cli(sqlite_template: Path, tmp_path: Path) -> Cli:
    """Return a callable running `qbwc-server ARGS…` on a fresh migrated database."""
    target = tmp_path / "cli.sqlite3"
    shutil.copyfile(sqlite_template, target)
    return Cli(f"sqlite:///{target}")


@pytest.fixture
def acme_cli(sqlite_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str, str]]:
    """Run `qbwc-server …` on the test database, which has a company acme; return (exit code, stdout, stderr)."""
    monkeypatch.setenv("QBWC_DATABASE_URL", sqlite_runtime.settings.database_url)
    monkeypatch.setenv("QBWC_SECRET_KEY", "test-secret-key")
    with sqlite_runtime.transaction() as db:
        make_company(db, "acme", name="Acme", qbwc_username="acme-qbwc")

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, list(args))
        return result.exit_code, result.stdout, result.stderr

    return run
