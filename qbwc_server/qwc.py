"""The .qwc file a Web Connector user adds: rendered from qwc/app.qwc.j2, byte-identical on every download."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from jinja2 import Environment, StrictUndefined

from qbwc_server.errors import InvalidInput
from qbwc_server.models import Company
from qbwc_server.resources import QWC_TEMPLATES, template_loader

TEMPLATE = "app.qwc.j2"
CONTENT_TYPE = "application/x-qwc"
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
MAX_DESCRIPTION = 80
GUID = re.compile(r"^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # autoescape=True escapes &, <, > and quotes in every value: names like "Smith & Sons" stay well-formed.
    return Environment(
        loader=template_loader(QWC_TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def check_url(url: str) -> tuple[str, str]:
    """Return (AppURL, AppSupport URL) for `url`; raise InvalidInput unless it is https (or http on localhost)."""
    parts = urlsplit((url or "").strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidInput(
            {"url": f"give the full address of the endpoint, such as https://sync.example.com/qbwc, not {url!r}"}
        )
    if parts.scheme == "http" and host not in LOCAL_HOSTS:
        raise InvalidInput(
            {"url": f"the Web Connector only connects over https (http is allowed for localhost only), not {url!r}"}
        )
    if parts.username or parts.password:
        raise InvalidInput({"url": "the address must not contain a user name or password"})
    app_url = parts.geturl()
    support_url = f"{parts.scheme}://{parts.netloc}/"
    return app_url, support_url


def app_unique_name(company: Company) -> str:
    """Return the AppUniqueName: stable per company, so re-adding the file replaces the entry instead of cloning it."""
    return f"qbwc-server.{company.slug}"


def render_qwc(company: Company, url: str) -> str:
    """Return the .qwc document for a company's Web Connector user (no password: the user types it)."""
    app_url, support_url = check_url(url)
    for label, value in (("OwnerID", company.owner_id), ("FileID", company.file_id)):
        if not GUID.match(value or ""):
            raise InvalidInput({label: f"the company's {label} {value!r} is not a brace-wrapped GUID"})
    description = f"Syncs {company.name} with QuickBooks"
    if len(description) > MAX_DESCRIPTION:
        description = description[: MAX_DESCRIPTION - 3].rstrip() + "..."
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            app_name=f"qbwc-server - {company.name}",
            app_url=app_url,
            description=description,
            support_url=support_url,
            username=company.qbwc_username,
            owner_id=company.owner_id,
            file_id=company.file_id,
            run_every_minutes=int(company.run_every_minutes or 15),
            unique_name=app_unique_name(company),
        )
    )


def filename(company: Company) -> str:
    """Return the file name a download of the .qwc gets."""
    return f"{company.slug}.qwc"
