"""`qbwc-server serve`: refuses an unmigrated database (serving itself is tested with real processes)."""

from __future__ import annotations

from click.testing import CliRunner

from qbwc_server.cli import main


def test_refuses_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = CliRunner().invoke(main, ["serve", "--port", "8999"], env={"QBWC_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "qbwc-server db upgrade" in result.output
