"""Signing in and out: no page without a login, sessions that expire, passwords that are checked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from qbwc_server.models import User
from qbwc_server.web.auth import check_login

PAGES = [
    "/",
    "/c/acme/",
    "/c/acme/records",
    "/c/acme/records/1",
    "/c/acme/errors",
    "/c/acme/settings",
    "/admin/users",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_stranger_to_the_sign_in_form(client, make_company, path):
    # Given a company and nobody signed in
    make_company("acme")
    # When a stranger opens a page
    response = client.get(path)
    # Then they are sent to sign in, and come back to the page afterwards
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/c/acme/sync", "/c/acme/pause", "/c/acme/errors/reprocess"])
def test_no_action_without_a_login(client, make_company, path):
    make_company("acme")
    response = client.post(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_sign_in_with_the_right_password_shows_the_dashboard(client, make_company, make_user, login):
    make_company("acme", "Acme Plumbing")
    make_user("anna@example.com", "bookkeeper", ("acme",))
    page = login("anna@example.com").get_data(as_text=True)
    assert "Dashboard" in page
    assert "Acme Plumbing" in page
    assert "anna@example.com" in page


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, make_user, login):
    make_user("anna@example.com")
    wrong_password = login("anna@example.com", "not the password")
    unknown_email = login("nobody@example.com")
    assert wrong_password.status_code == unknown_email.status_code == 401
    message = "That email and password do not match a user of this server."
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown_email.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_the_email_is_matched_without_regard_to_case(client, make_company, make_user, login):
    make_company("acme")
    make_user("Anna@Example.com", "admin")
    assert login("  anna@EXAMPLE.com ").status_code == 200
    assert client.get("/c/acme/").status_code == 200


def test_passwords_are_stored_hashed(rt, make_user):
    make_user("anna@example.com")
    with rt.transaction() as db:
        user = db.query(User).one()
        assert "correct horse" not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert check_login(db, "anna@example.com", "correct horse battery") is not None


def test_sign_out_ends_the_session(client, make_company, make_user, login):
    make_company("acme")
    make_user("anna@example.com", "admin")
    login("anna@example.com")
    assert client.get("/c/acme/").status_code == 200
    client.post("/logout")
    assert client.get("/c/acme/").status_code == 302


def test_a_switched_off_user_is_signed_out_and_cannot_sign_in(rt, client, make_company, make_user, login):
    make_company("acme")
    make_user("anna@example.com", "admin")
    login("anna@example.com")
    with rt.transaction() as db:
        db.query(User).one().active = False
    assert client.get("/c/acme/").status_code == 302
    assert login("anna@example.com").status_code == 401


def test_the_session_expires_after_the_configured_minutes(rt, client, make_company, make_user, login):
    make_company("acme")
    make_user("anna@example.com", "admin")
    minutes = rt.settings.login_session_minutes
    with freeze_time() as frozen:
        login("anna@example.com")
        frozen.tick(timedelta(minutes=minutes - 1))
        assert client.get("/c/acme/").status_code == 200
        frozen.tick(timedelta(minutes=minutes + 1))
        assert client.get("/c/acme/").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(client, make_user, login):
    make_user("anna@example.com", "admin")
    response = client.post("/login", data={"email": "anna@example.com", "password": "correct horse battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie


def test_sign_in_goes_back_to_the_page_asked_for_but_never_to_another_site(client, make_company, make_user):
    make_company("acme")
    make_user("anna@example.com", "admin")
    data = {"email": "anna@example.com", "password": "correct horse battery"}
    response = client.post("/login?next=/c/acme/errors", data=data)
    assert response.headers["Location"] == "/c/acme/errors"
    client.post("/logout")
    response = client.post("/login?next=https://evil.example/", data=data)
    assert response.headers["Location"] == "/"


def test_repeated_wrong_passwords_make_the_next_tries_wait(client, make_user, login):
    make_user("anna@example.com")
    for _ in range(6):
        login("anna@example.com", "guess")
    # Even the right password waits now: guessing gets slow.
    response = login("anna@example.com")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
