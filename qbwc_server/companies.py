"""Companies: create, find, describe, change, pause and resume, shared by the CLI and the page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import clock, company_settings, passwords, status
from qbwc_server.errors import AlreadyExists, InvalidInput, NotFound
from qbwc_server.models import Company
from qbwc_server.sync import queue

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# qbXML versions whose schemas the project is built and tested against.
BASE_QBXML_VERSIONS = ("13.0", "16.0")
COLUMN_KEYS = ("name", "company_file", "run_every_minutes", "qbxml_version_cap")


def new_guid() -> str:
    """Return a fresh brace-wrapped GUID, the form the Web Connector uses for OwnerID and FileID."""
    return "{" + str(uuid.uuid4()).upper() + "}"


def known_qbxml_versions(schema_dir: Path | None = None) -> list[str]:
    """Return the qbXML versions a company may be capped at: the base ones plus any in the schema folder."""
    versions = set(BASE_QBXML_VERSIONS)
    if schema_dir is not None and Path(schema_dir).is_dir():
        for folder in Path(schema_dir).glob("v[0-9]*"):
            digits = folder.name[1:]
            if digits.isdigit() and folder.is_dir():
                versions.add(f"{int(digits)}.0")
    return sorted(versions, key=lambda v: tuple(int(p) for p in v.split(".")))


def create_company(
    db: Session,
    slug: str,
    name: str,
    qbwc_username: str,
    password: str,
    *,
    company_file: str = "",
    run_every_minutes: int = 15,
    qbxml_version_cap: str = "13.0",
    schema_dir: Path | None = None,
    generated: bool = False,
) -> Company:
    """Create a company with its Web Connector user; its OwnerID and FileID are generated here, once.

    `generated` says the password came from `passwords.generate_password` and may be stored with a fast hash.
    """
    errors: dict[str, str] = {}
    if not SLUG_PATTERN.match(slug or ""):
        errors["slug"] = "use 1-64 lowercase letters, digits and hyphens, starting with a letter or digit"
    username = (qbwc_username or "").strip()
    if not username or len(username) > 100 or username != qbwc_username:
        errors["qbwc_user"] = "must be 1-100 characters without leading or trailing spaces"
    weak = passwords.check_strength(password or "")
    if weak:
        errors["password"] = weak
    clean = _clean_columns(
        {
            "name": name,
            "company_file": company_file,
            "run_every_minutes": run_every_minutes,
            "qbxml_version_cap": qbxml_version_cap,
        },
        schema_dir,
        errors,
    )
    if errors:
        raise InvalidInput(errors)
    if db.scalar(select(Company.id).where(Company.slug == slug)) is not None:
        raise AlreadyExists(f"a company with the slug {slug!r} already exists")
    if db.scalar(select(Company.id).where(Company.qbwc_username == username)) is not None:
        raise AlreadyExists(f"the Web Connector user {username!r} already belongs to another company")
    company = Company(
        slug=slug,
        qbwc_username=username,
        password_hash=_password_hash(password, generated),
        owner_id=new_guid(),
        file_id=new_guid(),
        paused=False,
        settings={},
        **clean,
    )
    db.add(company)
    db.flush()
    return company


def get_company(db: Session, slug: str) -> Company:
    """Return the company with this slug, or raise NotFound."""
    company = db.scalar(select(Company).where(Company.slug == slug))
    if company is None:
        raise NotFound(f"no company with the slug {slug!r} (see `qbwc-server company list`)")
    return company


def list_companies(db: Session) -> list[Company]:
    """Return every company, by slug."""
    return list(db.scalars(select(Company).order_by(Company.slug)))


def describe(company: Company) -> dict[str, Any]:
    """Return what an admin may see of a company (never the password hash)."""
    return {
        "slug": company.slug,
        "name": company.name,
        "qbwc_user": company.qbwc_username,
        "owner_id": company.owner_id,
        "file_id": company.file_id,
        "company_file": company.company_file or "",
        "run_every_minutes": company.run_every_minutes,
        "qbxml_version_cap": company.qbxml_version_cap,
        "paused": bool(company.paused),
        "settings": company_settings.effective(company.settings),
        "quickbooks": {
            "product": company.qb_product,
            "version": company.qb_version,
            "supported_qbxml_versions": company.qb_supported_versions,
            "country": company.qb_country,
            "company_name": company.qb_company_name,
            "file_id_seen": company.qb_file_id_seen,
        },
        "wrong_file_message": company.wrong_file_message,
        "last_checkin_at": _iso(company.last_checkin_at),
        "created_at": _iso(company.created_at),
    }


def parse_assignments(pairs: Iterable[str]) -> dict[str, Any]:
    """Turn KEY=VALUE arguments into changes: columns stay text, sync settings get their types."""
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput({pair: "write each change as KEY=VALUE"})
        if key in COLUMN_KEYS:
            changes[key] = raw
        elif key in company_settings.DEFAULTS:
            changes[key] = company_settings.parse_cli_value(key, raw)
        else:
            known = ", ".join([*COLUMN_KEYS, *sorted(company_settings.DEFAULTS)])
            raise InvalidInput({key: f"unknown key; known keys are: {known}"})
    return changes


@dataclass(frozen=True)
class SettingsChange:
    """What changing a company's sync settings did: the settings whose value changed, and the records moved."""

    changed: list[str]
    moved: int


