"""`qbwc-server simulate`: sessions against a server, state kept in a JSON file, one-line failures."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qbwc_server.cli.simulate import simulate
from qbwc_server.simulator import FakeCompany

from .helpers import qbxml
from .scripted_server import Script, ScriptedServer

ADD = qbxml('<CustomerAddRq requestID="1"><CustomerAdd><Name>Cli Customer</Name></CustomerAdd></CustomerAddRq>')
DUPLICATE = qbxml('<VendorAddRq requestID="2"><VendorAdd><Name>Cli Customer</Name></VendorAdd></VendorAddRq>')


def test_simulate_runs_a_session_and_saves_the_company(tmp_path: Path) -> None:
    state = tmp_path / "company.json"
    with ScriptedServer(Script(requests=[ADD, DUPLICATE])) as server:
        result = CliRunner().invoke(
            simulate,
            ["--url", server.url, "--user", "qb", "--password-stdin", "--state", str(state)],
            input="pw\n",
        )
    assert result.exit_code == 0, result.output
    assert "session 1: completed, 2 round trip(s)" in result.output
    assert "added        1 Customer" in result.output
    assert 'error 3100 in VendorAddRq: The name "Cli Customer" of the list element is already in use.' in result.output
    assert server.calls[2].params["strPassword"] == "pw"
    assert FakeCompany.load(state).lookup_name("entity", "Cli Customer") is not None


def test_simulate_json_output_and_password_from_the_environment(tmp_path: Path) -> None:
    with ScriptedServer(Script(requests=[ADD])) as server:
        result = CliRunner().invoke(
            simulate,
            ["--url", server.url, "--user", "qb", "--sessions", "2", "--json"],
            env={"QBWC_SIMULATE_PASSWORD": "from-env"},
        )
    assert result.exit_code == 0, result.output
    reports = json.loads(result.output)
    assert [r["outcome"] for r in reports] == ["completed", "done"]
    assert reports[0]["added"] == {"Customer": 1}
    assert server.calls[2].params["strPassword"] == "from-env"


def test_simulate_fails_in_one_line_without_password_or_server() -> None:
    no_password = CliRunner().invoke(simulate, ["--url", "http://127.0.0.1:9/qbwc", "--user", "qb"], env={})
    assert no_password.exit_code != 0
    assert "no password" in no_password.output
    unreachable = CliRunner().invoke(
        simulate, ["--url", "http://127.0.0.1:9/qbwc", "--user", "qb", "--password-stdin"], input="pw\n"
    )
    assert unreachable.exit_code != 0
    assert unreachable.output.strip().count("\n") == 0
    assert "cannot reach the server" in unreachable.output
