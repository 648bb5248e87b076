"""`qbwc-server serve`: refuses an unmigrated database, and otherwise hands the app to waitress."""

from __future__ import annotations

from click.testing import CliRunner

from qbwc_server import serving
from qbwc_server.cli import main


def test_refuses_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = CliRunner().invoke(main, ["serve", "--port", "8999"], env={"QBWC_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "qbwc-server db upgrade" in result.output


def test_serves_the_composed_app(cli, monkeypatch):
    seen = {}

    class Server:
        def run(self):
            seen["ran"] = True

    def fake_make_server(app, host, port, threads, settings):
        seen.update(app=app, host=host, port=port, threads=threads, limit=settings.max_body_bytes)
        return Server()

    monkeypatch.setattr(serving, "make_server", fake_make_server)
    result = cli("serve", "--host", "127.0.0.1", "--port", "8765", "--threads", "2")
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8765/qbwc" in result.output
    assert (seen["host"], seen["port"], seen["threads"], seen["ran"]) == ("127.0.0.1", 8765, 2, True)
    # The one body limit: what the guard, spyne and waitress are all given.
    assert seen["limit"] == 64 * 1024 * 1024
    assert callable(seen["app"])
