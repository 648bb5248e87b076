"""The .qwc download: the same bytes as `qbwc-server qwc`, with a note on adding it to the Web Connector."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from lxml import etree

from qbwc_server.cli import main


@pytest.fixture
def admin(client, make_company, make_user, login):
    make_company("acme", "Acme Plumbing & Heating")
    make_user("root@example.com", "admin")
    login("root@example.com")
    return client


def test_the_page_explains_the_steps_and_proposes_this_servers_address(admin):
    page = admin.get("/c/acme/connect").get_data(as_text=True)
    assert 'value="http://localhost/qbwc"' in page
    assert "Add an application" in page
    assert "qbwc-acme" in page  # the Web Connector user whose password goes in the Password column
    assert "Auto-Run" in page


def test_the_download_is_byte_for_byte_what_the_command_writes(rt, admin, tmp_path):
    url = "https://sync.example.com/qbwc"
    response = admin.post("/c/acme/connect.qwc", data={"url": url})
    assert response.status_code == 200
    assert response.mimetype == "application/x-qwc"
    assert response.headers["Content-Disposition"] == 'attachment; filename="acme.qwc"'
    target = tmp_path / "cli.qwc"
    env = {"QBWC_DATABASE_URL": rt.settings.database_url, "QBWC_SECRET_KEY": "test-secret-key"}
    result = CliRunner().invoke(main, ["qwc", "acme", "--url", url, "-o", str(target)], env=env)
    assert result.exit_code == 0, result.output
    assert response.data == target.read_bytes()
    # And it is a well-formed document naming the endpoint and the company's Web Connector user
    root = etree.fromstring(response.data, etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.findtext("AppURL") == url
    assert root.findtext("UserName") == "qbwc-acme"
    # Two downloads are identical: the Web Connector recognises the same application
    assert admin.post("/c/acme/connect.qwc", data={"url": url}).data == response.data


def test_a_plain_http_address_on_another_host_is_explained_not_downloaded(admin):
    response = admin.post("/c/acme/connect.qwc", data={"url": "http://sync.example.com/qbwc"})
    assert response.status_code == 422
    assert "only connects over https" in response.get_data(as_text=True)
