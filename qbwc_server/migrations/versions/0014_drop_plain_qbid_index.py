"""Drop the plain index on records (company_id, kind, qb_id): the partial unique index on the same columns serves
every look-up by QuickBooks id, and each write of a record paid for an entry in both.

Every query that names a `qb_id` compares it with a value, which implies `qb_id IS NOT NULL`, so both databases use
`uq_records_company_kind_qbid` (added in 0007) for it; the company and kind prefixes are served by the unique index
on external ids. PostgreSQL updates records mostly off HOT (their state is indexed), so one index fewer is one
entry fewer at every record written.

Revision ID: 0014_drop_plain_qbid_index
Revises: 0013_queue_record_indexes
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0014_drop_plain_qbid_index"
down_revision = "0013_queue_record_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_records_company_kind_qbid", table_name="records")


def downgrade() -> None:
    op.create_index("ix_records_company_kind_qbid", "records", ["company_id", "kind", "qb_id"])
