"""Admin pages: adding page users and switching them off."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qbwc_server.models import Role, User


@pytest.fixture
def admin(client, make_company, make_user, login):
    make_company("acme", "Acme Plumbing")
    make_user("root@example.com", "admin")
    login("root@example.com")
    return client


def test_an_admin_adds_a_bookkeeper_who_can_then_sign_in(rt, admin, app):
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "root@example.com" in page and "Acme Plumbing" in page
    response = admin.post(
        "/admin/users",
        data={
            "email": "Anna@Example.com",
            "role": "bookkeeper",
            "companies": ["acme"],
            "password": "long enough pw",
            "password_confirm": "long enough pw",
        },
        follow_redirects=True,
    )
    assert "anna@example.com can now sign in as bookkeeper." in response.get_data(as_text=True)
    with rt.transaction() as db:
        user = db.scalars(select(User).where(User.email == "anna@example.com")).one()
        assert user.role is Role.BOOKKEEPER
        assert [c.slug for c in user.companies] == ["acme"]
    with app.test_client() as other:
        other.post("/login", data={"email": "anna@example.com", "password": "long enough pw"})
        assert other.get("/c/acme/").status_code == 200


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "not-an-email"}, "must be an email address"),
        ({"password": "short", "password_confirm": "short"}, "must be at least 8 characters"),
        ({"password_confirm": "something else"}, "the two passwords are not the same"),
        ({"email": "root@example.com"}, "already exists"),
        ({"companies": ["nope"]}, "there is no company &#39;nope&#39;"),
    ],
)
def test_a_bad_new_user_is_explained_and_not_added(rt, admin, changes, message):
    data = {
        "email": "new@example.com",
        "role": "bookkeeper",
        "password": "long enough pw",
        "password_confirm": "long enough pw",
    }
    data.update(changes)
    response = admin.post("/admin/users", data=data)
    assert response.status_code == 422
    assert message.lower() in response.get_data(as_text=True).lower()
    with rt.transaction() as db:
        assert db.scalars(select(User.email)).all() == ["root@example.com"]


def test_switching_a_user_off_and_on(rt, admin, make_user):
    make_user("anna@example.com", "bookkeeper")
    with rt.transaction() as db:
        anna = db.scalars(select(User.id).where(User.email == "anna@example.com")).one()
    page = admin.post(f"/admin/users/{anna}/active", data={"active": "0"}, follow_redirects=True)
    assert "anna@example.com can no longer sign in." in page.get_data(as_text=True)
    with rt.transaction() as db:
        assert db.get(User, anna).active is False
    admin.post(f"/admin/users/{anna}/active", data={"active": "1"})
    with rt.transaction() as db:
        assert db.get(User, anna).active is True


def test_an_admin_cannot_switch_off_their_own_sign_in(rt, admin):
    with rt.transaction() as db:
        me = db.scalars(select(User.id)).one()
    page = admin.post(f"/admin/users/{me}/active", data={"active": "0"}, follow_redirects=True)
    assert "You cannot switch off your own sign-in." in page.get_data(as_text=True)
