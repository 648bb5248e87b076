"""Who sees what: admins see every company, bookkeepers only theirs, and admin pages are for admins."""

from __future__ import annotations

import pytest

from qbwc_server.models import LogEvent, SyncState

ERROR = {"status_code": 3140, "message": "QuickBooks error 3140: secret-beta-error", "hint": "Fix it"}


@pytest.fixture
def two_companies(make_company, make_record):
    alpha = make_company("alpha", "Alpha Heating")
    beta = make_company("beta", "Beta Roofing")
    make_record(alpha, "customer", "alpha-cust", {"name": "Alice Alpha"})
    beta_record = make_record(
        beta,
        "customer",
        "beta-cust",
        {"name": "Bob Beta"},
        state=SyncState.ERROR,
        error=ERROR,
        log=[(LogEvent.FAILED, "beta failure", {"status_code": 3140})],
    )
    return alpha, beta, beta_record


def test_a_bookkeeper_never_sees_another_companys_records(client, two_companies, make_user, login):
    _alpha, _beta, beta_record = two_companies
    make_user("anna@example.com", "bookkeeper", ("alpha",))
    login("anna@example.com")
    # Their own company's pages work and show only their records
    records = client.get("/c/alpha/records?q=").get_data(as_text=True)
    assert "Alice Alpha" in records and "Bob Beta" not in records
    # The other company's pages and records are "not found", never shown
    for path in ["/c/beta/", "/c/beta/records", f"/c/beta/records/{beta_record}", "/c/beta/errors"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Bob Beta" not in response.get_data(as_text=True)
    # A record id of the other company under their own company is not found either
    response = client.get(f"/c/alpha/records/{beta_record}")
    assert response.status_code == 404
    assert "secret-beta-error" not in response.get_data(as_text=True)
    # Nor can they act on it
    assert client.post(f"/c/alpha/records/{beta_record}/reprocess").status_code == 404
    assert client.post(f"/c/beta/records/{beta_record}/reprocess").status_code == 404
    assert client.post("/c/beta/sync").status_code == 404
    assert client.post("/c/beta/pause").status_code == 404


def test_a_bookkeeper_with_one_company_goes_straight_to_it(client, two_companies, make_user, login):
    make_user("anna@example.com", "bookkeeper", ("alpha",))
    page = login("anna@example.com").get_data(as_text=True)
    assert "Alpha Heating" in page and "Beta Roofing" not in page


def test_an_admin_sees_every_company(client, two_companies, make_user, login):
    make_user("root@example.com", "admin")
    page = login("root@example.com").get_data(as_text=True)
    assert "Alpha Heating" in page and "Beta Roofing" in page
    assert client.get("/c/beta/errors").status_code == 200


def test_a_bookkeeper_without_companies_is_told_to_ask_an_admin(client, two_companies, make_user, login):
    make_user("new@example.com", "bookkeeper")
    page = login("new@example.com").get_data(as_text=True)
    assert "Ask an admin" in page
    assert "Alpha Heating" not in page


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/c/alpha/settings"),
        ("post", "/c/alpha/settings"),
        ("get", "/admin/users"),
        ("post", "/admin/users"),
        ("get", "/c/alpha/tokens"),
        ("post", "/c/alpha/tokens"),
        ("post", "/c/alpha/tokens/1/revoke"),
        ("get", "/c/alpha/connect"),
        ("get", "/c/alpha/connect.qwc"),
    ],
)
def test_a_bookkeeper_cannot_reach_admin_pages(app, client, two_companies, make_user, login, method, path):
    make_user("anna@example.com", "bookkeeper", ("alpha",))
    login("anna@example.com")
    response = getattr(client, method)(path)
    assert response.status_code == 403
    assert "Only an admin can open this page" in response.get_data(as_text=True)


def test_a_bookkeeper_sees_no_admin_links(client, two_companies, make_user, login):
    make_user("anna@example.com", "bookkeeper", ("alpha",))
    login("anna@example.com")
    page = client.get("/c/alpha/").get_data(as_text=True)
    assert "/c/alpha/settings" not in page
    assert "/admin/users" not in page


def test_pages_tell_browsers_to_run_no_scripts_and_keep_no_copies(client, two_companies, make_user, login):
    make_user("root@example.com", "admin")
    login("root@example.com")
    response = client.get("/c/alpha/")
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
