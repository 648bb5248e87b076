"""Companies: creation with their Web Connector user, validation, changes, pause."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qbwc_server import companies, passwords
from qbwc_server.errors import AlreadyExists, InvalidInput, NotFound
from qbwc_server.models import Company


def test_create_generates_ids_once_and_hashes_the_password(runtime):
    with runtime.transaction() as db:
        company = companies.create_company(db, "acme", "Acme Plumbing", "acme-wc", "s3cret-pass")
    with runtime.transaction() as db:
        stored = companies.get_company(db, "acme")
        assert stored.owner_id == company.owner_id and stored.file_id == company.file_id
        assert stored.owner_id != stored.file_id
        assert stored.password_hash.startswith("scrypt:") and "s3cret-pass" not in stored.password_hash
        assert passwords.verify_password(stored.password_hash, "s3cret-pass")
        assert not passwords.verify_password(stored.password_hash, "s3cret-pasS")
        assert (stored.run_every_minutes, stored.qbxml_version_cap, stored.company_file) == (15, "13.0", "")
        described = companies.describe(stored)
    assert "password_hash" not in described and "scrypt" not in str(described)
    assert described["settings"]["batch_size"] == 25


def test_duplicates_and_bad_input_are_refused(runtime):
    with runtime.transaction() as db:
        companies.create_company(db, "acme", "Acme", "acme-wc", "s3cret-pass")
    with pytest.raises(AlreadyExists), runtime.transaction() as db:
        companies.create_company(db, "acme", "Acme 2", "other-wc", "s3cret-pass")
    with pytest.raises(AlreadyExists), runtime.transaction() as db:
        companies.create_company(db, "acme-2", "Acme 2", "acme-wc", "s3cret-pass")
    with pytest.raises(InvalidInput) as exc, runtime.transaction() as db:
        companies.create_company(db, "Bad Slug", "", " padded", "short")
    assert set(exc.value.errors) == {"slug", "name", "qbwc_user", "password"}


def test_update_columns_and_settings_all_or_nothing(runtime):
    with runtime.transaction() as db:
        companies.create_company(db, "acme", "Acme", "acme-wc", "s3cret-pass")
    changes = companies.parse_assignments(
        ["run_every_minutes=30", "qbxml_version_cap=16.0", "batch_size=10", "sync_kinds=customer,invoice"]
    )
    with runtime.transaction() as db:
        companies.update_company(db, "acme", changes)
    with pytest.raises(InvalidInput) as exc, runtime.transaction() as db:
        companies.update_company(db, "acme", {"name": "New name", "qbxml_version_cap": "99.0", "batch_size": "0"})
    assert set(exc.value.errors) == {"qbxml_version_cap", "batch_size"}
    with runtime.transaction() as db:
        company = companies.get_company(db, "acme")
        assert company.name == "Acme"  # nothing of the refused change was kept
        assert (company.run_every_minutes, company.qbxml_version_cap) == (30, "16.0")
        assert company.setting("batch_size") == 10
        assert company.setting("sync_kinds") == ["customer", "invoice"]


def test_unknown_key_names_the_known_ones():
    with pytest.raises(InvalidInput) as exc:
        companies.parse_assignments(["colour=blue"])
    assert "run_every_minutes" in exc.value.errors["colour"]
    with pytest.raises(InvalidInput):
        companies.parse_assignments(["no-equals-sign"])


def test_pause_and_resume(runtime):
    with runtime.transaction() as db:
        companies.create_company(db, "acme", "Acme", "acme-wc", "s3cret-pass")
        assert companies.set_paused(db, "acme", True).paused
    with runtime.transaction() as db:
        assert companies.get_company(db, "acme").paused
        assert not companies.set_paused(db, "acme", False).paused
    with pytest.raises(NotFound), runtime.transaction() as db:
        companies.set_paused(db, "ghost", True)


def test_known_versions_follow_the_schema_folder(tmp_path):
    (tmp_path / "v14").mkdir()
    assert companies.known_qbxml_versions(tmp_path) == ["13.0", "14.0", "16.0"]
    assert companies.known_qbxml_versions(None) == ["13.0", "16.0"]


def test_a_generated_password_is_checked_without_scrypt(runtime, monkeypatch):
    password = passwords.generate_password()
    with runtime.transaction() as db:
        companies.create_company(db, "acme", "Acme", "acme-wc", password, generated=True)
    with runtime.transaction() as db:
        stored = db.scalar(select(Company.password_hash).where(Company.slug == "acme"))

    def no_scrypt(*_args):
        raise AssertionError("a generated password must not be checked with scrypt")

    monkeypatch.setattr(passwords, "check_password_hash", no_scrypt)
    assert passwords.verify_web_connector(stored, password)
    assert not passwords.verify_web_connector(stored, "s3cret-pass")
    assert not passwords.verify_web_connector(None, password)  # an unknown user costs a digest too


def test_only_a_long_random_password_may_have_the_fast_hash():
    with pytest.raises(ValueError):
        passwords.hash_generated("short-but-chosen")
