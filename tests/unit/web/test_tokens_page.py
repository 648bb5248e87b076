"""API tokens on the page: created and shown once, stored hashed, revoked for good."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from qbwc_server.models import ApiToken


@pytest.fixture
def admin(client, make_company, make_user, login):
    make_company("acme")
    make_company("other")
    make_user("root@example.com", "admin")
    login("root@example.com")
    return client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_new_token_is_shown_once_and_works_for_its_company(rt, admin):
    page = admin.post("/c/acme/tokens", data={"name": "field app"}).get_data(as_text=True)
    token = re.search(r'id="new-token" type="text" readonly value="(qbwc_[^"]+)"', page).group(1)
    assert "shown only this once" in page
    # Only the hash is kept, and the list shows the prefix alone
    with rt.transaction() as db:
        row = db.scalars(select(ApiToken)).one()
        assert token not in (row.token_hash, row.prefix) and row.name == "field app"
    listing = admin.get("/c/acme/tokens").get_data(as_text=True)
    assert token not in listing and f"qbwc_{row.prefix}…" in listing
    # The token speaks for this company through the REST API
    assert admin.get("/api/v1/status", headers=_bearer(token)).status_code == 200


def test_a_revoked_token_stops_working(rt, admin):
    page = admin.post("/c/acme/tokens", data={"name": ""}).get_data(as_text=True)
    token = re.search(r'value="(qbwc_[^"]+)"', page).group(1)
    with rt.transaction() as db:
        token_id = db.scalars(select(ApiToken.id)).one()
    response = admin.post(f"/c/acme/tokens/{token_id}/revoke", follow_redirects=True)
    assert "no longer works" in response.get_data(as_text=True)
    assert "revoked" in admin.get("/c/acme/tokens").get_data(as_text=True)
    assert admin.get("/api/v1/status", headers=_bearer(token)).status_code == 401


def test_a_token_of_another_company_cannot_be_revoked_through_this_one(rt, admin):
    admin.post("/c/other/tokens", data={"name": "theirs"})
    with rt.transaction() as db:
        token_id = db.scalars(select(ApiToken.id)).one()
    assert admin.post(f"/c/acme/tokens/{token_id}/revoke").status_code == 404
    with rt.transaction() as db:
        assert db.get(ApiToken, token_id).revoked_at is None
