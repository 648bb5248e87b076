"""Index the queue items' two references to a record, so removing a record does not read every queue item.

`queue_items.record_id` (ON DELETE CASCADE) and `waiting_on` (ON DELETE SET NULL) had no index of their own (the
partial unique index on `record_id` holds open items only), so each record deleted made the database scan all of
a company's queue items twice to find the ones to delete or release; SQLite's plan of every INSERT into records
named those scans.

Revision ID: 0013_queue_record_indexes
Revises: 0012_import_frontier
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0013_queue_record_indexes"
down_revision = "0012_import_frontier"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_queue_items_record", "queue_items", ["record_id"])
    op.create_index("ix_queue_items_waiting_on", "queue_items", ["waiting_on"])


def downgrade() -> None:
    op.drop_index("ix_queue_items_waiting_on", table_name="queue_items")
    op.drop_index("ix_queue_items_record", table_name="queue_items")
