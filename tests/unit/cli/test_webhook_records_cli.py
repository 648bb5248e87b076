"""`qbwc-server webhook …` and `records load` as an admin uses them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from qbwc_server.models import Record, WebhookEndpoint
from tests.integration.webhooks.receiver import Receiver


@pytest.fixture
def cli(acme_cli):
    """Run `qbwc-server …` on the test database with a company acme."""
    return acme_cli


@pytest.fixture
def hooks():
    r = Receiver()
    yield r
    r.stop()


def test_add_test_rotate_and_remove_an_endpoint(cli, hooks, sqlite_runtime):
    # Given an endpoint added from the command line, its secret printed once
    code, out, err = cli("webhook", "add", "acme", "--url", hooks.url, "--event", "record.error")
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("whsec_") and "cannot be shown again" in err
    code, out, _ = cli("webhook", "list", "acme", "--json")
    [endpoint] = json.loads(out)
    assert endpoint["url"] == hooks.url and endpoint["events"] == ["record.error"]
    assert secret not in out
    # When a test event is sent, it arrives signed with that secret
    code, out, err = cli("webhook", "test", "acme")
    assert code == 0, err
    assert "answered HTTP 200" in out
    headers, body = hooks.accepted()[-1]
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"
    # When the secret is rotated, deliveries carry a signature for each secret for a day
    code, out, _ = cli("webhook", "rotate", "acme", str(endpoint["id"]))
    new_secret = out.strip()
    assert code == 0 and new_secret != secret
    cli("webhook", "test", "acme")
    headers, body = hooks.accepted()[-1]
    assert len(headers["webhook-signature"].split()) == 2
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"
    assert Webhook(new_secret).verify(body, headers)["type"] == "webhook.test"
    # When it is removed, it is gone
    code, out, _ = cli("webhook", "remove", "acme", str(endpoint["id"]))
    assert code == 0
    with sqlite_runtime.transaction() as db:
        assert db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_a_bad_url_and_an_unreachable_endpoint_are_one_line_errors(cli):
    code, _, err = cli("webhook", "add", "acme", "--url", "ftp://example.com/hooks")
    assert code != 0 and "url: must start with https://" in err
    code, _, err = cli("webhook", "add", "acme", "--url", "http://127.0.0.1:9/hooks")
    assert code == 0
    code, _, err = cli("webhook", "test", "acme")
    assert code != 0
    assert err.strip().startswith("Error: the endpoint did not take the test event: no answer")
    assert len(err.strip().splitlines()) == 1


def test_records_load_stores_a_jsonl_file_and_lists_refused_lines(cli, sqlite_runtime, tmp_path):
    lines = [json.dumps({"external_id": f"c{n}", "first_name": "Ann", "last_name": f"Lee{n}"}) for n in range(30)]
    lines[4] = json.dumps({"external_id": "c4", "first_name": "Ann", "email": "nope"})
    lines[7] = "{not json"
    path = tmp_path / "customers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = cli("records", "load", "acme", "customers", str(path))
    assert code != 0
    assert out.strip() == "28 created, 2 invalid", err
    assert "line 5: email: must be an email address" in err
    assert "line 8: body: is not JSON" in err
    assert "2 of 30 lines were not stored" in err
    with sqlite_runtime.transaction() as db:
        assert db.scalar(select(func.count()).select_from(Record)) == 28
    # Loading the same file again changes nothing
    code, out, _ = cli("records", "load", "acme", "customers", str(path), "--json")
    assert json.loads(out)["counts"] == {"unchanged": 28, "invalid": 2}
