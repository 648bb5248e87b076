"""Count the objects a Web Connector session imported, for its closing summary.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wc_sessions") as batch_op:
        batch_op.add_column(sa.Column("imported", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("wc_sessions") as batch_op:
        batch_op.drop_column("imported")
