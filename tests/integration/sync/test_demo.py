"""`make run`'s demo: a sample company that reaches the simulated QuickBooks on its own, with one error to explain."""

from __future__ import annotations

from sqlalchemy import func, select

from qbwc_server import demo, passwords
from qbwc_server.models import Record, SyncState, User
from qbwc_server.simulator import FakeCompany, FakeWebConnector
from qbwc_server.wsgi import make_wsgi_app
from tests.live import LiveServer


def test_the_demo_company_syncs_with_the_simulator_and_shows_one_error(sqlite_runtime, tmp_path):
    company = demo.prepare(sqlite_runtime)
    again = demo.prepare(sqlite_runtime)
    with sqlite_runtime.transaction() as db:
        assert db.scalar(select(func.count()).select_from(Record)) == len(demo.SAMPLE)
    assert again.owner_id == company.owner_id and again.qbwc_password != company.qbwc_password

    server = LiveServer(make_wsgi_app(sqlite_runtime))
    try:
        report = FakeWebConnector(
            server.url + "/qbwc",
            again.qbwc_user,
            again.qbwc_password,
            FakeCompany.demo(),
            owner_id=again.owner_id,
            file_id=again.file_id,
        ).run_session()
    finally:
        server.stop()
    assert report.outcome == "completed"
    with sqlite_runtime.transaction() as db:
        states = {r.external_id: r.sync_state for r in db.scalars(select(Record))}
    assert states.pop("inv-2026") is SyncState.PENDING  # a draft
    assert states.pop("pay-2") is SyncState.ERROR  # Zelle is not a payment method in QuickBooks
    assert states == {k: SyncState.SYNCED for k in states}


def test_the_demo_login_is_an_admin_with_a_fresh_password(sqlite_runtime):
    email, password = demo.page_login(sqlite_runtime)
    with sqlite_runtime.transaction() as db:
        user = db.scalar(select(User).where(User.email == email))
        assert user.role.value == "admin"
        assert passwords.verify_password(user.password_hash, password)
