"""`qbwc-server serve`: refuses an unmigrated database, and otherwise hands the app to waitress."""

from __future__ import annotations

import waitress
from click.testing import CliRunner

from qbwc_server.cli import main


def test_refuses_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = CliRunner().invoke(main, ["serve", "--port", "8999"], env={"QBWC_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "qbwc-server db upgrade" in result.output


def test_serves_the_composed_app(cli, monkeypatch):
    seen = {}

    def fake_serve(app, **kwargs):
        seen.update(kwargs, app=app)

    monkeypatch.setattr(waitress, "serve", fake_serve)
    result = cli("serve", "--host", "127.0.0.1", "--port", "8765", "--threads", "2")
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8765/qbwc" in result.output
    assert (seen["host"], seen["port"], seen["threads"]) == ("127.0.0.1", 8765, 2)
    assert callable(seen["app"])
