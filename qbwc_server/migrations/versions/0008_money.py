"""QuickBooks' own figures on each record (totals, balance, paid) and the warnings where they differ from the app's.

Revision ID: 0008_money
Revises: 0007_safe_books
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_money"
down_revision = "0007_safe_books"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("qb_totals", JSON, nullable=True))
        batch.add_column(sa.Column("warnings", JSON, nullable=True))
        batch.add_column(sa.Column("warning_count", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("warning_count")
        batch.drop_column("warnings")
        batch.drop_column("qb_totals")
