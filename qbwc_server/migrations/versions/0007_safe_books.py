"""Safe books: a record's name suffix, its data at link time, and one record per QuickBooks entry.

Revision ID: 0007_safe_books
Revises: 0006_webhooks
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_safe_books"
down_revision = "0006_webhooks"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_suffix", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("linked_data", JSON, nullable=True))
        batch_op.add_column(sa.Column("linked_version", sa.Integer(), nullable=True))
    # Records that collapsed onto one QuickBooks entry before this rule: the oldest keeps it, the others forget
    # it and are added again under a distinct name at their next sync.
    op.execute(
        "UPDATE records SET qb_id = NULL, qb_edit_sequence = NULL, synced_version = NULL "
        "WHERE qb_id IS NOT NULL AND id NOT IN ("
        "SELECT keep_id FROM (SELECT MIN(id) AS keep_id FROM records WHERE qb_id IS NOT NULL "
        "GROUP BY company_id, kind, qb_id) AS kept)"
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index(
            "uq_records_company_kind_qbid",
            ["company_id", "kind", "qb_id"],
            unique=True,
            sqlite_where=sa.text("qb_id IS NOT NULL"),
            postgresql_where=sa.text("qb_id IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("uq_records_company_kind_qbid")
        batch_op.drop_column("linked_version")
        batch_op.drop_column("linked_data")
        batch_op.drop_column("name_suffix")
