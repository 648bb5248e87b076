"""Two-way sync: count the records an import found deleted in QuickBooks, and mark imports run on the schedule.

Revision ID: 0009_two_way
Revises: 0008_money
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_two_way"
down_revision = "0008_money"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite too): a batch copy of the table would drop it, and with it, by cascade, the queue items
    # of imports in progress.
    op.add_column("import_runs", sa.Column("deleted", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("import_runs", sa.Column("scheduled", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("import_runs") as batch_op:
        batch_op.drop_column("scheduled")
        batch_op.drop_column("deleted")
