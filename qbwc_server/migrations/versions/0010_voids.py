"""Records removed by the app: the action that makes QuickBooks agree (void, delete or deactivate).

Revision ID: 0010_voids
Revises: 0009_two_way
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_voids"
down_revision = "0009_two_way"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removal", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_column("removal")
