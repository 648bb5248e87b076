"""API tokens: required, one company each, revocable, and never stored in the clear."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from qbwc_server import tokens
from qbwc_server.models import ApiToken, Base, Company

CUSTOMER = {"company_name": "Acme Plumbing"}


def test_no_token_gets_401_in_json(client):
    for response in (
        client.get("/api/v1/customers/c-1"),
        client.get("/api/v1/status"),
        client.put("/api/v1/customers/c-1", json=CUSTOMER),
        client.get("/api/v1/customers/c-1", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}),
        client.get("/api/v1/customers/c-1", headers={"Authorization": "Bearer "}),
    ):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in response.get_json()["error"]


def test_an_unknown_token_gets_401(client, auth):
    forged = "qbwc_" + "A" * 43
    response = client.get("/api/v1/status", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.get_json() == {"error": "this API token is not valid: it is unknown or was revoked"}


def test_a_revoked_token_gets_401(client, runtime, make_company, make_token):
    company_id = make_company("acme")
    plain = make_token(company_id)
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/status", headers=headers).status_code == 200
    with runtime.transaction() as db:
        revoked = tokens.revoke(db, db.get(Company, company_id), plain[:13])
    assert len(revoked) == 1
    assert client.get("/api/v1/status", headers=headers).status_code == 401


def test_a_token_sees_only_its_own_company(client, make_company, make_token):
    token_a = {"Authorization": f"Bearer {make_token(make_company('alpha'))}"}
    token_b = {"Authorization": f"Bearer {make_token(make_company('bravo'))}"}
    assert (
        client.put("/api/v1/customers/c-1", json={"company_name": "Alpha's customer"}, headers=token_a).status_code
        == 201
    )
    # Company B cannot read A's record, nor overwrite it: the same external_id is B's own record.
    assert client.get("/api/v1/customers/c-1", headers=token_b).status_code == 404
    assert client.post("/api/v1/customers/c-1/sync", headers=token_b).status_code == 404
    assert client.get("/api/v1/customers", headers=token_b).get_json()["data"] == []
    assert (
        client.put("/api/v1/customers/c-1", json={"company_name": "Bravo's customer"}, headers=token_b).status_code
        == 201
    )
    assert client.get("/api/v1/customers/c-1", headers=token_a).get_json()["company_name"] == "Alpha's customer"
    assert client.get("/api/v1/status", headers=token_b).get_json()["company"]["slug"] == "bravo"


def test_the_token_is_stored_only_as_its_hash(runtime, make_company):
    company_id = make_company()
    with runtime.transaction() as db:
        token, plain = tokens.create(db, db.get(Company, company_id), "host app")
    assert plain.startswith("qbwc_") and len(plain) > 40
    everything = []
    with runtime.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            everything.extend(str(tuple(row)) for row in connection.execute(table.select()))
    dump = "\n".join(everything)
    assert plain not in dump
    assert plain[5:] not in dump
    assert hashlib.sha256(plain.encode()).hexdigest() in dump
    assert token.prefix == plain[5:13]


def test_verify_finds_live_tokens_and_notes_their_use(runtime, make_company):
    company_id = make_company()
    with runtime.transaction() as db:
        _, plain = tokens.create(db, db.get(Company, company_id))
    with runtime.transaction() as db:
        found = tokens.verify(db, plain)
        assert found is not None and found.company_id == company_id
        assert tokens.verify(db, plain[:-1] + ("A" if plain[-1] != "A" else "B")) is None
        assert tokens.verify(db, "") is None
    with runtime.transaction() as db:
        assert db.scalar(select(ApiToken)).last_used_at is not None
