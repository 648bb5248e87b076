"""The wheel an operator installs: built from the sdist, installed in a fresh venv far from the checkout, and run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from qbwc_server import __version__
from tests.processes import REPO, ServeProcess, fetch

pytestmark = pytest.mark.slow

PASSWORD = "wheel-test-password"  # noqa: S105
INSTALL_TIMEOUT = 600


def run(command: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None) -> str:
    """Run a command and return its output; fail the test with that output when it exits non-zero."""
    result = subprocess.run(
        command, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
    )
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the sdist, and the wheel from it, as `python -m build` does for a release."""
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)], cwd=REPO, env=dict(os.environ))
    wheels = list(dist.glob("qbwc_server-*.whl"))
    assert len(wheels) == 1 and list(dist.glob("qbwc_server-*.tar.gz")), sorted(p.name for p in dist.iterdir())
    return wheels[0]


def test_the_wheel_carries_the_templates_migrations_and_page_assets(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "qbwc_server/qbxml_templates/customer_add.xml.j2",
        "qbwc_server/qbxml_templates/message_set.xml.j2",
        "qbwc_server/qwc_templates/app.qwc.j2",
        "qbwc_server/migrations/env.py",
        "qbwc_server/migrations/versions/0001_initial_schema.py",
        "qbwc_server/web/templates/dashboard.html",
        "qbwc_server/web/static/style.css",
    ):
        assert expected in names
    assert wheel.name == f"qbwc_server-{__version__}-py3-none-any.whl"


def test_an_installed_wheel_serves_a_web_connector_session(wheel, tmp_path):
    # Given a fresh venv in a folder with no checkout in sight, and the wheel installed into it
    home = tmp_path / "operator"
    home.mkdir()
    venv = home / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=home, env=dict(os.environ))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("QBWC_", "PYTHON", "VIRTUAL_ENV"))}
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], cwd=home, env=clean)
    located = run([str(venv / "bin" / "python"), "-c", "import qbwc_server; print(qbwc_server.__file__)"], home, clean)
    assert Path(located.strip()).is_relative_to(venv)

    cli = [str(venv / "bin" / "qbwc-server")]
    env = {**clean, "QBWC_DATABASE_URL": f"sqlite:///{home / 'qbwc.sqlite3'}", "QBWC_INSTANCE_DIR": str(home)}
    # When the operator sets up a company as the README says
    run([*cli, "db", "upgrade"], home, env)
    run(
        [*cli, "company", "add", "acme", "--name", "Acme", "--qbwc-user", "acme-qbwc", "--password-stdin"],
        home,
        env,
        PASSWORD + "\n",
    )
    run([*cli, "qwc", "acme", "--url", "https://sync.example.com/qbwc", "-o", "acme.qwc"], home, env)
    qwc = (home / "acme.qwc").read_text()
    assert "<RunEveryNMinutes>15</RunEveryNMinutes>" in qwc and "<UserName>acme-qbwc</UserName>" in qwc
    owner_id = re.search(r"<OwnerID>(.*)</OwnerID>", qwc).group(1)  # type: ignore[union-attr]
    file_id = re.search(r"<FileID>(.*)</FileID>", qwc).group(1)  # type: ignore[union-attr]
    token = run([*cli, "token", "create", "acme"], home, env).strip().split()[-1]

    server = ServeProcess(env, home / "serve.log", command=cli, cwd=home)
    try:
        status, _ = fetch(
            server.url + "/api/v1/customers/c1",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            data=json.dumps({"first_name": "Ann", "last_name": "Lee"}).encode(),
            method="PUT",
        )
        assert status == 201, server.output()
        simulate = [*cli, "simulate", "--url", server.url + "/qbwc", "--user", "acme-qbwc", "--password-stdin"]
        simulate += ["--state", str(home / "quickbooks.json"), "--owner-id", owner_id, "--file-id", file_id, "--json"]
        reports = json.loads(run(simulate, home, env, PASSWORD + "\n"))
        # Then the installed server renders qbXML from its packaged templates and QuickBooks gets the customer
        assert reports[0]["server_version"] == f"qbwc-server {__version__}"
        assert reports[0]["outcome"] == "completed", reports[0]["messages"]
        assert reports[0]["added"] == {"Customer": 1}
        assert server.terminate() == 0, server.output()
    finally:
        server.kill()
