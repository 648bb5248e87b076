"""The page and the REST API keep their ways in apart: a cookie never opens the API, a token never opens a page."""

from __future__ import annotations

from qbwc_server import tokens
from qbwc_server.models import Company


def _token(rt, company_id: int) -> str:
    with rt.transaction() as db:
        _, plain = tokens.create(db, db.get(Company, company_id), "tests")
    return plain


def test_a_signed_in_page_cookie_does_not_open_the_api(client, make_company, make_user, login):
    make_company("acme")
    make_user("anna@example.com", "admin")
    login("anna@example.com")
    assert client.get("/c/acme/").status_code == 200
    answer = client.put("/api/v1/customers/c-1", json={"company_name": "Acme Plumbing"})
    assert answer.status_code == 401
    assert answer.get_json()["error"] == "send your API token as 'Authorization: Bearer <token>'"
    # The API did not touch the page's session: still signed in, nothing set or cleared.
    assert "Set-Cookie" not in answer.headers
    assert client.get("/c/acme/").status_code == 200


def test_an_api_answer_has_no_session_cookie_and_does_not_vary_on_cookies(rt, client, make_company, make_user, login):
    plain = _token(rt, make_company("acme"))
    headers = {"Authorization": f"Bearer {plain}"}
    make_user("anna@example.com", "admin")
    login("anna@example.com")  # a browser that also holds a page login sends its cookie along
    for answer in (
        client.put("/api/v1/customers/c-1", json={"company_name": "Acme Plumbing"}, headers=headers),
        client.get("/api/v1/customers/c-1", headers=headers),
        client.get("/api/v1/customers/nobody", headers=headers),
        client.get("/api/v1/openapi.json"),
    ):
        assert answer.status_code in (200, 201, 404)
        assert "Set-Cookie" not in answer.headers
        assert "Cookie" not in answer.headers.get("Vary", "")
    # The page's own answers still vary on the cookie that signs the user in.
    assert "Cookie" in client.get("/c/acme/").headers["Vary"]


def test_an_api_token_does_not_open_a_page(rt, client, make_company):
    plain = _token(rt, make_company("acme"))
    page = client.get("/c/acme/", headers={"Authorization": f"Bearer {plain}"})
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login")
