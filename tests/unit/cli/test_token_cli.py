"""`qbwc-server token …` as an admin uses it: create shows the token once, list shows prefixes, revoke stops it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from qbwc_server import tokens
from qbwc_server.models import ApiToken


@pytest.fixture
def cli(acme_cli):
    """Run `qbwc-server …` on the test database with a company acme."""
    return acme_cli


def test_create_prints_a_working_token_once(cli, sqlite_runtime):
    code, out, err = cli("token", "create", "acme", "--name", "field app")
    assert code == 0
    plain = out.strip()
    assert plain.startswith("qbwc_")
    assert "cannot be shown again" in err
    with sqlite_runtime.transaction() as db:
        token = tokens.verify(db, plain)
        assert token is not None and token.name == "field app"
        assert db.scalar(select(ApiToken.token_hash)) != plain


def test_list_shows_prefixes_never_tokens(cli):
    _, first, _ = cli("token", "create", "acme")
    code, out, _ = cli("token", "list", "acme")
    assert code == 0
    assert first.strip()[:13] + "…" in out
    assert first.strip() not in out
    code, out, _ = cli("token", "list", "acme", "--json")
    listed = json.loads(out)
    assert [row["prefix"] for row in listed] == [first.strip()[5:13]]
    assert listed[0]["revoked_at"] is None


def test_revoke_by_prefix_stops_the_token(cli, sqlite_runtime):
    _, out, _ = cli("token", "create", "acme")
    plain = out.strip()
    code, said, _ = cli("token", "revoke", "acme", plain[:13])
    assert code == 0
    assert said.startswith("Revoked qbwc_")
    with sqlite_runtime.transaction() as db:
        assert tokens.verify(db, plain) is None
    assert json.loads(cli("token", "list", "acme", "--json")[1])[0]["revoked_at"] is not None


def test_mistakes_fail_with_one_line(cli):
    code, _, err = cli("token", "create", "nobody")
    assert code == 1
    assert err.strip() == "Error: no company 'nobody'; `qbwc-server company list` shows them"
    code, _, err = cli("token", "revoke", "acme", "qbwc_ZZZZZZZZ")
    assert code == 1
    assert err.strip() == "Error: acme has no token starting qbwc_ZZZZZZZZ"
