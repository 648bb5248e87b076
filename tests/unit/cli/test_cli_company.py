"""`qbwc-server company …` as an admin uses it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, select

from qbwc_server import passwords
from qbwc_server.cli import company as company_cli
from qbwc_server.models import Company


def _add(cli, slug="acme", user="acme-wc", password="s3cret-pass"):
    return cli(
        "company",
        "add",
        slug,
        "--name",
        "Acme Plumbing",
        "--qbwc-user",
        user,
        "--password-stdin",
        input=password + "\n",
    )


def test_add_list_show(cli):
    result = _add(cli)
    assert result.exit_code == 0, result.output
    assert "qbwc-server qwc acme" in result.output

    listed = json.loads(cli("company", "list", "--json").output)
    assert [c["slug"] for c in listed] == ["acme"]
    shown = cli("company", "show", "acme", "--json")
    data = json.loads(shown.output)
    assert data["qbwc_user"] == "acme-wc" and data["owner_id"].startswith("{")
    assert "scrypt" not in shown.output and "s3cret-pass" not in shown.output
    plain = cli("company", "show", "acme").output
    assert "file_id: {" in plain and "scrypt" not in plain
    assert "acme" in cli("company", "list").output


def test_ids_never_change(cli):
    _add(cli)
    before = json.loads(cli("company", "show", "acme", "--json").output)
    cli("company", "set", "acme", "name=Acme Two", "run_every_minutes=5")
    after = json.loads(cli("company", "show", "acme", "--json").output)
    assert (before["owner_id"], before["file_id"]) == (after["owner_id"], after["file_id"])
    assert (after["name"], after["run_every_minutes"]) == ("Acme Two", 5)


def test_duplicate_is_a_one_line_error(cli):
    _add(cli)
    result = _add(cli)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: a company with the slug 'acme' already exists"]


def _stored_hash(cli, slug):
    engine = create_engine(cli.url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(Company.password_hash).where(Company.slug == slug))
    finally:
        engine.dispose()


def test_the_default_password_is_generated_printed_once_and_logs_in(cli):
    result = cli("company", "add", "acme", "--name", "Acme", "--qbwc-user", "acme-wc")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("Web Connector password: "))
    password = line.removeprefix("Web Connector password: ")
    assert len(password) >= 32  # 24 random bytes: far more than 128 bits
    stored = _stored_hash(cli, "acme")
    assert password not in stored and not stored.startswith("scrypt")
    assert passwords.verify_web_connector(stored, password)
    assert not passwords.verify_web_connector(stored, password[:-1] + ("A" if password[-1] != "A" else "B"))

    again = cli("company", "password", "acme")
    assert again.exit_code == 0, again.output
    fresh = next(x for x in again.output.splitlines() if x.startswith("Web Connector password: "))
    assert fresh.removeprefix("Web Connector password: ") != password
    assert not passwords.verify_web_connector(_stored_hash(cli, "acme"), password)


def test_choosing_a_password_without_a_terminal_asks_for_stdin(cli):
    result = cli("company", "add", "acme", "--name", "Acme", "--qbwc-user", "acme-wc", "--choose-password")
    assert result.exit_code == 1
    assert "--password-stdin" in result.output


def test_a_chosen_password_keeps_the_slow_hash(cli):
    assert _add(cli).exit_code == 0
    stored = _stored_hash(cli, "acme")
    assert stored.startswith("scrypt")
    assert passwords.verify_web_connector(stored, "s3cret-pass")
    assert "Web Connector password:" not in _add(cli, slug="acme-2", user="other").output


def test_prompts_twice_in_a_terminal(cli, monkeypatch):
    monkeypatch.setattr(company_cli, "stdin_is_interactive", lambda: True)
    result = cli(
        "company",
        "add",
        "acme",
        "--name",
        "Acme",
        "--qbwc-user",
        "acme-wc",
        "--choose-password",
        input="s3cret-pass\ns3cret-pass\n",
    )
    assert result.exit_code == 0, result.output
    assert "s3cret-pass" not in result.output


def test_weak_password_is_refused(cli):
    result = _add(cli, password="short")
    assert result.exit_code == 1
    assert "password" in result.output and "8 characters" in result.output


def test_set_settings_and_errors(cli):
    _add(cli)
    ok = cli(
        "company",
        "set",
        "acme",
        "batch_size=10",
        "auto_sync=false",
        "qbxml_version_cap=16.0",
        "tax_mapping=CA:State Tax",
    )
    assert ok.exit_code == 0, ok.output
    data = json.loads(cli("company", "show", "acme", "--json").output)
    assert data["settings"]["batch_size"] == 10
    assert data["settings"]["auto_sync"] is False
    assert data["settings"]["tax_mapping"] == {"CA": "State Tax"}
    assert data["qbxml_version_cap"] == "16.0"

    for bad, expected in [
        ("batch_size=lots", "batch_size: must be a whole number"),
        ("qbxml_version_cap=7.5", "qbxml_version_cap: must be one of"),
        ("colour=blue", "colour: unknown key"),
        ("run_every_minutes=0", "run_every_minutes: must be between 1 and 1440"),
    ]:
        result = cli("company", "set", "acme", bad)
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], result.output


@pytest.mark.parametrize("command", ["pause", "resume"])
def test_pause_and_resume(cli, command):
    _add(cli)
    result = cli("company", command, "acme")
    assert result.exit_code == 0
    assert json.loads(cli("company", "show", "acme", "--json").output)["paused"] is (command == "pause")


def test_unknown_company(cli):
    result = cli("company", "show", "ghost")
    assert result.exit_code == 1
    assert "no company with the slug 'ghost'" in result.output


def test_list_calls_out_a_company_whose_web_connector_stopped_checking_in(cli):
    from datetime import timedelta

    from sqlalchemy import select

    from qbwc_server import clock
    from qbwc_server.models import Company
    from qbwc_server.runtime import Runtime

    _add(cli)
    assert "Never connected" in cli("company", "list").output
    runtime = Runtime.from_env(database_url=cli.url, secret_key="test")
    with runtime.transaction() as db:
        db.scalar(select(Company)).last_checkin_at = clock.now() - timedelta(hours=1)
    runtime.close()

    plain = cli("company", "list").output
    assert "Not checking in" in plain
    assert "has not started a session for 60 minutes though it should every 15 minutes" in plain
    assert "- Is the Web Connector's password for this company saved" in plain
    assert "- Last good session: none yet." in plain
    listed = json.loads(cli("company", "list", "--json").output)
    assert listed[0]["status"]["state"] == "not_checking_in"
