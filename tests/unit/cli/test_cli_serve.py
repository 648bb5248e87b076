"""`qbwc-server serve`: refuses an unmigrated database, chooses its threads (serving itself is tested with real
processes)."""

from __future__ import annotations

import importlib

from click.testing import CliRunner

from qbwc_server import gunicorn_conf
from qbwc_server.cli import main


def test_refuses_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = CliRunner().invoke(main, ["serve", "--port", "8999"], env={"QBWC_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "qbwc-server db upgrade" in result.output


def test_threads_default_to_eight_for_one_process_and_three_for_each_of_several(cli, monkeypatch):
    # Given serving replaced by a note of the threads each way would start with
    serve_module = importlib.import_module("qbwc_server.cli.serve")
    started: list[tuple[str, int]] = []
    monkeypatch.setattr(
        serve_module, "run_waitress", lambda _rt, _h, _p, threads: started.append(("waitress", threads))
    )
    monkeypatch.setattr(serve_module, "single_process_reason", lambda _url: None)
    monkeypatch.setattr(
        gunicorn_conf, "exec_gunicorn", lambda _h, _p, _w, threads, _g: started.append(("gunicorn", threads))
    )
    # When the server is started alone, then with three processes, then with the threads chosen
    alone = cli("serve", "--port", "8999")
    several = cli("serve", "--port", "8999", "--workers", "3")
    chosen = cli("serve", "--port", "8999", "--workers", "3", "--threads", "8")
    # Then one process has eight threads, each of several three (more only share its interpreter lock), and a
    # number given is kept
    assert alone.exit_code == several.exit_code == chosen.exit_code == 0, alone.output + several.output
    assert started[0] == ("waitress", 8)
    assert started[1] == ("gunicorn", 3)
    assert "with 3 processes of 3 threads (gunicorn)" in several.output
    assert ("gunicorn", 8) in started[2:]
