"""Imports started through the REST API and shown in its status."""

from __future__ import annotations


def test_an_import_is_queued_and_its_progress_shows_in_the_status(client, auth):
    response = client.post("/api/v1/imports", json={"kinds": ["customers", "items"]}, headers=auth)
    assert response.status_code == 202
    assert [run["kind"] for run in response.get_json()["imports"]] == ["items", "customers"]
    assert {run["status"] for run in response.get_json()["imports"]} == {"queued"}
    status = client.get("/api/v1/status", headers=auth).get_json()
    assert status["imports"]["customers"]["status"] == "queued"
    listed = client.get("/api/v1/imports", headers=auth).get_json()["imports"]
    assert {run["kind"] for run in listed} == {"customers", "items"}


def test_an_unknown_kind_is_refused_with_the_known_ones(client, auth):
    response = client.post("/api/v1/imports", json={"kinds": ["widgets"]}, headers=auth)
    assert response.status_code == 422
    assert "customers" in response.get_json()["errors"]["kind"]
    response = client.post("/api/v1/imports", json={}, headers=auth)
    assert response.status_code == 422
    assert "kinds" in response.get_json()["errors"]
