"""Sessions end on the server, cookies follow HTTPS, a .qwc for a foreign address needs a confirmation, local
files are private, and `simulate` fails when its login does."""

from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
import sys
from urllib.parse import urlencode

from qbwc_server.models import Role
from qbwc_server.web.auth import create_user
from tests.harness import PASSWORD, Harness
from tests.integration.hardening.conftest import Client

ADMIN, ADMIN_PASSWORD = "admin@example.com", "admin password 1"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _signed_in(harness: Harness) -> Client:
    with harness.runtime.transaction() as db:
        create_user(db, ADMIN, Role.ADMIN, ADMIN_PASSWORD)
    browser = Client(harness.server.port)
    assert browser.sign_in(ADMIN, ADMIN_PASSWORD).status == 302
    return browser


def test_a_cookie_copied_before_sign_out_stops_working(live):
    harness = live()
    browser = _signed_in(harness)
    copied = Client(harness.server.port, cookies=dict(browser.cookies))
    assert copied.request("GET", "/admin/users").status == 200
    token = browser.csrf_from("/admin/users")
    assert browser.request("POST", "/logout", urlencode({"csrf_token": token}).encode(), FORM).status == 302
    answer = copied.request("GET", "/admin/users")
    assert answer.status == 302 and "/login" in answer.headers["location"]


def test_cookies_are_secure_and_hsts_is_sent_behind_a_trusted_tls_proxy(runtime):
    runtime.settings = dataclasses.replace(runtime.settings, trust_proxy=1)
    harness = Harness(runtime)
    try:
        with harness.runtime.transaction() as db:
            create_user(db, ADMIN, Role.ADMIN, ADMIN_PASSWORD)
        proxied = Client(harness.server.port)
        page = proxied.request("GET", "/login", headers={"X-Forwarded-Proto": "https"})
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert "Secure" in page.headers["set-cookie"]
        # Over plain HTTP there is neither: the browser would drop a Secure cookie
        plain = Client(harness.server.port).request("GET", "/login")
        assert "strict-transport-security" not in plain.headers
        assert "Secure" not in plain.headers["set-cookie"]
    finally:
        harness.close()


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(live):
    harness = live()
    page = Client(harness.server.port).request("GET", "/login", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in page.headers
    assert "Secure" not in page.headers["set-cookie"]


def test_a_qwc_for_another_address_needs_a_confirming_post(live):
    harness = live()
    browser = _signed_in(harness)
    attacker_url = "https://attacker.example/qbwc"
    # A link alone shows the form and a warning, never the file
    answer = browser.request("GET", f"/c/{harness.slug}/connect.qwc?url={attacker_url}")
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/html")
    assert "which is not this server" in answer.body.decode()
    # A cross-site POST without the form's token is refused
    forged = browser.request("POST", f"/c/{harness.slug}/connect.qwc", urlencode({"url": attacker_url}).encode(), FORM)
    assert forged.status == 400
    # The admin's own confirmation downloads it
    token = browser.csrf_from(f"/c/{harness.slug}/connect")
    form = urlencode({"url": attacker_url, "csrf_token": token}).encode()
    confirmed = browser.request("POST", f"/c/{harness.slug}/connect.qwc", form, FORM)
    assert confirmed.status == 200 and confirmed.headers["content-type"].startswith("application/x-qwc")
    # This server's own address still downloads from a link
    own = browser.request("GET", f"/c/{harness.slug}/connect.qwc")
    assert own.status == 200 and own.headers["content-type"].startswith("application/x-qwc")
    assert f"<AppURL>{harness.server.url}/qbwc</AppURL>".encode() in own.body
    assert b"attacker.example" not in own.body


def test_simulate_exits_non_zero_when_the_web_connector_login_fails(live, tmp_path):
    harness = live()
    command = [sys.executable, "-m", "qbwc_server", "simulate", "--url", f"{harness.server.url}/qbwc"]
    command += ["--user", f"{harness.slug}-qbwc", "--password-stdin", "--state", str(tmp_path / "qb.json")]
    env = {**os.environ, "QBWC_DATABASE_URL": harness.runtime.settings.database_url}
    wrong = subprocess.run(command, input="wrong password\n", capture_output=True, text=True, env=env, timeout=120)
    assert wrong.returncode == 1
    assert "invalid_user" in wrong.stdout
    assert "refused the Web Connector login" in wrong.stderr
    right = subprocess.run(command, input=PASSWORD + "\n", capture_output=True, text=True, env=env, timeout=120)
    assert right.returncode == 0, right.stderr


def test_the_database_and_secret_key_files_are_private(tmp_path):
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if k not in ("QBWC_DATABASE_URL", "QBWC_SECRET_KEY")}
    env["QBWC_INSTANCE_DIR"] = str(instance)
    result = subprocess.run(
        [sys.executable, "-m", "qbwc_server", "db", "upgrade"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    for name in ("qbwc.sqlite3", "secret_key"):
        assert stat.S_IMODE((instance / name).stat().st_mode) == 0o600, name