def change_settings(db: Session, company: Company, changes: Mapping[str, Any]) -> SettingsChange:
    """Validate and store changed sync settings (all or none), then decide held-back records again.

    Only values that differ from the defaults are stored, so a default is written in one place. The CLI, the API
    and the page all change settings through here.
    """
    clean = company_settings.validate(changes)
    before = company_settings.effective(company.settings)
    defaults = company_settings.DEFAULTS
    stored = {k: v for k, v in (company.settings or {}).items() if k in defaults and k not in clean}
    stored.update({k: v for k, v in clean.items() if v != defaults[k]})
    after = company_settings.effective(stored)
    changed = sorted(k for k in defaults if before.get(k) != after.get(k))
    # A new dict, so the JSON column is seen as changed.
    company.settings = stored
    company.updated_at = clock.now()
    db.flush()
    # Records the old settings held back or filtered out are decided again under the new ones.
    moved = queue.settings_changed(db, company) if changed else 0
    return SettingsChange(changed, moved)


def update_company(db: Session, slug: str, changes: Mapping[str, Any], *, schema_dir: Path | None = None) -> Company:
    """Apply changes to a company's columns and sync settings, all or nothing; raise InvalidInput naming bad keys."""
    company = get_company(db, slug)
    errors: dict[str, str] = {}
    columns = {k: v for k, v in changes.items() if k in COLUMN_KEYS}
    settings = {k: v for k, v in changes.items() if k not in COLUMN_KEYS}
    clean_columns = _clean_columns(columns, schema_dir, errors)
    clean_settings: dict[str, Any] = {}
    try:
        clean_settings = company_settings.validate(settings)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    for key, value in clean_columns.items():
        setattr(company, key, value)
    if clean_settings:
        change_settings(db, company, clean_settings)
    db.flush()
    return company


def set_paused(db: Session, slug: str, paused: bool) -> Company:
    """Pause or resume all syncing for a company (a paused company's Web Connector is told there is no work)."""
    company = get_company(db, slug)
    company.paused = paused
    db.flush()
    status.announce(db, company)
    return company


def set_password(db: Session, slug: str, password: str, *, generated: bool = False) -> Company:
    """Replace the Web Connector user's password (`generated`: it came from `passwords.generate_password`)."""
    weak = passwords.check_strength(password)
    if weak:
        raise InvalidInput({"password": weak})
    company = get_company(db, slug)
    company.password_hash = _password_hash(password, generated)
    db.flush()
    return company


def _password_hash(password: str, generated: bool) -> str:
    return passwords.hash_generated(password) if generated else passwords.hash_password(password)


def _clean_columns(values: Mapping[str, Any], schema_dir: Path | None, errors: dict[str, str]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "name" in values:
        name = str(values["name"] or "").strip()
        if not name or len(name) > 200:
            errors["name"] = "must be 1-200 characters"
        clean["name"] = name
    if "company_file" in values:
        path = str(values["company_file"] or "").strip()
        if len(path) > 500:
            errors["company_file"] = "must be at most 500 characters (empty: the file open in QuickBooks)"
        clean["company_file"] = path
    if "run_every_minutes" in values:
        try:
            minutes = int(values["run_every_minutes"])
        except (TypeError, ValueError):
            errors["run_every_minutes"] = "must be a whole number of minutes"
        else:
            if not 1 <= minutes <= 1440:
                errors["run_every_minutes"] = "must be between 1 and 1440 minutes"
            clean["run_every_minutes"] = minutes
    if "qbxml_version_cap" in values:
        cap = str(values["qbxml_version_cap"] or "").strip()
        known = known_qbxml_versions(schema_dir)
        if cap not in known:
            errors["qbxml_version_cap"] = f"must be one of {', '.join(known)}"
        clean["qbxml_version_cap"] = cap
    return clean


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
