"""`qbwc-server token …`: REST API tokens, one company each."""

from __future__ import annotations

import json

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import tokens
from qbwc_server.errors import NotFound
from qbwc_server.models import ApiToken, Company


def find_company(db: Session, slug: str) -> Company:
    """Return the company with this slug; raise NotFound naming it."""
    company = db.scalar(select(Company).where(Company.slug == slug))
    if company is None:
        raise NotFound(f"no company {slug!r}; `qbwc-server company list` shows them")
    return company


@click.group("token")
def token_group() -> None:
    """Create, list and revoke REST API tokens."""


@token_group.command("create")
@click.argument("slug")
@click.option("--name", default="", help="What the token is for, e.g. the host app's name.")
@click.option("--json", "as_json", is_flag=True, help="Print the token and its details as JSON.")
@click.pass_obj
def create(obj, slug: str, name: str, as_json: bool) -> None:
    """Print a new API token for a company; it is shown this once and stored only hashed."""
    with obj.runtime.transaction() as db:
        company = find_company(db, slug)
        token, plain = tokens.create(db, company, name)
        details = {"company": company.slug, "name": token.name, "prefix": token.prefix, "token": plain}
    if as_json:
        click.echo(json.dumps(details))
        return
    click.echo(plain)
    click.echo("Keep it now: it cannot be shown again. Send it as 'Authorization: Bearer <token>'.", err=True)


@token_group.command("list")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the tokens as JSON.")
@click.pass_obj
def list_(obj, slug: str, as_json: bool) -> None:
    """List a company's tokens by prefix (the tokens themselves are not kept)."""
    with obj.runtime.transaction() as db:
        rows = [_describe(token) for token in tokens.list_tokens(db, find_company(db, slug))]
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo(f"{slug} has no API tokens.")
        return
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        used = f"last used {row['last_used_at']}" if row["last_used_at"] else "never used"
        click.echo(
            f"{tokens.SCHEME}{row['prefix']}…  {row['name'] or '-'}  created {row['created_at']}  {used}  {state}"
        )


@token_group.command("revoke")
@click.argument("slug")
@click.argument("prefix")
@click.pass_obj
def revoke(obj, slug: str, prefix: str) -> None:
    """Revoke a company's token by its prefix; requests using it are refused from now on."""
    with obj.runtime.transaction() as db:
        revoked = tokens.revoke(db, find_company(db, slug), prefix)
    if revoked:
        click.echo(f"Revoked {', '.join(tokens.SCHEME + token.prefix + '…' for token in revoked)}.")
    else:
        click.echo("That token was already revoked.")


def _describe(token: ApiToken) -> dict[str, str | None]:
    def when(value):
        return value.isoformat(timespec="seconds") if value else None

    return {
        "prefix": token.prefix,
        "name": token.name,
        "created_at": when(token.created_at),
        "last_used_at": when(token.last_used_at),
        "revoked_at": when(token.revoked_at),
    }


COMMANDS = [token_group]
