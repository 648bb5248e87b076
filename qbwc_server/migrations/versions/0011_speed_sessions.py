"""A company's open Web Connector sessions found by an index, not by reading every session it ever had.

Revision ID: 0011_speed_sessions
Revises: 0010_voids
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0011_speed_sessions"
down_revision = "0010_voids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every check-in asks whether its company has an open session; a company checking in every few minutes has
    # about 100,000 session rows after a year, all of which the company index alone had to read.
    with op.batch_alter_table("wc_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_wc_sessions_company_state", ["company_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wc_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_wc_sessions_company_state")
