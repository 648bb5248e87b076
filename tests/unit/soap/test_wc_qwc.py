"""The .qwc file: the rules of QWC_FORMAT.md, the Intuit examples' structure, and stable bytes."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from qbwc_server import companies
from qbwc_server.errors import InvalidInput
from qbwc_server.models import Company
from qbwc_server.qwc import check_url, render_qwc

REQUIRED = ["AppName", "AppID", "AppURL", "AppDescription", "AppSupport", "UserName", "OwnerID", "FileID", "QBType"]
GUID = re.compile(r"^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$")


def _company(**overrides) -> Company:
    values = dict(
        slug="smith-sons",
        name="Smith & Sons <Plumbing>",
        qbwc_username="smith&wc",
        owner_id=companies.new_guid(),
        file_id=companies.new_guid(),
        run_every_minutes=20,
    )
    values.update(overrides)
    return Company(**values)


def _parse(text: str) -> etree._Element:
    return etree.fromstring(text.encode(), etree.XMLParser(resolve_entities=False, no_network=True))


def test_follows_the_format_rules():
    company = _company()
    root = _parse(render_qwc(company, "https://sync.example.com/qbwc"))
    assert root.tag == "QBWCXML"
    for tag in REQUIRED:
        assert root.find(tag) is not None, tag
    assert root.findtext("AppID") == ""
    assert root.findtext("AppURL") == "https://sync.example.com/qbwc"
    assert root.findtext("AppSupport") == "https://sync.example.com/"
    assert root.findtext("UserName") == "smith&wc"
    assert root.findtext("QBType") == "QBFS"
    assert root.findtext("IsReadOnly") == "false"
    assert root.findtext("Scheduler/RunEveryNMinutes") == "20"
    assert root.findtext("AppUniqueName") == "qbwc-server.smith-sons"
    assert "Smith & Sons <Plumbing>" in root.findtext("AppName")
    assert len(root.findtext("AppDescription")) <= 80
    assert GUID.match(root.findtext("OwnerID")) and GUID.match(root.findtext("FileID"))
    assert (root.findtext("OwnerID"), root.findtext("FileID")) == (company.owner_id, company.file_id)
    assert "password" not in render_qwc(company, "https://sync.example.com/qbwc").lower()


def test_has_the_structure_of_intuits_examples(fixtures_dir):
    ours = _parse(render_qwc(_company(), "https://sync.example.com/qbwc"))
    our_tags = {child.tag for child in ours}
    examples = sorted((fixtures_dir / "qwc").glob("intuit-*.qwc"))
    assert examples
    for example in examples:
        text = example.read_text()
        assert text.startswith('<?xml version="1.0"?>')
        theirs = _parse(text)
        assert theirs.tag == ours.tag
        # Every element Intuit's examples require is present in ours, and has no namespace, like theirs.
        assert set(REQUIRED) - {"UserName"} <= {child.tag for child in theirs}
        assert set(REQUIRED) <= our_tags
        assert ours.nsmap == theirs.nsmap == {}
    assert render_qwc(_company(), "https://h/qbwc").startswith('<?xml version="1.0"?>\n<QBWCXML>')


def test_values_are_escaped():
    text = render_qwc(_company(), "https://sync.example.com/qbwc?a=1&b=2")
    assert "Smith &amp; Sons &lt;Plumbing&gt;" in text
    assert "smith&amp;wc" in text
    assert _parse(text).findtext("AppURL") == "https://sync.example.com/qbwc?a=1&b=2"


def test_byte_identical_every_time():
    company = _company()
    first = render_qwc(company, "https://sync.example.com/qbwc")
    assert all(render_qwc(company, "https://sync.example.com/qbwc") == first for _ in range(3))


@pytest.mark.parametrize(
    "url",
    ["http://sync.example.com/qbwc", "http://192.168.1.5/qbwc", "ftp://localhost/qbwc", "sync.example.com/qbwc", ""],
)
def test_plain_http_only_on_localhost(url):
    with pytest.raises(InvalidInput) as exc:
        check_url(url)
    assert "url" in exc.value.errors


def test_localhost_may_use_http():
    assert check_url("http://localhost:8080/qbwc") == ("http://localhost:8080/qbwc", "http://localhost:8080/")
    assert check_url("http://127.0.0.1:8080/qbwc")[1] == "http://127.0.0.1:8080/"
