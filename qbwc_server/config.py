"""Settings read once from QBWC_* environment variables and validated, with messages that say what to fix."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from qbwc_server.errors import ConfigError

# QuickBooks' largest answers: an iterator page of 500 invoices with 40 lines each is 11.2 MiB as a SOAP body
# (measured with the simulator); 64 MiB leaves room for longer invoices and still bounds what a client can send.
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """The server's configuration; build it with `Settings.from_env()`."""

    database_url: str
    secret_key: str
    qbxml_schema_dir: Path | None = None
    ticket_timeout_minutes: int = 30
    session_busy_seconds: int = 120
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    min_client_version: str = "2.0.0.0"
    auth_failure_delay_seconds: float = 10.0
    trust_proxy: int = 0
    login_session_minutes: int = 480
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = 8080
    metrics_token: str = ""
    metrics_allow: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read and validate the QBWC_* variables; raise ConfigError naming the bad one."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "database_url": env.get("QBWC_DATABASE_URL") or default_database_url(),
            "secret_key": env.get("QBWC_SECRET_KEY") or "",
            "qbxml_schema_dir": _schema_dir(env.get("QBWC_QBXML_SCHEMA_DIR")),
            "ticket_timeout_minutes": _int(env, "QBWC_TICKET_TIMEOUT_MINUTES", 30, minimum=1),
            "session_busy_seconds": _int(env, "QBWC_SESSION_BUSY_SECONDS", 120),
            "max_body_bytes": _int(env, "QBWC_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, minimum=1024),
            "min_client_version": _version(env.get("QBWC_MIN_CLIENT_VERSION", "2.0.0.0")),
            "auth_failure_delay_seconds": _float(env, "QBWC_AUTH_FAILURE_DELAY_SECONDS", 10.0),
            "trust_proxy": _int(env, "QBWC_TRUST_PROXY", 0, maximum=5),
            "login_session_minutes": _int(env, "QBWC_LOGIN_SESSION_MINUTES", 480, minimum=1),
            "log_level": _log_level(env.get("QBWC_LOG_LEVEL", "INFO")),
            "host": env.get("QBWC_HOST", "127.0.0.1"),
            "port": _int(env, "QBWC_PORT", 8080, minimum=1, maximum=65535),
            "metrics_token": env.get("QBWC_METRICS_TOKEN", ""),
            "metrics_allow": _networks(env.get("QBWC_METRICS_ALLOW", "")),
        }
        values.update(overrides)
        if not values["secret_key"]:
            values["secret_key"] = _instance_secret()
        url = str(values["database_url"])
        if not url.startswith(("sqlite", "postgresql")):
            raise ConfigError(f"QBWC_DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL, not {url!r}")
        return cls(**values)  # type: ignore[arg-type]


def instance_dir() -> Path:
    """Return the folder for local state (the SQLite file, the generated secret key), creating it."""
    path = Path(os.environ.get("QBWC_INSTANCE_DIR", "instance")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url() -> str:
    """Return the embedded SQLite database's URL under the instance folder."""
    return f"sqlite:///{instance_dir() / 'qbwc.sqlite3'}"


def _instance_secret() -> str:
    # Generated once and kept beside the database, so sessions survive restarts without a setting.
    import secrets

    path = instance_dir() / "secret_key"
    if not path.exists():
        # Created readable by the owner only from the first byte: chmod after writing would leave a window.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ConfigError(f"{name} must be {bound}, not {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _version(raw: str) -> str:
    parts = raw.split(".")
    if not raw or not all(p.isdigit() for p in parts):
        raise ConfigError(f"QBWC_MIN_CLIENT_VERSION must look like 2.1.0.30, not {raw!r}")
    return raw


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"QBWC_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {raw!r}")
    return level


def _schema_dir(raw: str | None) -> Path | None:
    if not raw:
        return None
    path = Path(raw)
    if not path.is_dir():
        raise ConfigError(f"QBWC_QBXML_SCHEMA_DIR is not a folder: {raw}")
    if not (path / "v13" / "qbxmlops130.xsd").exists() and not (path / "v16" / "qbxmlops160.xsd").exists():
        raise ConfigError(f"QBWC_QBXML_SCHEMA_DIR has neither v13/qbxmlops130.xsd nor v16/qbxmlops160.xsd: {raw}")
    return path


def _networks(raw: str) -> tuple[str, ...]:
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ConfigError(
                f"QBWC_METRICS_ALLOW must list addresses or networks such as 10.0.0.0/8, not {part!r}"
            ) from None
    return tuple(networks)


def parse_version(text: str) -> tuple[int, ...]:
    """Turn '2.1.0.30' into (2, 1, 0, 30) for comparisons; non-numbers count as 0."""
    return tuple(int(p) if p.isdigit() else 0 for p in text.strip().split("."))
