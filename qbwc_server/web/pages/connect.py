"""Connect QuickBooks (admins only): the company's .qwc file and how to add it to the Web Connector."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from qbwc_server.errors import InvalidInput
from qbwc_server.qwc import CONTENT_TYPE, filename, render_qwc
from qbwc_server.web.auth import role_required
from qbwc_server.web.pages.common import company_or_404

log = logging.getLogger(__name__)

bp = Blueprint("connect", __name__)


def default_url() -> str:
    """Return the SOAP endpoint's address as this request reached the server."""
    return request.url_root.rstrip("/") + "/qbwc"


@bp.route("/c/<slug>/connect")
@role_required("admin")
def index(slug: str) -> Any:
    """Explain how to connect, with the endpoint address to put in the .qwc file."""
    company = company_or_404(slug)
    return render_template("connect.html", url=request.args.get("url") or default_url(), errors={}, target=company)


@bp.route("/c/<slug>/connect.qwc", methods=["GET", "POST"])
@role_required("admin")
def download(slug: str) -> Any:
    """Send the .qwc file, byte for byte what `qbwc-server qwc SLUG --url URL` writes.

    A link alone only ever yields this server's own address; another address needs the form's POST (with its CSRF
    token), so nobody can hand an admin a link that downloads a .qwc pointing the Web Connector elsewhere.
    """
    company = company_or_404(slug)
    own = default_url()
    if request.method == "POST":
        url = request.form.get("url", "").strip() or own
    else:
        url = request.args.get("url", "").strip() or own
        if url != own:
            return render_template("connect.html", url=url, errors={}, target=company, confirm=True)
    try:
        document = render_qwc(company, url)
    except InvalidInput as exc:
        return render_template("connect.html", url=url, errors=exc.errors, target=company), 422
    log.info(".qwc of %s downloaded by %s for %s", company.slug, current_user.email, url)
    return Response(
        document.encode("utf-8"),
        mimetype=CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename(company)}"'},
    )
