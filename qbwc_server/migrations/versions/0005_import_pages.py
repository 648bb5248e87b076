"""Queue one import item for each import run that was queued or running before import pages were queue items.

Revision ID: 0005_import_pages
Revises: 0004_harden
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_import_pages"
down_revision = "0004_harden"
branch_labels = None
depends_on = None

# The import order of each kind when this migration was written, less 100: import pages go before the records.
PRIORITY = {
    "accounts": -90,
    "terms": -89,
    "classes": -88,
    "payment_methods": -87,
    "sales_tax_codes": -86,
    "items": -80,
    "customers": -70,
    "vendors": -69,
    "invoices": -60,
    "payments": -50,
}

runs = sa.table("import_runs", sa.column("id"), sa.column("company_id"), sa.column("kind"), sa.column("status"))
items = sa.table(
    "queue_items",
    sa.column("company_id"),
    sa.column("import_id"),
    sa.column("action"),
    sa.column("status"),
    sa.column("priority"),
    sa.column("attempts"),
    sa.column("unknown_outcome"),
    sa.column("created_at"),
    sa.column("updated_at"),
)


def upgrade() -> None:
    # A run that was running continues from its cursor: its step starts a new iterator where the data stopped.
    priority = sa.case(*((runs.c.kind == kind, value) for kind, value in PRIORITY.items()), else_=-1)
    active = sa.select(
        runs.c.company_id,
        runs.c.id,
        sa.literal("import"),
        sa.literal("ready"),
        priority,
        sa.literal(0),
        sa.false(),
        sa.func.current_timestamp(),
        sa.func.current_timestamp(),
    ).where(runs.c.status.in_(["queued", "running"]))
    op.execute(
        items.insert().from_select(
            [
                "company_id",
                "import_id",
                "action",
                "status",
                "priority",
                "attempts",
                "unknown_outcome",
                "created_at",
                "updated_at",
            ],
            active,
        )
    )


def downgrade() -> None:
    op.execute(items.delete().where(items.c.action == "import"))
