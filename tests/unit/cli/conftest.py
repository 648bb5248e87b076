"""Run `qbwc-server` commands in-process against a migrated copy of the test database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qbwc_server.cli import main


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
