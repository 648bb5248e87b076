"""`qbwc-server user add` and `user list`: page logins from the command line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qbwc_server.cli import main
from qbwc_server.web.auth import check_login


@pytest.fixture
def cli(rt):
    env = {"QBWC_DATABASE_URL": rt.settings.database_url, "QBWC_SECRET_KEY": "test-secret-key"}

    def run(*args: str, stdin: str | None = None):
        return CliRunner().invoke(main, list(args), input=stdin, env=env)

    return run


def test_user_add_reads_the_password_from_stdin_and_hashes_it(rt, cli, make_company):
    make_company("acme")
    args = ["--role", "bookkeeper", "--company", "acme", "--password-stdin"]
    result = cli("user", "add", "anna@example.com", *args, stdin="s3cret-password\n")
    assert result.exit_code == 0, result.output
    assert "User anna@example.com added as bookkeeper (sees acme)." in result.output
    with rt.transaction() as db:
        assert check_login(db, "anna@example.com", "s3cret-password") is not None


def test_user_list_as_json(cli, make_company, make_user):
    make_company("acme")
    make_user("anna@example.com", "bookkeeper", ("acme",))
    make_user("root@example.com", "admin")
    result = cli("user", "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [(r["email"], r["role"], r["companies"]) for r in rows] == [
        ("anna@example.com", "bookkeeper", ["acme"]),
        ("root@example.com", "admin", []),
    ]
    plain = cli("user", "list").output
    assert "root@example.com" in plain and "all companies" in plain


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "bookkeeper", "--password-stdin"], "short\n", "at least 8 characters"),
        (["--role", "bookkeeper", "--company", "nope", "--password-stdin"], "long enough\n", "there is no company"),
        (["--role", "boss", "--password-stdin"], "long enough\n", "Invalid value for '--role'"),
        (["--role", "admin"], "", "pipe it in with --password-stdin"),
    ],
)
def test_user_add_fails_with_one_clear_line(rt, cli, args, stdin, message):
    result = cli("user", "add", "anna@example.com", *args, stdin=stdin)
    assert result.exit_code != 0
    assert message in result.output


def test_a_duplicate_user_is_refused(cli, make_user):
    make_user("anna@example.com")
    result = cli("user", "add", "ANNA@example.com", "--role", "admin", "--password-stdin", stdin="long enough\n")
    assert result.exit_code == 1
    assert "already exists" in result.output
