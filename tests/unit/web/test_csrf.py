"""Every form needs its CSRF token; the REST API (bearer tokens) does not."""

from __future__ import annotations

import re

import pytest

from qbwc_server.models import Company


@pytest.fixture
def csrf_client(csrf_app, make_company, make_user):
    make_company("acme")
    make_user("root@example.com", "admin")
    with csrf_app.test_client() as client:
        yield client


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token in its forms"
    return match.group(1)


def _sign_in(client) -> str:
    token = _token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": "root@example.com", "password": "correct horse battery", "csrf_token": token})
    return _token(client.get("/c/acme/").get_data(as_text=True))


def test_sign_in_without_the_token_is_refused(csrf_client):
    response = csrf_client.post("/login", data={"email": "root@example.com", "password": "correct horse battery"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert csrf_client.get("/c/acme/").status_code == 302


def test_a_form_post_without_the_token_changes_nothing(rt, csrf_client):
    _sign_in(csrf_client)
    response = csrf_client.post("/c/acme/pause")
    assert response.status_code == 400
    with rt.transaction() as db:
        assert db.query(Company).one().paused is False


def test_a_form_post_with_a_forged_token_changes_nothing(rt, csrf_client):
    _sign_in(csrf_client)
    response = csrf_client.post("/c/acme/pause", data={"csrf_token": "forged"})
    assert response.status_code == 400
    with rt.transaction() as db:
        assert db.query(Company).one().paused is False


def test_the_same_form_with_the_pages_token_works(rt, csrf_client):
    token = _sign_in(csrf_client)
    response = csrf_client.post("/c/acme/pause", data={"csrf_token": token})
    assert response.status_code == 302
    with rt.transaction() as db:
        assert db.query(Company).one().paused is True


def test_the_rest_api_path_is_not_asked_for_a_csrf_token(csrf_client):
    # The API authenticates with bearer tokens, never cookies: a token in a form would mean nothing there.
    response = csrf_client.post("/api/v1/sync")
    assert response.status_code != 400 or "form has expired" not in response.get_data(as_text=True)
