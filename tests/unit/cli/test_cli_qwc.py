"""`qbwc-server qwc SLUG --url URL [-o FILE]`."""

from __future__ import annotations

import json

from lxml import etree


def _add(cli):
    return cli(
        "company", "add", "acme", "--name", "Acme", "--qbwc-user", "acme-wc", "--password-stdin", input="s3cret-pass\n"
    )


def test_writes_the_same_file_every_time(cli, tmp_path):
    _add(cli)
    first, second = tmp_path / "one.qwc", tmp_path / "two.qwc"
    assert cli("qwc", "acme", "--url", "https://sync.example.com/qbwc", "-o", str(first)).exit_code == 0
    assert cli("qwc", "acme", "--url", "https://sync.example.com/qbwc", "-o", str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    root = etree.fromstring(first.read_bytes())
    company = json.loads(cli("company", "show", "acme", "--json").output)
    assert root.findtext("FileID") == company["file_id"]
    assert root.findtext("UserName") == "acme-wc"


def test_prints_to_standard_output(cli):
    _add(cli)
    result = cli("qwc", "acme", "--url", "http://localhost:8080/qbwc")
    assert result.exit_code == 0
    assert result.output.startswith('<?xml version="1.0"?>\n<QBWCXML>')


def test_plain_http_to_a_real_host_is_a_clear_error(cli):
    _add(cli)
    result = cli("qwc", "acme", "--url", "http://sync.example.com/qbwc")
    assert result.exit_code == 1
    assert "https" in result.output and len(result.output.strip().splitlines()) == 1


def test_unknown_company(cli):
    result = cli("qwc", "ghost", "--url", "https://sync.example.com/qbwc")
    assert result.exit_code == 1 and "ghost" in result.output
